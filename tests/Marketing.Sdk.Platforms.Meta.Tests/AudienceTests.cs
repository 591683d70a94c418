using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class AudienceTests
{
    private static AudienceMember Member(int i, bool phone = true) => new(new CustomerId($"m{i}"), new CustomerMatchData
    {
        Email = $"Person.{i}@Example.com",
        Phone = phone ? $"(650)555-{i % 10000:D4}" : null,
        Country = "US",
        FirstName = "Ann",
        DateOfBirth = new DateOnly(1985, 12, 1),
    });

    [Fact]
    public async Task Members_are_added_and_removed_with_hashed_multi_key_rows()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var members = Enumerable.Range(0, 3).Select(i => Member(i)).ToList();

        var added = await client.SyncAsync(MetaScope.Audience, AudienceOperation.Add, members);

        Assert.Equal(new AudienceSyncResult(AudienceOperation.Add, 3, 0, 0, 1), added);
        var stored = scope.Emulator.AudienceMembers(MetaScope.Audience);
        Assert.Equal(3, stored.Count);
        var email = PlatformHasher.Hash(MatchField.Email, "person.0@example.com", HashingProfile.Meta);
        var phone = PlatformHasher.Sha256Hex("16505550000");
        var first = Assert.Single(stored, s => s.Contains(email, StringComparison.Ordinal));
        Assert.Contains($"PHONE={phone}", first, StringComparison.Ordinal);
        Assert.Contains($"DOBY={PlatformHasher.Sha256Hex("1985")}", first, StringComparison.Ordinal);
        Assert.Contains($"DOBM={PlatformHasher.Sha256Hex("12")}", first, StringComparison.Ordinal);
        Assert.Contains($"DOBD={PlatformHasher.Sha256Hex("01")}", first, StringComparison.Ordinal);
        Assert.Contains($"COUNTRY={PlatformHasher.Sha256Hex("us")}", first, StringComparison.Ordinal);

        var removed = await client.SyncAsync(MetaScope.Audience, AudienceOperation.Remove, [members[1]]);

        Assert.Equal(1, removed.Sent);
        Assert.Equal(2, scope.Emulator.AudienceMembers(MetaScope.Audience).Count);
    }

    [Fact]
    public async Task More_than_ten_thousand_rows_go_in_one_session()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var members = Enumerable.Range(0, 10_001).Select(i => Member(i, phone: false)).ToList();

        var result = await client.SyncAsync(MetaScope.Audience, AudienceOperation.Add, members);

        Assert.Equal(2, result.Requests);
        Assert.Equal(10_001, result.Sent);
        Assert.NotNull(result.SessionId);
        var session = scope.Emulator.GetSession(long.Parse(result.SessionId!, System.Globalization.CultureInfo.InvariantCulture))!;
        Assert.Equal(2, session.Batches);
        Assert.Equal(10_001, session.NumReceived);
        Assert.Equal(10_001, session.EstimatedNumTotal);
        Assert.True(session.Completed);
        Assert.Equal(10_001, scope.Emulator.AudienceMembers(MetaScope.Audience).Count);
    }

    [Fact]
    public async Task Replace_runs_in_a_session_and_leaves_only_the_new_members()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.AudienceBatchSize = 40);
        await client.SyncAsync(MetaScope.Audience, AudienceOperation.Add, [.. Enumerable.Range(0, 30).Select(i => Member(i))]);

        var replaced = await client.SyncAsync(MetaScope.Audience, AudienceOperation.Replace, [.. Enumerable.Range(20, 100).Select(i => Member(i))]);

        Assert.Equal(3, replaced.Requests);
        var session = scope.Emulator.GetSession(long.Parse(replaced.SessionId!, System.Globalization.CultureInfo.InvariantCulture))!;
        Assert.Equal("usersreplace", session.Edge);
        Assert.True(session.Completed);
        var stored = scope.Emulator.AudienceMembers(MetaScope.Audience);
        Assert.Equal(100, stored.Count);
        var gone = PlatformHasher.Hash(MatchField.Email, "person.0@example.com", HashingProfile.Meta);
        Assert.DoesNotContain(stored, s => s.Contains(gone, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Email_only_members_use_the_single_key_schema()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var members = Enumerable.Range(0, 5).Select(i => new AudienceMember(new CustomerId($"e{i}"), new CustomerMatchData { Email = $"e{i}@example.com" })).ToList();

        await client.SyncAsync(MetaScope.Audience, AudienceOperation.Add, members);

        Assert.All(scope.Emulator.AudienceMembers(MetaScope.Audience), m => Assert.StartsWith("EMAIL=", m, StringComparison.Ordinal));
        Assert.Equal(5, scope.Emulator.AudienceMembers(MetaScope.Audience).Count);
    }

    [Fact]
    public async Task Consent_is_checked_for_adds_but_not_for_removals_and_unusable_members_are_counted()
    {
        await using var scope = await MetaScope.StartAsync();
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance());
        await using var provider = services.BuildServiceProvider();
        var ledger = provider.GetRequiredService<ConsentLedger>();
        var gate = provider.GetRequiredService<IConsentGate>();
        var members = Enumerable.Range(0, 4).Select(i => Member(i)).ToList();
        members.Add(new AudienceMember(new CustomerId("m4"), new CustomerMatchData { Email = "not an email" }));
        foreach (var m in members.Where(m => m.CustomerId.Value != "m1"))
        {
            await ledger.RecordAsync(m.CustomerId, Conversions.MetaPurposes, true, Conversions.Web);
        }
        await ledger.RecordAsync(members[3].CustomerId, [ConsentPurpose.AdTargeting], false, Conversions.Web);
        var client = scope.Client(gate: gate);

        var added = await client.SyncAsync(MetaScope.Audience, AudienceOperation.Add, members);

        Assert.Equal(2, added.Sent);
        Assert.Equal(2, added.WithheldByConsent);
        Assert.Equal(1, added.Invalid);
        Assert.Equal(2, scope.Emulator.AudienceMembers(MetaScope.Audience).Count);

        var removed = await client.SyncAsync(MetaScope.Audience, AudienceOperation.Remove, [members[0], members[3]]);
        Assert.Equal(0, removed.WithheldByConsent);
        Assert.Equal(2, removed.Sent);
        Assert.Single(scope.Emulator.AudienceMembers(MetaScope.Audience));

        await Assert.ThrowsAsync<PlatformRequestException>(async () => await client.SyncAsync(MetaScope.Audience, AudienceOperation.Replace, [members[1]]));
        await Assert.ThrowsAsync<PlatformRequestException>(async () => await client.SyncAsync("not-an-id", AudienceOperation.Add, members));
    }

    [Fact]
    public async Task An_unknown_audience_is_reported_as_a_setup_problem()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SyncAsync("999", AudienceOperation.Add, [Member(1)]));

        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("100", ex.PlatformCode);
        Assert.Equal("33", ex.PlatformSubCode);
    }
}
