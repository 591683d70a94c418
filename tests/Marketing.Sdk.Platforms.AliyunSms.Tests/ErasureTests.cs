using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.AliyunSms.Tests;

public sealed class ErasureTests
{
    private static async Task<List<StateEntry>> EntriesAsync(IStateStore store)
    {
        var all = new List<StateEntry>();
        foreach (var scope in new[] { "sms.sent", "sms.flow" })
        {
            await foreach (var entry in store.StreamAsync(scope))
            {
                all.Add(entry);
            }
        }
        return all;
    }

    [Fact]
    public async Task Erasing_a_customer_removes_their_numbers_from_the_ledger_and_the_flow_limits_and_nothing_else()
    {
        await using var h = await Harness.StartAsync();
        await h.Channel.SendAsync([Harness.Message("m1", "+8613800138000"), Harness.Message("m2", "+8613900139000")]);
        var before = await EntriesAsync(h.Store);
        Assert.Contains(before, e => e.Value.Contains("13800138000", StringComparison.Ordinal));
        Assert.Contains(before, e => e.Key.EndsWith(SmsPhone.Tag("+8613800138000", 64), StringComparison.Ordinal));
        var eraser = new SmsDataEraser(h.Store, () => [h.Channel]);

        // The profile holds the number in national form; the channel reads it in its default region (CN).
        var deleted = await eraser.EraseAsync(new CustomerId("c-m1"), [Identity.Phone("138 0013 8000"), Identity.Email("a@example.com")]);

        var after = await EntriesAsync(h.Store);
        Assert.Equal(2, deleted);
        Assert.Equal(before.Count - 2, after.Count);
        Assert.DoesNotContain(after, e => e.Value.Contains("13800138000", StringComparison.Ordinal) || e.Key.Contains(SmsPhone.Tag("+8613800138000", 64), StringComparison.Ordinal));
        Assert.Contains(after, e => e.Value.Contains("13900139000", StringComparison.Ordinal));
        Assert.Equal(0, await eraser.EraseAsync(new CustomerId("c-m1"), [Identity.Phone("+8613800138000")]));
    }

    [Fact]
    public void The_SMS_packages_register_one_eraser()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddAliyunSms(o => { o.AccessKeyId = "id"; o.AccessKeySecret = "secret"; o.SignName = "测试签名"; }).AddAliyunSms());
        using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IPersonalDataEraser>(), e => e.Name == "sms.state");
        Assert.IsType<AliyunSmsChannel>(Assert.Single(provider.GetServices<IMessageChannel>()));
    }
}
