using System.Text;
using System.Text.Json;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

/// <summary>The emulator's own wire checks, over raw HTTP (what a client that skipped the checks would meet).</summary>
public sealed class EmulatorTests
{
    private static string Events(int count, long eventTime, string hash) =>
        "{\"event_source\":\"web\",\"event_source_id\":\"P\",\"data\":["
        + string.Join(",", Enumerable.Range(0, count).Select(i => $"{{\"event\":\"CompletePayment\",\"event_time\":{eventTime},\"event_id\":\"r{i}\",\"user\":{{\"email\":\"{hash}\"}},\"properties\":{{\"value\":5,\"currency\":\"USD\"}}}}"))
        + "]}";

    private static async Task<JsonElement> PostAsync(TikTokHarness h, string body, string? token)
    {
        using var http = new HttpClient { BaseAddress = h.Emulator.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "open_api/v1.3/event/track/") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Add("Access-Token", token);
        }
        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task A_missing_token_answers_40104_and_a_wrong_one_40105()
    {
        await using var h = await TikTokHarness.StartAsync();
        var body = Events(1, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Data.Sha256("a@b.co"));

        Assert.Equal(40104, (await PostAsync(h, body, null)).GetProperty("code").GetInt32());
        Assert.Equal(40105, (await PostAsync(h, body, "nope")).GetProperty("code").GetInt32());
        var ok = await PostAsync(h, body, h.Emulator.AccessToken);
        Assert.Equal(0, ok.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(ok.GetProperty("request_id").GetString()));
    }

    [Fact]
    public async Task More_than_a_thousand_events_or_an_event_outside_the_window_fail_the_batch()
    {
        await using var h = await TikTokHarness.StartAsync();
        var hash = Data.Sha256("a@b.co");
        var now = DateTimeOffset.UtcNow;

        var tooMany = await PostAsync(h, Events(1001, now.ToUnixTimeSeconds(), hash), h.Emulator.AccessToken);
        var tooOld = await PostAsync(h, Events(2, now.AddDays(-8).ToUnixTimeSeconds(), hash), h.Emulator.AccessToken);
        var future = await PostAsync(h, Events(2, now.AddHours(2).ToUnixTimeSeconds(), hash), h.Emulator.AccessToken);
        var millis = await PostAsync(h, Events(1, now.ToUnixTimeMilliseconds(), hash), h.Emulator.AccessToken);

        Assert.All(new[] { tooMany, tooOld, future, millis }, r => Assert.Equal(40002, r.GetProperty("code").GetInt32()));
        Assert.Contains("1000", tooMany.GetProperty("message").GetString());
        Assert.Contains("older", tooOld.GetProperty("message").GetString());
        Assert.Contains("future", future.GetProperty("message").GetString());
        Assert.Empty(h.Emulator.AcceptedEvents);
        Assert.Equal(4, h.Emulator.RejectedBatches);
    }
}
