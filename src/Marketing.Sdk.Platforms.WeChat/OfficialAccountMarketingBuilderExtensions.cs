using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the WeChat Official Account client.</summary>
public static class OfficialAccountMarketingBuilderExtensions
{
    /// <summary>Adds the Official Account client with settings configured elsewhere (validated on start); see the <c>Action&lt;OfficialAccountOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeChatOfficialAccount(this IMarketingBuilder builder) => builder.AddWeChatOfficialAccount(_ => { });

    /// <summary>
    /// Adds the WeChat Official Account (服务号): <see cref="OfficialAccountClient"/> on a named HTTP client with the
    /// standard resilience handler; the access token from <see cref="OfficialAccountTokenProvider"/> (stable_token,
    /// shared by every host through <see cref="IDistributedCache"/> when one is registered, fetched by one host at a
    /// time under an <see cref="ILeaseStore"/> lease) unless an <see cref="IAccessTokenProvider"/> is registered under
    /// the key <c>"wechat_oa"</c>; the template-message and subscribe-message channels as <see cref="IMessageChannel"/>
    /// (add <c>AddMessaging()</c> to send through them); and <see cref="OfficialAccountFollowerSync"/>. Options are
    /// validated on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the client (AppID, AppSecret, channel names…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeChatOfficialAccount(this IMarketingBuilder builder, Action<OfficialAccountOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<OfficialAccountOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Official Account client with settings bound from configuration (e.g. the <c>WeChat:OfficialAccount</c> section; validated on start); see the <c>Action&lt;OfficialAccountOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="OfficialAccountOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<OfficialAccountOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<OfficialAccountOptions> overload for native AOT.")]
    public static IMarketingBuilder AddWeChatOfficialAccount(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<OfficialAccountOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        var services = builder.Services;
        services.AddPlatformHttpClient<OfficialAccountOptions>(OfficialAccountOptions.HttpClientName, OfficialAccountOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.AddWeChatDataEraser();
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new OfficialAccountTokenProvider(
                () => factory.CreateClient(OfficialAccountOptions.HttpClientName),
                sp.GetRequiredService<IOptions<OfficialAccountOptions>>().Value,
                sp.GetService<IDistributedCache>(),
                sp.GetService<ILeaseStore>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<OfficialAccountTokenProvider>>());
        });
        services.TryAddKeyedSingleton<IAccessTokenProvider>(OfficialAccountClient.PlatformId, (sp, _) => sp.GetRequiredService<OfficialAccountTokenProvider>());
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new OfficialAccountClient(
                () => factory.CreateClient(OfficialAccountOptions.HttpClientName),
                sp.GetRequiredKeyedService<IAccessTokenProvider>(OfficialAccountClient.PlatformId),
                sp.GetRequiredService<IOptions<OfficialAccountOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetService<ILogger<OfficialAccountClient>>());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, OfficialAccountTemplateChannel>(sp =>
            new OfficialAccountTemplateChannel(sp.GetRequiredService<OfficialAccountClient>(), sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<OfficialAccountTemplateChannel>>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, OfficialAccountSubscribeChannel>(sp =>
            new OfficialAccountSubscribeChannel(sp.GetRequiredService<OfficialAccountClient>(), sp.GetService<ILogger<OfficialAccountSubscribeChannel>>())));
        services.TryAddSingleton(sp => new OfficialAccountFollowerSync(
            sp.GetRequiredService<OfficialAccountClient>(),
            sp.GetService<IEventCollector>() ?? throw new InvalidOperationException("The Official Account follower sync needs the event collector: register the SDK with AddMarketingSdk."),
            sp.GetService<IStateStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<OfficialAccountFollowerSync>>()));
        return builder;
    }
}
