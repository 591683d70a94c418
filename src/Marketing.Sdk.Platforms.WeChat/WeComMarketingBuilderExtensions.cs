using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat;
using Marketing.Sdk.Platforms.WeChat.Tokens;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the WeCom (企业微信) client and its messaging channels.</summary>
public static class WeComMarketingBuilderExtensions
{
    /// <summary>Adds WeCom with settings configured elsewhere (validated on start); see the <c>Action&lt;WeComOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeCom(this IMarketingBuilder builder) => builder.AddWeCom(_ => { });

    /// <summary>
    /// Adds WeCom: the <see cref="WeComClient"/> on a named HTTP client with the standard resilience handler, its
    /// access token shared by every host through <see cref="IDistributedCache"/> (when registered) and refreshed under
    /// a lease from <see cref="ILeaseStore"/>; the <see cref="WeComMassMessageChannel"/> (<c>wecom</c>) and
    /// <see cref="WeComAppMessageChannel"/> (<c>wecom_app</c>) as <see cref="IMessageChannel"/>s for
    /// <c>AddMessaging()</c>; <see cref="WeComContactSync"/>; and <see cref="WeComMassMessageResults"/> with a background
    /// poll every <see cref="WeComOptions.MassResultPollInterval"/> when messaging is added. Options are validated on
    /// start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the client (corp id, secret, agent id, texts…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeCom(this IMarketingBuilder builder, Action<WeComOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<WeComOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds WeCom with settings bound from configuration (e.g. the <c>WeCom</c> section; validated on start); see the <c>Action&lt;WeComOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="WeComOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<WeComOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<WeComOptions> overload for native AOT.")]
    public static IMarketingBuilder AddWeCom(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<WeComOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddPlatformHttpClient<WeComOptions>(WeComOptions.HttpClientName, WeComOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.AddWeChatDataEraser();
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var options = sp.GetRequiredService<IOptions<WeComOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            WeComClient? client = null;
            var tokens = sp.GetKeyedService<IAccessTokenProvider>(WeComClient.PlatformId) ?? new SharedAccessTokenProvider(
                async (_, ct) => await client!.FetchAccessTokenAsync(ct).ConfigureAwait(false),
                new SharedAccessTokenOptions { CacheKey = SharedAccessTokenOptions.KeyOf(WeComClient.PlatformId, options.CorpId, options.CorpSecret) },
                WeComClient.PlatformId,
                sp.GetService<IDistributedCache>(),
                sp.GetService<ILeaseStore>(),
                time,
                sp.GetService<ILogger<SharedAccessTokenProvider>>());
            client = new WeComClient(() => factory.CreateClient(WeComOptions.HttpClientName), tokens, options, time, sp.GetService<IMeterFactory>(), sp.GetService<ILogger<WeComClient>>());
            return client;
        });
        services.TryAddSingleton(sp => new WeComMassMessageChannel(sp.GetRequiredService<WeComClient>(), sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<WeComMassMessageChannel>>()));
        services.TryAddSingleton(sp => new WeComAppMessageChannel(sp.GetRequiredService<WeComClient>(), sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<WeComAppMessageChannel>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, WeComMassMessageChannel>(sp => sp.GetRequiredService<WeComMassMessageChannel>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, WeComAppMessageChannel>(sp => sp.GetRequiredService<WeComAppMessageChannel>()));
        services.TryAddSingleton(sp => new WeComContactSync(sp.GetRequiredService<WeComClient>(), sp.GetRequiredService<IEventCollector>(), sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<WeComContactSync>>()));
        services.TryAddSingleton(sp => new WeComMassMessageResults(sp.GetRequiredService<WeComClient>(), sp.GetRequiredService<IStateStore>(),
            sp.GetService<IMessageStatusReporter>() ?? throw new InvalidOperationException("WeCom mass-message results need messaging: add AddMessaging() to AddMarketingSdk."),
            sp.GetService<ILeaseStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<WeComMassMessageResults>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WeComMassResultsService>(sp => new WeComMassResultsService(sp, sp.GetRequiredService<IOptions<WeComOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WeComMassResultsService>>())));
        return builder;
    }
}
