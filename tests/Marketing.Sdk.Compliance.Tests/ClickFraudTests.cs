using Marketing.Sdk.Compliance.ClickFraud;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class ClickFraudTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

    [Fact]
    public void Flags_the_sixth_click_from_one_ip_on_one_ad_in_a_day()
    {
        var d = new ClickFraudDetector(Options.Create(new ClickFraudOptions()));
        var verdicts = Enumerable.Range(0, 7).Select(i => d.Evaluate(new AdClick("c" + i, "ad1", "10.0.0.1", Chrome, T0.AddMinutes(i * 30)))).ToList();
        Assert.All(verdicts.Take(5), v => Assert.False(v.IsSuspicious));
        Assert.All(verdicts.Skip(5), v => Assert.Equal(ClickFraudFlags.IpDailyLimit, v.Flags));
        Assert.False(d.Evaluate(new AdClick("o", "ad2", "10.0.0.1", Chrome, T0.AddHours(5))).IsSuspicious);
        Assert.False(d.Evaluate(new AdClick("n", "ad1", "10.0.0.1", Chrome, T0.AddDays(1))).IsSuspicious);
    }

    [Fact]
    public void Flags_bursts_bots_and_inhuman_conversions()
    {
        var d = new ClickFraudDetector(Options.Create(new ClickFraudOptions()));
        Assert.False(d.Evaluate(new AdClick("a", "ad1", "10.0.0.2", Chrome, T0)).IsSuspicious);
        Assert.False(d.Evaluate(new AdClick("b", "ad2", "10.0.0.2", Chrome, T0.AddSeconds(2))).IsSuspicious);
        Assert.Equal(ClickFraudFlags.Burst, d.Evaluate(new AdClick("c", "ad3", "10.0.0.2", Chrome, T0.AddSeconds(4))).Flags);
        Assert.False(d.Evaluate(new AdClick("d", "ad4", "10.0.0.2", Chrome, T0.AddMinutes(5))).IsSuspicious);
        var bot = d.Evaluate(new AdClick("e", "ad1", "10.0.0.3", "Mozilla/5.0 (compatible; Googlebot/2.1)", T0));
        Assert.Equal(ClickFraudFlags.BotUserAgent, bot.Flags);
        Assert.Equal(EventFlags.SuspectedBot, bot.ToEventFlags());
        Assert.True(d.IsBot(null));
        Assert.Equal(ClickFraudFlags.InhumanConversionTime, d.EvaluateConversion("x", T0, T0.AddSeconds(1)).Flags);
        Assert.Equal(ClickFraudFlags.None, d.EvaluateConversion("x", T0, T0.AddMinutes(2)).Flags);
        Assert.DoesNotContain("10.0.0.3", new AdClick("e", "ad1", "10.0.0.3", null, T0).ToString());
    }
}
