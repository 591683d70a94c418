using System.Text.Json;
using Marketing.Sdk.Storage.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>The stored event document: identities without their derived key and fingerprint, older documents still readable.</summary>
public sealed class SqliteStoredDocumentTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Events_are_stored_without_derived_identity_fields_and_older_documents_still_read_back()
    {
        var path = SqliteHarness.NewDatabasePath();
        try
        {
            var services = new ServiceCollection();
            new TestMarketingBuilder(services).UseSqlite($"Data Source={path}");
            await using (var provider = services.BuildServiceProvider())
            {
                await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
                var store = provider.GetRequiredService<IEventStore>();
                var c = Customer("doc");
                var fresh = RichEvent("new-doc", c, Start);
                await store.AppendAsync([fresh]);

                // A row as earlier versions wrote it: the domain document, with each identity's key and fingerprint.
                var old = RichEvent("old-doc", c, Start.AddMinutes(1));
                await using (var conn = new SqliteConnection($"Data Source={path}"))
                {
                    await conn.OpenAsync();
                    await using var insert = conn.CreateCommand();
                    insert.CommandText = "INSERT INTO events (id, customer_id, type, occurred_at, occurred_offset, received_at, data) VALUES (@i, @c, @t, @a, @o, NULL, @d)";
                    insert.Parameters.AddWithValue("@i", old.Id);
                    insert.Parameters.AddWithValue("@c", c.Value);
                    insert.Parameters.AddWithValue("@t", old.Type.Value);
                    insert.Parameters.AddWithValue("@a", old.OccurredAt.UtcTicks);
                    insert.Parameters.AddWithValue("@o", (int)old.OccurredAt.Offset.TotalMinutes);
                    insert.Parameters.AddWithValue("@d", JsonSerializer.Serialize(old with { CustomerId = null }, MarketingJsonContext.Default.MarketingEvent));
                    await insert.ExecuteNonQueryAsync();

                    await using var doc = conn.CreateCommand();
                    doc.CommandText = "SELECT data FROM events WHERE id = 'new-doc'";
                    var data = (string)(await doc.ExecuteScalarAsync())!;
                    Assert.Contains("\"identities\":[{\"kind\":\"Email\",\"value\":\"a@example.com\"}", data, StringComparison.Ordinal);
                    Assert.DoesNotContain("fingerprint", data, StringComparison.Ordinal);
                }

                var read = await store.ReadAsync(new EventQuery { CustomerId = c }).ToListAsync();
                Assert.Equal([Json(fresh), Json(old)], read.Select(e => Json(e)));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}
