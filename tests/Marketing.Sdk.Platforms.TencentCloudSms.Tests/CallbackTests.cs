using System.Text;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Tests.Sms;

namespace Marketing.Sdk.Platforms.TencentCloudSms.Tests;

public sealed class CallbackTests
{
    private static PlatformCallbackRequest Post(string body, string? token = "0123456789abcdef-token") => new("POST",
        token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["token"] = token },
        new Dictionary<string, string>(), Encoding.UTF8.GetBytes(body), "application/json");

    [Theory]
    [InlineData("T")]
    [InlineData("td")]
    [InlineData("退订")]
    public async Task An_unsubscribe_reply_suppresses_the_customer(string text)
    {
        await using var h = await Harness.StartAsync();
        var customer = await h.Identities.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId("c1"));
        var answer = await h.Handler.HandleAsync(Post($$"""{"extend":"","mobile":"13800138000","nationcode":"86","sign":"测试签名","text":"{{text}}","time":1457336869}"""));
        Assert.Equal(200, answer.StatusCode);
        Assert.Contains("\"result\":0", answer.Body, StringComparison.Ordinal);
        var entry = Assert.Single(h.Suppressions.Added);
        Assert.Equal((customer, SuppressionReason.Unsubscribed), (entry.CustomerId, entry.Reason));
    }

    [Fact]
    public async Task A_status_callback_becomes_delivery_status()
    {
        await using var h = await Harness.StartAsync();
        h.Reporter.Known.Add("2433:1");
        var answer = await h.Handler.HandleAsync(Post("""[{"user_receive_time":"2026-03-02 10:03:04","nationcode":"86","mobile":"13800138000","report_status":"FAIL","errmsg":"MK:0005","description":"x","sid":"2433:1"}]"""));
        Assert.Equal(200, answer.StatusCode);
        var report = Assert.Single(h.Reporter.Reports);
        Assert.Equal(("2433:1", ProviderMessageStatus.Failed, "MK:0005"), (report.ProviderMessageId, report.Status, report.Code));
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("wrong-token-wrong-token", 401)]
    public async Task A_callback_without_the_token_is_refused(string? token, int status)
    {
        await using var h = await Harness.StartAsync();
        await h.Identities.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId("c1"));
        Assert.Equal(status, (await h.Handler.HandleAsync(Post("""{"mobile":"13800138000","nationcode":"86","text":"T"}""", token))).StatusCode);
        Assert.Empty(h.Suppressions.Added);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"text\":\"T\"}")]
    [InlineData("[null]")]
    public async Task A_malformed_callback_is_refused(string body)
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
        var sent = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")]));
        h.Reporter.Known.Add(sent.ProviderMessageId!);
        h.Emulator.Deliver();
        var url = new Uri(host.Url + "?token=0123456789abcdef-token");
        Assert.Equal(200, await h.Emulator.PushReportsAsync(url));
        Assert.Equal((sent.ProviderMessageId, ProviderMessageStatus.Delivered), (Assert.Single(h.Reporter.Reports).ProviderMessageId, h.Reporter.Reports.Single().Status));
        Assert.Equal(200, await h.Emulator.PushReplyAsync(url, "13800138000", "TD"));
        Assert.Equal(customer, Assert.Single(h.Suppressions.Added).CustomerId);
        Assert.Equal(401, await h.Emulator.PushReplyAsync(host.Url, "13800138000", "TD"));
    }
}
