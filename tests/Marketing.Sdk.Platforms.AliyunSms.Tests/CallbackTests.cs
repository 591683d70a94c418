using System.Text;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Tests.Sms;

namespace Marketing.Sdk.Platforms.AliyunSms.Tests;

public sealed class CallbackTests
{
    private static PlatformCallbackRequest Post(string body, string? token = "0123456789abcdef-token") => new("POST",
        token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["token"] = token },
        new Dictionary<string, string>(), Encoding.UTF8.GetBytes(body), "application/json");

    [Theory]
    [InlineData("TD")]
    [InlineData("t")]
    [InlineData(" 退订 ")]
    [InlineData("Ｔ")]
    public async Task An_unsubscribe_reply_suppresses_the_customer(string text)
    {
        await using var h = await Harness.StartAsync();
        var customer = await h.Identities.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId("c1"));
        var answer = await h.Handler.HandleAsync(Post($$"""[{"phone_number":"13800138000","send_time":"2026-03-02 10:00:00","content":"{{text}}","sign_name":"测试签名","dest_code":"1234","sequence_id":1}]"""));
        Assert.Equal(200, answer.StatusCode);
        Assert.Contains("\"code\":0", answer.Body, StringComparison.Ordinal);
        var entry = Assert.Single(h.Suppressions.Added);
        Assert.Equal(customer, entry.CustomerId);
        Assert.Equal(SuppressionReason.Unsubscribed, entry.Reason);
        Assert.Equal(h.Channel.Name, entry.Channel);
    }

    [Fact]
    public async Task Another_reply_suppresses_nobody()
    {
        await using var h = await Harness.StartAsync();
        await h.Identities.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId("c1"));
        await h.Handler.HandleAsync(Post("""[{"phone_number":"13800138000","content":"好的，谢谢","sequence_id":1}]"""));
        Assert.Empty(h.Suppressions.Added);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token-wrong-token")]
    public async Task A_push_without_the_token_is_refused(string? token)
    {
        await using var h = await Harness.StartAsync();
        await h.Identities.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId("c1"));
        var answer = await h.Handler.HandleAsync(Post("""[{"phone_number":"13800138000","content":"TD"}]""", token));
        Assert.Equal(401, answer.StatusCode);
        Assert.Empty(h.Suppressions.Added);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"phone_number\":\"13800138000\"}")]
    [InlineData("[null]")]
    public async Task A_malformed_push_is_refused(string body)
    {
        await using var h = await Harness.StartAsync();
        Assert.Equal(400, (await h.Handler.HandleAsync(Post(body))).StatusCode);
    }

    [Fact]
    public async Task Pushed_receipts_and_replies_arrive_over_real_HTTP()
    {
        await using var h = await Harness.StartAsync();
        await using var host = await CallbackHost.StartAsync(h.Handler);
        var customer = await h.Identities.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId("c1"));
        await h.Channel.SendAsync([Harness.Message("m1")]);
        h.Reporter.Known.Add("o:m1");
        h.Emulator.Deliver();
        var url = new Uri(host.Url + "?token=0123456789abcdef-token");
        Assert.Equal(200, await h.Emulator.PushReportsAsync(url));
        var report = Assert.Single(h.Reporter.Reports);
        Assert.Equal(("o:m1", ProviderMessageStatus.Delivered), (report.ProviderMessageId, report.Status));
        Assert.Equal(200, await h.Emulator.PushReplyAsync(url, "13800138000", "T"));
        Assert.Equal(customer, Assert.Single(h.Suppressions.Added).CustomerId);
        Assert.Equal(401, await h.Emulator.PushReplyAsync(host.Url, "13800138000", "T"));
    }
}
