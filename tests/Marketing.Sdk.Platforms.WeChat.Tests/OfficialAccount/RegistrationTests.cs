using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

public sealed class RegistrationTests
{
    [Fact]
    public async Task The_registration_adds_the_client_the_token_provider_and_both_channels()
    {
        await using var h = await OaHarness.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(h.Time);
        services.AddMarketingSdk(m => m.AddWeChatOfficialAccount(o =>
        {
            o.BaseAddress = h.Emulator.BaseAddress;
            o.AppId = h.Emulator.AppId;
            o.AppSecret = h.Emulator.AppSecret;
        }).AddWeChatOfficialAccount(o => o.MessagesPerCall = 5));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var channels = provider.GetServices<IMessageChannel>().ToList();
        Assert.Equal(["wechat", "wechat_subscribe"], channels.Select(c => c.Name.Value).Order());
        Assert.All(channels, c => Assert.Equal(5, c.MaxBatchSize));
        Assert.Same(provider.GetRequiredService<OfficialAccountTokenProvider>(), provider.GetRequiredKeyedService<IAccessTokenProvider>(OfficialAccountClient.PlatformId));
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var page = await provider.GetRequiredService<OfficialAccountClient>().GetFollowerPageAsync();
        Assert.Single(page.OpenIds);
    }

    [Fact]
    public void Missing_credentials_fail_at_start_naming_the_setting_never_the_secret()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddWeChatOfficialAccount(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OA:AppSecret"] = "s3cr3t-value",
            ["OA:TemplateChannelName"] = "Bad Name",
        }).Build().GetSection("OA")));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<OfficialAccountOptions>>().Value);

        Assert.Contains("AppId is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("TemplateChannelName", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", new OfficialAccountOptions { AppId = "wx1", AppSecret = "s3cr3t-value" }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_review_request_sent_through_messaging_reaches_the_follower_once()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(7), null)]);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(h.Time);
        services.AddMarketingSdk(m => m
            .AddWeChatOfficialAccount(o =>
            {
                o.BaseAddress = h.Emulator.BaseAddress;
                o.AppId = h.Emulator.AppId;
                o.AppSecret = h.Emulator.AppSecret;
            })
            .AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.QuietHoursStart = null;
                o.Templates.Add(OaData.Template(Channel.WeChat) with { DefaultPurpose = MessagePurpose.Transactional });
            }));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var tracked = await provider.GetRequiredService<IEventCollector>().TrackAsync(new MarketingEvent
        {
            Id = "follow-7",
            Type = EventType.Create("wechat_follower_synced"),
            OccurredAt = h.Time.GetUtcNow(),
            Identities = [Identity.WeChatOpenId(OaData.OpenId(7))],
        });
        var sender = provider.GetRequiredService<IMessageSender>();
        var request = new MessageRequest
        {
            CustomerId = tracked.CustomerId!.Value,
            Channel = Channel.WeChat,
            TemplateId = "review-request",
            Parameters = new Dictionary<string, string> { ["thing1"] = "How was your order?", ["character_string2"] = "SO-7" },
            IdempotencyKey = "order-7:review",
        };

        var sent = await sender.SendAsync(request);
        var round = await provider.GetRequiredService<MessageDeliveryWorker>().DeliverOnceAsync(Channel.WeChat);
        var repeated = await sender.SendAsync(request);
        await provider.GetRequiredService<MessageDeliveryWorker>().DeliverOnceAsync(Channel.WeChat);

        Assert.Equal(MessageSendStatus.Sent, sent.Status);
        Assert.Equal(1, round.Accepted);
        Assert.Equal(sent.MessageId, repeated.MessageId);
        var delivered = Assert.Single(h.Emulator.SentMessages);
        Assert.Equal((OaData.OpenId(7), sent.MessageId), (delivered.OpenId, delivered.ClientMsgId));
    }

    [Fact]
    public async Task The_documented_setup_registers_the_review_template_on_the_channel()
    {
        var services = new ServiceCollection();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WeChat:OfficialAccount:AppId"] = "wx0000000000000001",
            ["WeChat:OfficialAccount:AppSecret"] = "secret",
        }).Build();

        // The Setup snippet of docs/platforms/wechat-official-account.md.
        services.AddMarketingSdk(m => m
            .AddWeChatOfficialAccount(o =>
            {
                o.AppId = configuration["WeChat:OfficialAccount:AppId"] ?? "";
                o.AppSecret = configuration["WeChat:OfficialAccount:AppSecret"] ?? "";
            })
            .AddMessaging(o => o.Templates.Add(new MessageTemplate
            {
                Id = "review_request",
                Channel = Channel.WeChat,
                ProviderTemplateId = "the account's template id",
                Parameters =
                [
                    OfficialAccountParameters.Parameter("thing1", profileTrait: "first_name"),
                    OfficialAccountParameters.Parameter("character_string2"),
                    OfficialAccountParameters.Parameter(OfficialAccountParameters.Url, required: false),
                ],
            })));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var template = provider.GetRequiredService<IMessageTemplateRegistry>().Find(Channel.WeChat, "review_request");
        Assert.Equal(20, template?.Parameters[0].MaxLength);
    }
}
