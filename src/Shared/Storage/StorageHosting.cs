using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>Applies migrations when the host starts.</summary>
internal sealed class MigrationHostedService(IStorageMigrator migrator, Func<bool> enabled) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (enabled())
        {
            await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Applied {Provider} schema migration {Version} ({Description}).")]
    public static partial void MigrationApplied(ILogger logger, string provider, int version, string description);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "{Provider} schema is up to date at version {Version}.")]
    public static partial void SchemaUpToDate(ILogger logger, string provider, int version);
}

/// <summary>One schema migration.</summary>
internal sealed record Migration(int Version, string Description, string Sql);
