using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Google;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class AudienceTests
{
    private const string List = "777000";

    private static AudienceMember Member(string id, string email, string? phone = null, string? country = null) =>
        new(new CustomerId(id), new CustomerMatchData { Email = email, Phone = phone, Country = country });

    [Fact]
    public async Task Add_sends_only_consented_members_with_granted_consent_and_hashed_identifiers()
    {
        await using var env = await GoogleEnv.CreateAsync();
        await env.GrantAllAsync(new CustomerId("c1"));
        await env.GrantAllAsync(new CustomerId("c2"));
        var sync = env.Provider.GetRequiredKeyedService<IAudienceSync>("google");

        var result = await sync.SyncAsync(List, AudienceOperation.Add,
        [
            Member("c1", "Jane.Doe+promo@GMail.com", "(800)555-0100", "US"),
            Member("c2", "bob@example.com"),
            Member("c3", "carol@example.com"), // no consent record: withheld
        ]);

        Assert.Equal(new AudienceSyncResult(AudienceOperation.Add, 2, 0, 1, 1), result);
        var members = env.Emulator.AudienceMembers(List);
        Assert.Contains("email:" + PlatformHasher.Sha256Hex("janedoe@gmail.com"), members);
        Assert.Contains("phone:" + PlatformHasher.Sha256Hex("+18005550100"), members);
        Assert.Contains("email:" + PlatformHasher.Sha256Hex("bob@example.com"), members);
        Assert.DoesNotContain("email:" + PlatformHasher.Sha256Hex("carol@example.com"), members);
        Assert.Equal(0, env.Emulator.AudienceMembersWithoutConsent);
    }

    [Fact]
    public async Task Remove_needs_no_consent_so_a_withdrawal_reaches_Google()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var c1 = new CustomerId("c1");
        await env.GrantAllAsync(c1);
        await env.Client.SyncAsync(List, AudienceOperation.Add, [Member("c1", "a@example.com")]);
        await env.Ledger.WithdrawAsync(c1, ConsentPurpose.AdTargeting, GoogleEnv.Web);

        var result = await env.Client.SyncAsync(List, AudienceOperation.Remove, [Member("c1", "a@example.com")]);

        Assert.Equal(1, result.Sent);
        Assert.Equal(0, result.WithheldByConsent);
        Assert.Empty(env.Emulator.AudienceMembers(List));
    }

    [Fact]
    public async Task Large_lists_are_split_into_requests_of_10000()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var members = Enumerable.Range(0, 10_001).Select(i => Member("c" + i, $"user{i}@example.com")).ToList();
        var result = await env.Client.SyncAsync(List, AudienceOperation.Remove, members);
        Assert.Equal(10_001, result.Sent);
        Assert.Equal(2, result.Requests);
    }

    [Fact]
    public async Task Members_without_a_usable_identifier_count_as_invalid()
    {
        await using var env = await GoogleEnv.CreateAsync();
        await env.GrantAllAsync(new CustomerId("c1"));
        await env.GrantAllAsync(new CustomerId("c2"));
        var result = await env.Client.SyncAsync(List, AudienceOperation.Add, [Member("c1", "not-an-email"), Member("c2", "ok@example.com")]);
        Assert.Equal(1, result.Invalid);
        Assert.Equal(1, result.Sent);
    }

    [Fact]
    public async Task Replace_is_refused_naming_the_operation()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var ex = await Assert.ThrowsAsync<PlatformRequestException>(async () => await env.Client.SyncAsync(List, AudienceOperation.Replace, [Member("c1", "a@example.com")]));
        Assert.Equal("Replace", ex.Field);
        Assert.Contains("remove-all", ex.Reason);
        Assert.Equal(0, env.Emulator.RequestCount);
    }

    [Fact]
    public async Task Uploads_need_the_Customer_Match_terms()
    {
        await using var env = await GoogleEnv.CreateAsync(o => o.CustomerMatchTermsAccepted = false);
        var ex = await Assert.ThrowsAsync<PlatformRequestException>(async () => await env.Client.SyncAsync(List, AudienceOperation.Add, [Member("c1", "a@example.com")]));
        Assert.Equal("termsOfService", ex.Field);
    }

    [Fact]
    public async Task A_non_numeric_list_id_is_refused()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var ex = await Assert.ThrowsAsync<PlatformRequestException>(async () => await env.Client.SyncAsync("list-a", AudienceOperation.Remove, [Member("c1", "a@example.com")]));
        Assert.Equal("audienceId", ex.Field);
    }
}
