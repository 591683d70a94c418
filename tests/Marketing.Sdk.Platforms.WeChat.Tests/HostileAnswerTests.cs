using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

public sealed class HostileAnswerTests
{
    public static TheoryData<string> BadBodies => ["", "{", "[]", "null", "{\"errcode\":\"zero\"}", "{\"errmsg\":\"ok\"}", "{\"errcode\":0}", "{\"errcode\":0,\"follow_user\":{}}",
        "{\"errcode\":0,\"follow_user\":[null]}", "{\"errcode\":0,\"follow_user\":[\"a\\u0000b\"]}", "{\"errcode\":99999999999999999999}"];

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_answer_is_a_typed_error(string body)
    {
        await using var harness = await WeComHarness.StartAsync();
        var (client, _) = harness.Client(handler: StubHandler.WithToken(body));

        await Assert.ThrowsAnyAsync<PlatformException>(() => client.GetFollowUsersAsync());
    }

    [Theory]
    [InlineData("{\"errcode\":0,\"external_contact_list\":[{\"external_contact\":{},\"follow_info\":{\"userid\":\"u\"}}]}")]
    [InlineData("{\"errcode\":0,\"external_contact_list\":[null]}")]
    [InlineData("{\"errcode\":0,\"external_contact_list\":{}}")]
    [InlineData("{\"errcode\":0,\"external_contact_list\":[],\"next_cursor\":5}")]
    public async Task A_bad_contact_page_is_a_typed_error(string body)
    {
        await using var harness = await WeComHarness.StartAsync();
        var (client, _) = harness.Client(handler: StubHandler.WithToken(body));

        await Assert.ThrowsAnyAsync<PlatformException>(() => client.GetContactsByUserAsync(["u"]));
    }

    [Fact]
    public async Task A_huge_answer_is_a_typed_error_not_a_memory_blowup()
    {
        await using var harness = await WeComHarness.StartAsync();
        var huge = new string('x', 6 * 1024 * 1024);
        var (client, _) = harness.Client(o => o.MaxResponseBytes = 1024 * 1024, handler: StubHandler.WithToken("{\"errcode\":0,\"follow_user\":[\"" + huge + "\"]}"));

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
    }

    [Theory]
    [InlineData("{\"errcode\":0}")]
    [InlineData("{\"errcode\":0,\"access_token\":\"\",\"expires_in\":7200}")]
    [InlineData("{\"errcode\":0,\"access_token\":\"t\",\"expires_in\":-5}")]
    [InlineData("<html>")]
    public async Task A_bad_token_answer_is_a_typed_error(string body)
    {
        await using var harness = await WeComHarness.StartAsync();
        var handler = new StubHandler(_ => (HttpStatusCode.OK, StubHandler.Json(body)));
        var (client, _) = harness.Client(handler: handler);

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.FetchAccessTokenAsync());

        Assert.Equal(PlatformApiClient.MalformedAnswerCode, error.PlatformCode);
    }

    [Fact]
    public async Task A_truncated_answer_from_the_emulator_is_a_typed_error()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        await client.GetFollowUsersAsync();
        harness.Emulator.Faults = new Testing.Emulators.FaultOptions { MalformedRate = 1 };

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
    }

    [Fact]
    public async Task An_error_message_from_WeCom_is_not_echoed()
    {
        await using var harness = await WeComHarness.StartAsync();
        var (client, _) = harness.Client(handler: StubHandler.WithToken("{\"errcode\":84061,\"errmsg\":\"no relation with wm-secret-customer\"}"));

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.DoesNotContain("wm-secret-customer", error.Message, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetBytes("84061"), Encoding.UTF8.GetBytes(error.PlatformCode!));
    }
}
