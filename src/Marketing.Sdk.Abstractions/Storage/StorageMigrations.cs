namespace Marketing.Sdk.Storage;

/// <summary>The outcome of applying schema migrations.</summary>
/// <param name="FromVersion">The schema version before the call (0 for an empty database).</param>
/// <param name="ToVersion">The schema version after the call.</param>
/// <param name="Applied">The versions applied by this call, in order (empty when already up to date).</param>
public sealed record MigrationResult(int FromVersion, int ToVersion, IReadOnlyList<int> Applied);

/// <summary>Applies a durable store's versioned schema migrations (idempotent; safe when several hosts start at once).</summary>
public interface IStorageMigrator
{
    /// <summary>Brings the schema up to the latest version.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>The current schema version (0 when no migration was applied).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<int> GetVersionAsync(CancellationToken cancellationToken = default);

    /// <summary>The latest schema version this provider knows: the database is migrated when <see cref="GetVersionAsync"/> returns it.</summary>
    int LatestVersion { get; }
}
