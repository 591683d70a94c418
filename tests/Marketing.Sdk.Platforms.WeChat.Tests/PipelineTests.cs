using Marketing.Sdk.Storage;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

/// <summary>AddWeCom inside AddMarketingSdk + AddMessaging, delivering to the emulator through the outbox.</summary>
public sealed class PipelineTests
{
    private static readonly CustomerId Alice = new("c_alice");

    private static async Task<(ServiceProvider Provider, WeComEmulator Emulator, FakeTimeProvider Time)> StartAsync(DateTimeOffset start)
    {
        var time = new FakeTimeProvider(start);
        var emulator = new WeComEmulator(new WeComEmulatorOptions { TimeProvider = time });
        await emulator.StartAsync();
        emulator.AddContact("sales-1", "wm-alice");
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services.AddMarketingSdk(m => m
            .AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.CustomerCap = null;
                o.DefaultChannelCap = null;
                o.QuietHoursStart = null;
                o.AddTemplate(Messages.Coupon);
            })
            .AddWeCom(o =>
            {
                o.BaseAddress = emulator.BaseAddress;
                o.CorpId = emulator.Options.CorpId;
                o.CorpSecret = emulator.Options.CorpSecret;
                o.AgentId = emulator.Options.AgentId;
                o.RequestsPerSecond = 0;
                o.MassResultPollInterval = TimeSpan.Zero;
                Messages.UseCouponText(o);
            }));
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.GetRequiredService<IProfileStore>().SaveAsync(new CustomerProfile
        {
            Id = Alice,
            Identities = [Identity.WeComExternalUserId("wm-alice"), Identity.WeChatUnionId("union-alice")],
            Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.PrivateDomainMessaging] = new(true, start) },
        });
        return (provider, emulator, time);
    }

    private static MessageRequest Coupon(string key) => new()
    {
        CustomerId = Alice,
        Channel = Channel.WeCom,
        TemplateId = Messages.Coupon.Id,
        Parameters = new Dictionary<string, string> { ["coupon_code"] = "CART10" },
        IdempotencyKey = key,
    };

    [Fact]
    public async Task The_fifth_mass_message_of_a_month_is_reported_suppressed_by_the_sender_and_a_new_month_sends_again()
    {
        var (provider, emulator, time) = await StartAsync(new DateTimeOffset(2026, 6, 2, 2, 0, 0, TimeSpan.Zero));
        await using var _ = provider;
        await using var __ = emulator;
        var sender = provider.GetRequiredService<IMessageSender>();
        var worker = provider.GetRequiredService<MessageDeliveryWorker>();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(MessageSendStatus.Sent, (await sender.SendAsync(Coupon($"cart-{i}"))).Status);
            await worker.DeliverOnceAsync(Channel.WeCom);
            time.Advance(TimeSpan.FromDays(2));
        }

        var fifth = await sender.SendAsync(Coupon("cart-4")); // the ledger answers with the channel's verdict
        Assert.Equal(MessageSendStatus.Suppressed, fifth.Status);
        Assert.Equal(MessageSkipReason.FrequencyCap, fifth.Reason);
        Assert.Equal(MessageSendStatus.Sent, (await sender.SendAsync(Coupon("cart-3"))).Status);
        Assert.Equal(4, emulator.Delivered.Count);

        time.SetUtcNow(new DateTimeOffset(2026, 6, 30, 17, 0, 0, TimeSpan.Zero)); // 1 July 01:00 in Shanghai
        await sender.SendAsync(Coupon("cart-july"));
        var round = await worker.DeliverOnceAsync(Channel.WeCom);

        Assert.Equal(1, round.Accepted);
        Assert.Equal(5, emulator.Delivered.Count);
        Marketing.Sdk.Tests.Shared.PiiLogAssert.NoPersonalData(provider.GetFakeLogCollector());
        Assert.DoesNotContain(provider.GetFakeLogCollector().GetSnapshot(), r => (r.Message ?? "").Contains("wm-alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_redelivered_by_the_outbox_reaches_the_customer_once_and_results_flow_back()
    {
        var (provider, emulator, _) = await StartAsync(new DateTimeOffset(2026, 6, 2, 2, 0, 0, TimeSpan.Zero));
        await using var _p = provider;
        await using var _e = emulator;
        var sender = provider.GetRequiredService<IMessageSender>();
        var worker = provider.GetRequiredService<MessageDeliveryWorker>();
        var channel = provider.GetRequiredService<WeComMassMessageChannel>();

        await sender.SendAsync(Coupon("cart-1"));
        await sender.SendAsync(Coupon("cart-1")); // the caller retried
        await worker.DeliverOnceAsync(Channel.WeCom);
        // A second worker that lost the first one's acknowledgement hands the same message to the channel again.
        var replay = await channel.SendAsync([Messages.Mass("wm-alice", MessageIdOf(provider))]);
        var poll = await provider.GetRequiredService<WeComMassMessageResults>().PollAsync();

        Assert.Equal(RecipientOutcome.Duplicate, replay[0].Outcome);
        Assert.Single(emulator.Delivered);
        Assert.Equal(1, poll.Delivered);
    }

    private static string MessageIdOf(ServiceProvider provider) =>
        provider.GetRequiredService<IMessageSender>().SendAsync(Coupon("cart-1")).AsTask().GetAwaiter().GetResult().MessageId;

    [Fact]
    public void AddWeCom_registers_both_channels_and_validates_its_options()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddMessaging().AddWeCom(o => { o.CorpId = "ww1"; o.CorpSecret = "s"; }).AddWeCom());
        using (var provider = services.BuildServiceProvider())
        {
            var channels = provider.GetServices<IMessageChannel>().Select(c => c.Name).ToList();
            Assert.Equal([Channel.WeCom, WeComAppMessageChannel.ChannelName], channels);
        }

        var invalid = new ServiceCollection();
        invalid.AddMarketingSdk(m => m.AddWeCom(o => o.MassTaskSize = 20_000));
        using var broken = invalid.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => broken.GetRequiredService<IOptions<WeComOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains(nameof(WeComOptions.CorpId), StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains(nameof(WeComOptions.MassTaskSize), StringComparison.Ordinal));
    }
}
