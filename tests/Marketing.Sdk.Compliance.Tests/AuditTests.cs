using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Compliance.Audit;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class AuditTests
{
    private static async Task<List<AuditEntry>> BuildLogAsync()
    {
        await using var host = await Host.CreateAsync();
        var store = host.Get<IAuditLogStore>();
        for (var i = 0; i < 6; i++)
        {
            await store.AppendAsync(new AuditRecord
            {
                RecordedAt = host.Time.GetUtcNow().AddMinutes(i),
                Actor = "svc",
                Action = i % 2 == 0 ? "consent.granted" : "dsr.erased",
                Subject = new CustomerId("c_" + i),
                Details = "purposes=email;n=" + i,
            });
        }
        var verification = await host.Get<AuditLogVerifier>().VerifyAsync();
        Assert.Equal(new AuditVerification(true, 6, null), verification);
        return await store.ReadAsync().ToListAsync();
    }

    [Fact]
    public async Task Verifier_catches_any_single_byte_change()
    {
        var entries = await BuildLogAsync();
        var fields = new[] { "actor", "action", "subject", "details", "hash", "previous" };
        var gen = from index in Gen.Choose(0, entries.Count - 1)
                  from field in Gen.Elements(fields)
                  from position in Gen.Choose(0, 1000)
                  from delta in Gen.Choose(1, 25)
                  select (index, field, position, delta);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var tampered = entries.ToList();
            var e = tampered[t.index];
            string Flip(string s) { var p = t.position % s.Length; var c = (char)('a' + ((s[p] - 'a' + t.delta) % 26 + 26) % 26); if (c == s[p]) { c = c == 'z' ? 'y' : (char)(c + 1); } return s[..p] + c + s[(p + 1)..]; }
            tampered[t.index] = t.field switch
            {
                "actor" => e with { Record = e.Record with { Actor = Flip(e.Record.Actor) } },
                "action" => e with { Record = e.Record with { Action = Flip(e.Record.Action) } },
                "subject" => e with { Record = e.Record with { Subject = new CustomerId(Flip(e.Record.Subject!.Value.Value)) } },
                "details" => e with { Record = e.Record with { Details = Flip(e.Record.Details!) } },
                "hash" => e with { Hash = Flip(e.Hash) },
                _ => e with { PreviousHash = Flip(e.PreviousHash) },
            };
            var result = AuditLogVerifier.VerifyAsync(tampered.ToAsyncEnumerable()).AsTask().GetAwaiter().GetResult();
            return !result.Intact && result.FirstBrokenSequence == t.index + 1;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task Verifier_catches_removal_reordering_and_time_changes()
    {
        var entries = await BuildLogAsync();
        Assert.Equal(3, (await AuditLogVerifier.VerifyAsync(entries.Where((_, i) => i != 2).ToAsyncEnumerable())).FirstBrokenSequence);
        var swapped = entries.ToList();
        (swapped[3], swapped[4]) = (swapped[4], swapped[3]);
        Assert.Equal(4, (await AuditLogVerifier.VerifyAsync(swapped.ToAsyncEnumerable())).FirstBrokenSequence);
        var retimed = entries.ToList();
        retimed[5] = retimed[5] with { Record = retimed[5].Record with { RecordedAt = retimed[5].Record.RecordedAt.AddTicks(1) } };
        Assert.Equal(6, (await AuditLogVerifier.VerifyAsync(retimed.ToAsyncEnumerable())).FirstBrokenSequence);
        Assert.True((await AuditLogVerifier.VerifyAsync(entries.ToAsyncEnumerable())).Intact);
    }
}
