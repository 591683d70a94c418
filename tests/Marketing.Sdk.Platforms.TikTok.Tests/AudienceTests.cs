using System.Net.Http.Headers;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

public sealed class AudienceTests
{
    private static AudienceMember Member(string id, string? email, string? phone = null) =>
        new(new CustomerId(id), new CustomerMatchData { Email = email, Phone = phone });

    private static async Task<(ServiceProvider Provider, IConsentGate Gate)> ConsentAsync(params string[] granted)
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance());
        var provider = services.BuildServiceProvider();
        var ledger = provider.GetRequiredService<ConsentLedger>();
        foreach (var id in granted)
        {
            await Data.GrantAsync(ledger, new CustomerId(id), ConsentPurpose.AdTargeting);
        }
        return (provider, provider.GetRequiredService<IConsentGate>());
    }

    [Fact]
    public async Task Creating_an_audience_uploads_consented_hashed_members_with_an_MD5_signature()
    {
        await using var h = await TikTokHarness.StartAsync();
        var (provider, gate) = await ConsentAsync("a", "b", "c", "d");
        await using var _ = provider;
        var client = h.Client(gate: gate);

        var created = await client.CreateAudienceAsync("Loyal buyers",
        [
            Member("a", " Ann@Example.com "),
            Member("b", "bob@example.com"),
            Member("c", null, "+8613812345678"),
            Member("d", "not-an-email"),
            Member("e", "eve@example.com"),
            Member("a", "ann@example.com"),
        ], retentionInDays: 180);

        var audience = h.Emulator.GetAudience(created.AudienceId)!;
        Assert.Equal("Loyal buyers", audience.Name);
        Assert.Equal("EMAIL_SHA256", audience.CalculateType);
        Assert.Equal(new[] { Data.Sha256("ann@example.com"), Data.Sha256("bob@example.com") }.Order(), audience.Members.Order());
        Assert.Equal(2, created.Upload.Sent);
        Assert.Equal(2, created.Upload.Invalid);
        Assert.Equal(1, created.Upload.WithheldByConsent);
        Assert.Equal(2, created.Upload.Requests);
        Assert.Equal(1, h.Emulator.UploadedFiles);
    }

    [Fact]
    public async Task Add_remove_and_replace_change_the_members()
    {
        await using var h = await TikTokHarness.StartAsync();
        var (provider, gate) = await ConsentAsync("a", "b", "c");
        await using var _ = provider;
        var client = h.Client(o => o.AudienceMatchKey = TikTokAudienceMatchKey.Phone, gate: gate);
        h.Emulator.AddAudience(TikTokHarness.Advertiser, "aud-1", "PHONE_SHA256", [Data.Sha256("+10000000000")]);
        var a = Member("a", null, "+1 650 555 0001");
        var b = Member("b", null, "+1 650 555 0002");
        var c = Member("c", null, "+1 650 555 0003");

        var added = await client.SyncAsync("aud-1", AudienceOperation.Add, [a, b]);
        Assert.Equal(3, h.Emulator.GetAudience("aud-1")!.Members.Count);
        await client.SyncAsync("aud-1", AudienceOperation.Remove, [a]);
        Assert.Equal(new[] { Data.Sha256("+10000000000"), Data.Sha256("+16505550002") }.Order(), h.Emulator.GetAudience("aud-1")!.Members.Order());
        await client.SyncAsync("aud-1", AudienceOperation.Replace, [c]);

        Assert.Equal([Data.Sha256("+16505550003")], h.Emulator.GetAudience("aud-1")!.Members);
        Assert.Equal(3, h.Emulator.GetAudience("aud-1")!.Updates);
        Assert.Equal(2, added.Sent);
        Assert.Equal(2, added.Requests);
    }

    [Fact]
    public async Task Large_lists_are_uploaded_as_several_files_in_one_update()
    {
        await using var h = await TikTokHarness.StartAsync();
        var ids = Enumerable.Range(0, 25).Select(i => $"m{i}").ToArray();
        var (provider, gate) = await ConsentAsync(ids);
        await using var _ = provider;
        var client = h.Client(o => o.AudienceMembersPerFile = 10, gate: gate);
        h.Emulator.AddAudience(TikTokHarness.Advertiser, "aud-2", "EMAIL_SHA256", []);

        var result = await client.SyncAsync("aud-2", AudienceOperation.Add, [.. ids.Select(id => Member(id, id + "@example.com"))]);

        Assert.Equal(25, result.Sent);
        Assert.Equal(4, result.Requests);
        Assert.Equal(3, h.Emulator.UploadedFiles);
        Assert.Equal(25, h.Emulator.GetAudience("aud-2")!.Members.Count);
    }

    [Fact]
    public async Task Members_without_consent_are_never_sent()
    {
        await using var h = await TikTokHarness.StartAsync();
        var (provider, gate) = await ConsentAsync();
        await using var _ = provider;
        var client = h.Client(gate: gate);

        var result = await client.SyncAsync("aud-3", AudienceOperation.Add, [Member("x", "x@example.com")]);

        Assert.Equal(new AudienceSyncResult(AudienceOperation.Add, 0, 0, 1, 0), result);
        Assert.Equal(0, h.Emulator.RequestCount);
        await Assert.ThrowsAsync<PlatformRequestException>(() => client.CreateAudienceAsync("n", [Member("x", "x@example.com")]).AsTask());
    }

    [Fact]
    public async Task The_emulator_refuses_a_file_whose_signature_is_not_its_MD5()
    {
        await using var h = await TikTokHarness.StartAsync();
        using var http = new HttpClient { BaseAddress = h.Emulator.BaseAddress };
        var file = TikTokPlatformClient.BuildAudienceFile([Data.Sha256("a@b.co")]);

        async Task<string> UploadAsync(string signature)
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent(TikTokHarness.Advertiser), "advertiser_id" },
                { new StringContent("EMAIL_SHA256"), "calculate_type" },
                { new StringContent(signature), "file_signature" },
            };
            var content = new ByteArrayContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(content, "file", "a.csv");
            using var request = new HttpRequestMessage(HttpMethod.Post, "open_api/v1.3/dmp/custom_audience/file/upload/") { Content = form };
            request.Headers.Add("Access-Token", h.Emulator.AccessToken);
            using var response = await http.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }

        Assert.Contains("\"code\":40002", await UploadAsync(new string('0', 32)));
        Assert.Contains("file_signature", await UploadAsync(new string('0', 32)));
        var ok = await UploadAsync(TikTokPlatformClient.FileSignature(file));
        Assert.Contains("\"code\":0", ok);
        Assert.Contains("file_path", ok);
        Assert.Equal(1, h.Emulator.UploadedFiles);
    }

    [Fact]
    public void The_file_signature_is_the_MD5_of_the_file_bytes()
    {
        // RFC 1321 test suite: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        Assert.Equal("900150983cd24fb0d6963f7d28e17f72", TikTokPlatformClient.FileSignature("abc"u8));
    }
}
