using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class AudienceTests
{
    private static AudienceMember Member(string id, string? phone) => new(new CustomerId(id), new CustomerMatchData { Phone = phone });

    [Fact]
    public async Task Members_with_consent_are_appended_and_reduced_as_md5_phone_files()
    {
        await using var h = await TencentHarness.StartAsync();
        h.Emulator.AddAudience("5001");
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance());
        await using var sp = services.BuildServiceProvider();
        var ledger = sp.GetRequiredService<ConsentLedger>();
        foreach (var id in new[] { "a", "b", "c" })
        {
            foreach (var p in new[] { ConsentPurpose.AdTargeting, ConsentPurpose.ThirdPartySharing })
            {
                await ledger.GrantAsync(new CustomerId(id), p, Data.Web);
            }
        }
        var client = h.Client(gate: sp.GetRequiredService<IConsentGate>());

        var added = await client.SyncAsync("5001", AudienceOperation.Add,
            [Member("a", "13500000000"), Member("b", "+86 139 0000 0001"), Member("c", "not a phone"), Member("d", "13700000000"), Member("a", "13500000000")]);

        Assert.Equal((2, 1, 1, 1), (added.Sent, added.Invalid, added.WithheldByConsent, added.Requests));
        Assert.Equal(new HashSet<string> { TencentAdsHashing.HashPhone("13500000000"), TencentAdsHashing.HashPhone("13900000001") }, h.Emulator.GetAudience("5001"));

        var removed = await client.SyncAsync("5001", AudienceOperation.Remove, [Member("a", "13500000000")]);

        Assert.Equal(1, removed.Sent);
        Assert.Equal(new HashSet<string> { TencentAdsHashing.HashPhone("13900000001") }, h.Emulator.GetAudience("5001"));
    }

    [Fact]
    public async Task Replace_is_refused_because_Tencent_files_only_append_or_reduce()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();

        await Assert.ThrowsAsync<PlatformRequestException>(() => client.SyncAsync("5001", AudienceOperation.Replace, [Member("a", "13500000000")]).AsTask());
        Assert.Equal(0, h.Emulator.RequestCount);
    }

    [Fact]
    public async Task Large_lists_upload_several_files()
    {
        await using var h = await TencentHarness.StartAsync();
        h.Emulator.AddAudience("5002");
        var client = h.Client(o => o.AudienceMembersPerFile = 2);

        var result = await client.SyncAsync("5002", AudienceOperation.Add, [.. Enumerable.Range(0, 5).Select(i => Member("m" + i, "1350000000" + i))]);

        Assert.Equal((5, 3), (result.Sent, result.Requests));
        Assert.Equal(5, h.Emulator.GetAudience("5002")!.Count);
    }
}
