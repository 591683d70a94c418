using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Marketing.Sdk.Storage.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>
/// After an erasure no byte of the subject is left in any file of the database (main, <c>-wal</c>, <c>-shm</c>),
/// read raw while the host still runs (pooled connections open): not in free pages, not in freed cells, not in
/// old WAL frames.
/// </summary>
public sealed class SqliteErasureOnDiskTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The subject's values. Its customer id is not among them: the audit log keeps it as the pseudonymous record of the erasure itself.</summary>
    private sealed record Subject(CustomerId Id, string Email, string Phone, string Name, string Ip, string Member, string Cookie, string Sms)
    {
        public Identity[] Identities => [Identity.Email(Email), Identity.Phone(Phone), Identity.Member(Member), Identity.Cookie(Cookie)];

        public IEnumerable<string> Values => [Email, Phone, Phone.TrimStart('+'), Name, Ip, Member, Cookie, Sms];

        /// <summary>Hashed forms that are still the subject's values: anyone holding the email can recompute them.</summary>
        public IEnumerable<string> Hashes => Identities.Select(i => i.Fingerprint).Concat([Sha256Hex(Email), Sha256Hex(Phone.TrimStart('+'))]);
    }

    private static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static Subject NewSubject(string tag) => new(
        new CustomerId($"c_{tag}"),
        $"wilhelmina.{tag}@example.org",
        tag == "gone" ? "+447700900123" : "+447700900987",
        tag == "gone" ? "Wilhelmina Quaresma" : "Bartholomew Okonkwo",
        tag == "gone" ? "203.0.113.77" : "198.51.100.23",
        $"member-{tag}-55501",
        $"cookie-{tag}-8f3a",
        $"Hi {tag}, your code is 7781 — reply STOP");

    private static async Task PopulateAsync(ServiceProvider sp, Subject s)
    {
        var profiles = sp.GetRequiredService<IProfileStore>();
        var events = sp.GetRequiredService<IEventStore>();
        var identities = sp.GetRequiredService<IIdentityGraphStore>();
        var consents = sp.GetRequiredService<IConsentStore>();
        var outbox = sp.GetRequiredService<IOutboxStore>();
        var state = sp.GetRequiredService<IStateStore>();

        // Saved several times: every update leaves the previous version behind in freed cells.
        var profile = await profiles.SaveAsync(new CustomerProfile
        {
            Id = s.Id,
            Identities = s.Identities,
            Traits = new Dictionary<string, PropertyValue> { ["name"] = s.Name, ["ip"] = s.Ip },
            FirstSeen = Start,
            LastSeen = Start,
        });
        for (var i = 0; i < 5; i++)
        {
            profile = await profiles.SaveAsync(profile with { LastSeen = Start.AddMinutes(i + 1), EventCount = i });
        }
        var batch = new List<MarketingEvent>();
        for (var i = 0; i < 300; i++)
        {
            batch.Add(new MarketingEvent
            {
                Id = $"{s.Id.Value}-e{i}",
                Type = i % 3 == 0 ? EventType.Purchase : EventType.PageView,
                OccurredAt = Start.AddSeconds(i),
                CustomerId = s.Id,
                Identities = s.Identities,
                IpAddress = s.Ip,
                Properties = new Dictionary<string, PropertyValue> { ["name"] = s.Name, ["sms"] = s.Sms },
            });
        }
        await events.AppendAsync(batch);
        foreach (var id in s.Identities)
        {
            await identities.ClaimAsync(id, s.Id);
            await identities.ObserveAsync(id, s.Identities[0].Fingerprint);
        }
        for (var i = 0; i < 20; i++)
        {
            await consents.AppendAsync(new ConsentRecord
            {
                CustomerId = s.Id,
                Purpose = i % 2 == 0 ? ConsentPurpose.Email : ConsentPurpose.Sms,
                Granted = i % 3 != 0,
                RecordedAt = Start.AddMinutes(i),
                Source = "form",
                ProofHash = s.Identities[0].Fingerprint,
            });
        }
        var messages = Enumerable.Range(0, 40).Select(i => new OutboxMessage
        {
            Destination = i % 2 == 0 ? "sms" : "meta",
            IdempotencyKey = $"{s.Id.Value}-m{i}",
            CustomerId = s.Id,
            Payload = Encoding.UTF8.GetBytes(i % 2 == 0
                ? $"{{\"to\":\"{s.Phone}\",\"text\":\"{s.Sms}\"}}"
                : $"{{\"em\":\"{Sha256Hex(s.Email)}\",\"ph\":\"{Sha256Hex(s.Phone.TrimStart('+'))}\",\"client_ip_address\":\"{s.Ip}\"}}"),
        }).ToList();
        await outbox.EnqueueAsync(messages);
        // Claimed, failed and retried: the updates rewrite the rows.
        var claimed = await outbox.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), "sms");
        foreach (var c in claimed)
        {
            await outbox.RetryAsync(c.Id, c.LeaseToken, Start.AddMinutes(5), "provider_unavailable");
        }
        await state.SaveAsync("journeys", $"{s.Id.Value}|welcome", $"{{\"email\":\"{s.Email}\",\"name\":\"{s.Name}\"}}", 0);
    }

    /// <summary>Every encoding the store could hold a value in: UTF-8, JSON-escaped (default and relaxed encoders) and UTF-16.</summary>
    private static IEnumerable<(string Form, byte[] Bytes)> Encodings(string value)
    {
        yield return ("utf-8", Encoding.UTF8.GetBytes(value));
        yield return ("json", JsonEncodedText.Encode(value).EncodedUtf8Bytes.ToArray());
        yield return ("json-relaxed", JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes.ToArray());
        yield return ("utf-16le", Encoding.Unicode.GetBytes(value));
        yield return ("utf-16be", Encoding.BigEndianUnicode.GetBytes(value));
    }

    private static List<string> Find(IReadOnlyDictionary<string, byte[]> files, IEnumerable<string> values)
    {
        var found = new List<string>();
        foreach (var value in values)
        {
            foreach (var (form, needle) in Encodings(value).DistinctBy(e => Convert.ToBase64String(e.Bytes)))
            {
                foreach (var (file, bytes) in files)
                {
                    if (bytes.AsSpan().IndexOf(needle) >= 0)
                    {
                        found.Add($"{file}: {value.Length} chars of a value, as {form}");
                    }
                }
            }
        }
        return found;
    }

    private static Dictionary<string, byte[]> ReadFiles(string path)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            if (File.Exists(path + suffix))
            {
                // Shared read: the host keeps the files open.
                using var stream = new FileStream(path + suffix, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                files["main" + suffix] = copy.ToArray();
            }
        }
        return files;
    }

    [Fact]
    public async Task Erasure_leaves_no_byte_of_the_subject_in_the_database_wal_or_shm_files()
    {
        var path = SqliteHarness.NewDatabasePath();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        new TestMarketingBuilder(services).UseSqlite($"Data Source={path}");
        await using (var sp = services.BuildServiceProvider())
        {
            await sp.GetRequiredService<IStorageMigrator>().MigrateAsync();
            var gone = NewSubject("gone");
            var kept = NewSubject("kept");
            await PopulateAsync(sp, gone);
            await PopulateAsync(sp, kept);

            var before = ReadFiles(path);
            Assert.NotEmpty(Find(before, gone.Values));

            var report = await sp.GetRequiredService<ICustomerDataEraser>().EraseAsync(gone.Id);
            Assert.True(report.Total >= 300 + 1 + 4 + 20 + 40 + 1, $"deleted {report.Total} rows");

            // Read while the host still runs: pooled connections are open and nothing has closed the database.
            var after = ReadFiles(path);
            Assert.Empty(Find(after, gone.Values));
            Assert.Empty(Find(after, gone.Hashes));
            // The scan finds what is there: everyone else's data is intact and readable in the same files.
            Assert.NotEmpty(Find(after, [kept.Email, kept.Name, kept.Sms]));
            Assert.NotEmpty(Find(after, [kept.Identities[0].Fingerprint]));
            Assert.NotNull(await sp.GetRequiredService<IProfileStore>().GetAsync(kept.Id));
        }
        SqliteConnection.ClearAllPools();
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(f);
        }
    }
}
