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

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    internal static partial Regex SchemaName();
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
        if (options.CopyThreshold < 1)
        {
            return ValidateOptionsResult.Fail("PostgreSqlStorageOptions.CopyThreshold must be at least 1.");
        }
        return ValidateOptionsResult.Success;
    }
}
