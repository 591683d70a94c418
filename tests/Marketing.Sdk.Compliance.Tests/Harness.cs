using Marketing.Sdk.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Compliance.Tests;

internal sealed class TestMarketingBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>A host-like container: core SDK with in-memory or SQLite stores plus compliance, with a fake clock and captured logs.</summary>
internal sealed class Host : IAsyncDisposable
{
    private readonly string? _path;

    private Host(ServiceProvider provider, FakeTimeProvider time, FakeLogCollector logs, string? path)
    {
        Provider = provider;
        Time = time;
        Logs = logs;
        _path = path;
    }

    public ServiceProvider Provider { get; }
    public FakeTimeProvider Time { get; }
    public FakeLogCollector Logs { get; }
    public string? DatabasePath => _path;

    public T Get<T>() where T : notnull => Provider.GetRequiredService<T>();

    public static async Task<Host> CreateAsync(bool sqlite = false, Action<Microsoft.Extensions.DependencyInjection.ComplianceBuilder>? configure = null, Action<IServiceCollection>? extra = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddFakeLogging());
        string? path = null;
        services.AddMarketingSdk(m =>
        {
            if (sqlite)
            {
                path = Path.Combine(Path.GetTempPath(), $"compliance-{Guid.NewGuid():N}.db");
                m.UseSqlite($"Data Source={path}");
            }
            m.AddCompliance(configure);
        });
        extra?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        if (sqlite)
        {
            await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        }
        return new Host(provider, time, provider.GetRequiredService<FakeLogCollector>(), path);
    }

    public async ValueTask<long> CountSqliteRowsAsync(CustomerId c)
    {
        await using var conn = new SqliteConnection($"Data Source={_path}");
        await conn.OpenAsync();
        long total = 0;
        foreach (var sql in new[]
        {
            "SELECT COUNT(*) FROM profiles WHERE id = @c",
            "SELECT COUNT(*) FROM events WHERE customer_id = @c",
            "SELECT COUNT(*) FROM identities WHERE customer_id = @c",
            "SELECT COUNT(*) FROM consent_records WHERE customer_id = @c",
        })
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("@c", c.Value);
            total += (long)(await cmd.ExecuteScalarAsync())!;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        if (_path is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}
