using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marketing.Sdk.Storage.PostgreSql;

/// <summary>Options of the PostgreSQL stores.</summary>
public sealed partial class PostgreSqlStorageOptions
{
    /// <summary>The connection string; required unless <see cref="DataSource"/> is set.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A data source owned by the application (takes precedence over <see cref="ConnectionString"/>; not disposed by the stores).</summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>The schema that holds the tables (created by the migrations). Default <c>marketing</c>.</summary>
    public string Schema { get; set; } = "marketing";

    /// <summary>Apply schema migrations when the host starts (and before first use). Default <see langword="true"/>.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Event batches of at least this many events are loaded with binary COPY; smaller ones with one multi-row INSERT. Default 64.</summary>
    public int CopyThreshold { get; set; } = 64;

    /// <summary>
    /// What runs on the tables an erasure deleted rows from, right after it committed (outside its transaction).
    /// Default <see cref="PostgreSqlErasureVacuum.Vacuum"/>.
    /// </summary>
    /// <remarks>
    /// <c>DELETE</c> only marks PostgreSQL rows dead; their bytes stay in the table and index pages.
    /// <c>VACUUM</c> removes the dead rows and their index entries (no query, snapshot or replica sees them again;
    /// their space is reused by later writes) but does not overwrite the bytes. <c>VACUUM FULL</c> rewrites the
    /// tables into new files, so the table files no longer hold them, under an exclusive lock for the duration.
    /// Neither touches the write-ahead log, WAL archives, physical replicas or backups, which keep their copies
    /// until recycled or expired. See docs/storage.md.
    /// </remarks>
    public PostgreSqlErasureVacuum ErasureVacuum { get; set; } = PostgreSqlErasureVacuum.Vacuum;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    internal static partial Regex SchemaName();
}

/// <summary>What runs on the erased tables after an erasure (<see cref="PostgreSqlStorageOptions.ErasureVacuum"/>).</summary>
public enum PostgreSqlErasureVacuum
{
    /// <summary>Nothing: autovacuum removes the dead rows in its own time.</summary>
    None,

    /// <summary>
    /// <c>VACUUM</c>: dead rows and their index entries are removed and their space made reusable; takes no lock
    /// that blocks reads or writes. The bytes stay in the pages until overwritten by later writes.
    /// </summary>
    Vacuum,

    /// <summary>
    /// <c>VACUUM FULL</c>: the tables are rewritten into new files without the dead rows, so the table files hold
    /// none of their bytes; blocks every read and write of each table while it is rewritten (events included).
    /// </summary>
    Full,
}

/// <summary>Validates <see cref="PostgreSqlStorageOptions"/>.</summary>
internal sealed class PostgreSqlStorageOptionsValidator : IValidateOptions<PostgreSqlStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlStorageOptions options)
    {
        if (options.DataSource is null)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                return ValidateOptionsResult.Fail("PostgreSqlStorageOptions needs a ConnectionString or a DataSource.");
            }
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException)
            {
                return ValidateOptionsResult.Fail("PostgreSqlStorageOptions.ConnectionString is not a valid PostgreSQL connection string.");
            }
        }
        if (!PostgreSqlStorageOptions.SchemaName().IsMatch(options.Schema ?? string.Empty))
        {
            return ValidateOptionsResult.Fail("PostgreSqlStorageOptions.Schema must be 1-63 lower-case letters, digits or '_', starting with a letter or '_'.");
        }
        if (!Enum.IsDefined(options.ErasureVacuum))
        {
            return ValidateOptionsResult.Fail("PostgreSqlStorageOptions.ErasureVacuum must be None, Vacuum or Full.");
        }
        if (options.CopyThreshold < 1)
        {
            return ValidateOptionsResult.Fail("PostgreSqlStorageOptions.CopyThreshold must be at least 1.");
        }
        return ValidateOptionsResult.Success;
    }
}
