using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>Every connection the database hands out carries its settings, whether new or reused from the pool.</summary>
public sealed class SqliteConnectionSettingsTests
{
    [Fact]
    public async Task New_reused_and_reopened_connections_carry_the_busy_timeout_synchronous_mode_and_page_cache()
    {
        var db = new SqliteDatabase(new SqliteStorageOptions { ConnectionString = $"Data Source={SqliteHarness.NewDatabasePath()}", BusyTimeout = TimeSpan.FromMilliseconds(1234) }, TimeProvider.System);
        using (db)
        {
            await db.MigrateAsync();
            for (var round = 0; round < 3; round++)
            {
                // Two at once: the second is a new native connection while the first is held.
                await using var first = await db.OpenAsync(CancellationToken.None);
                await using var second = await db.OpenAsync(CancellationToken.None);
                foreach (var conn in new[] { first, second })
                {
                    Assert.Equal(1234L, await PragmaAsync(conn, "busy_timeout"));
                    Assert.Equal(1L, await PragmaAsync(conn, "synchronous")); // NORMAL
                    Assert.Equal(-16384L, await PragmaAsync(conn, "cache_size"));
                }
                await using (var scope = await db.BeginWriteAsync(CancellationToken.None))
                {
                    Assert.Equal(1234L, await PragmaAsync(scope.Connection, "busy_timeout"));
                }
                if (round == 1)
                {
                    SqliteConnection.ClearAllPools(); // the next round opens fresh native connections
                }
            }
        }
    }

    private static async Task<long> PragmaAsync(DbConnection conn, string name)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"PRAGMA {name}";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
