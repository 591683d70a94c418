using Marketing.Sdk.Compliance.Consent;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

internal sealed class DenyCustomer(string denied) : IConsentGate
{
    public ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default)
    {
        var ids = customerIds.Distinct().ToList();
        Assert.Equal(ConsentPurpose.AdTargeting, purpose);
        Assert.Equal(Channel.OceanEngine, destination);
        return ValueTask.FromResult(new ConsentFilterResult(
            [.. ids.Where(i => i.Value != denied)],
            [.. ids.Where(i => i.Value == denied).Select(i => new ConsentDecision(i, purpose, destination, false, ConsentDecisionReason.NoRecord, purpose, "test"))]));
    }
}

public sealed class AudienceTests
{
    [Fact]
    public async Task A_data_source_is_created_appended_to_reduced_and_reset_with_signed_protobuf_files()
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client(gate: new DenyCustomer("c3"));

        var id = await client.CreateDataSourceAsync("复购人群", [Data.Member("c1", "+86 135 0000 0000"), Data.Member("c2", "13600000000")]);
        Assert.Equal(2, h.Emulator.GetDataSource(id)!.Members.Count);
        Assert.Contains(Data.PhoneSha256, h.Emulator.GetDataSource(id)!.Members);

        var added = await client.SyncAsync(id, AudienceOperation.Add, [Data.Member("c3", "13700000000"), Data.Member("c4", "13800000000"), Data.Member("c5", "+1 415 555 0100"), Data.Member("c6", null)]);
        Assert.Equal((1, 2, 1), (added.Sent, added.Invalid, added.WithheldByConsent));
        Assert.Equal(3, h.Emulator.GetDataSource(id)!.Members.Count);

        var removed = await client.SyncAsync(id, AudienceOperation.Remove, [Data.Member("c1", "13500000000")]);
        Assert.Equal(1, removed.Sent);
        Assert.DoesNotContain(Data.PhoneSha256, h.Emulator.GetDataSource(id)!.Members);

        await client.SyncAsync(id, AudienceOperation.Replace, [Data.Member("c1", "13500000000")]);
        Assert.Equal([Data.PhoneSha256], h.Emulator.GetDataSource(id)!.Members);
        Assert.Equal(0, h.Emulator.BadSignatures);
    }

    [Fact]
    public async Task Large_lists_are_split_into_several_files_and_lines_of_at_most_10000_ids()
    {
        await using var h = await OceanHarness.StartAsync();
        var id = h.Emulator.AddDataSource(OceanHarness.Advertiser);
        var client = h.Client(o => o.AudienceMembersPerFile = 12_000);
        var members = Enumerable.Range(0, 25_000).Select(i => Data.Member("c" + i, "139" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture))).ToList();

        var result = await client.SyncAsync(id, AudienceOperation.Add, members);

        Assert.Equal(25_000, result.Sent);
        Assert.Equal(4, result.Requests); // 3 files + the update
        Assert.Equal(25_000, h.Emulator.GetDataSource(id)!.Members.Count);
    }

    [Fact]
    public async Task A_file_whose_signature_is_not_its_MD5_is_refused_by_the_emulator()
    {
        await using var h = await OceanHarness.StartAsync();
        var http = h.Http();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(OceanHarness.Advertiser), "advertiser_id" },
            { new StringContent("00000000000000000000000000000000"), "file_signature" },
            { new ByteArrayContent(OceanEngineDmpFile.Build([Data.PhoneSha256])), "file", "a.zip" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "open_api/2/dmp/data_source/file/upload/") { Content = form };
        request.Headers.Add("Access-Token", h.Emulator.Options.AccessToken);

        var answer = await (await http.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.Contains("\"code\":40002", answer, StringComparison.Ordinal);
        Assert.Equal(1, h.Emulator.BadSignatures);
    }

    [Fact]
    public async Task The_audience_is_published_then_pushed_to_other_advertisers()
    {
        await using var h = await OceanHarness.StartAsync();
        var id = h.Emulator.AddDataSource(OceanHarness.Advertiser);
        var audience = h.Emulator.GetDataSource(id)!.CustomAudienceId;
        var client = h.Client();

        await client.PublishAudienceAsync(audience, ["1600000000000002", "1600000000000003"]);

        var source = h.Emulator.GetDataSource(id)!;
        Assert.True(source.Published);
        Assert.Equal(2, source.PushedTo.Count);
        await Assert.ThrowsAsync<PlatformApiException>(() => client.PublishAudienceAsync("123456").AsTask());
    }

    [Fact]
    public void The_file_is_deterministic_protobuf_in_a_zip()
    {
        var a = OceanEngineDmpFile.Build([Data.PhoneSha256]);
        var b = OceanEngineDmpFile.Build([Data.PhoneSha256]);
        Assert.Equal(a, b); // same ids, same bytes, same signature

        // DmpData{idList=[IdItem{dataType=6, id=…}]}: 0a 44 | 10 06 | 1a 40 <64 bytes>
        var message = OceanEngineDmpFile.DmpData([Data.PhoneSha256], OceanEngineDmpFile.MobileHashSha256);
        Assert.Equal(new byte[] { 0x0a, 0x44, 0x10, 0x06, 0x1a, 0x40 }, message[..6]);
        Assert.Equal(70, message.Length);
    }
}
