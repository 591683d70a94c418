using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Storage.Sqlite;

/// <summary>Options of the SQLite stores.</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>The connection string, e.g. <c>Data Source=marketing.db</c>. Required.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Apply schema migrations when the host starts (and before first use). Default <see langword="true"/>.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>How long a writer waits for another process's write lock before failing. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Validates <see cref="SqliteStorageOptions"/>.</summary>
internal sealed class SqliteStorageOptionsValidator : IValidateOptions<SqliteStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail("SqliteStorageOptions.ConnectionString is required.");
        }
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException)
        {
            return ValidateOptionsResult.Fail("SqliteStorageOptions.ConnectionString is not a valid SQLite connection string.");
        }
        if (string.IsNullOrWhiteSpace(builder.DataSource) || (builder.DataSource == ":memory:" && builder.Mode != SqliteOpenMode.Memory))
        {
            return ValidateOptionsResult.Fail("SqliteStorageOptions.ConnectionString needs a file ('Data Source=marketing.db') or a named shared in-memory database ('Data Source=name;Mode=Memory;Cache=Shared').");
        }
        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            return ValidateOptionsResult.Fail("SqliteStorageOptions.ConnectionString must not be read-only.");
        }
        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromMinutes(10))
        {
            return ValidateOptionsResult.Fail("SqliteStorageOptions.BusyTimeout must be between 0 and 10 minutes.");
        }
        return ValidateOptionsResult.Success;
    }
}
