using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.TikTok;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TikTok client.</summary>
public static class TikTokPlatformMarketingBuilderExtensions
{
    /// <summary>Adds the TikTok client with settings configured elsewhere (validated on start); see the <c>Action&lt;TikTokPlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddTikTokPlatform(this IMarketingBuilder builder) => builder.AddTikTokPlatform(_ => { });

    /// <summary>
    /// Adds the TikTok client: <see cref="IConversionSink"/> (destination <c>tiktok.conversions</c>, drained by
    /// the platform delivery worker) and keyed (<c>"tiktok"</c>) <see cref="IAudienceSync"/>,
    /// <see cref="IAdReporting"/> and <see cref="ICampaignControl"/>, on a named HTTP client with the standard
    /// resilience handler. The access token is read from the options on every call, unless an
    /// <see cref="IAccessTokenProvider"/> is registered under the key <c>"tiktok"</c>. Options are validated
    /// on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the client (token, advertiser, pixel code…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddTikTokPlatform(this IMarketingBuilder builder, Action<TikTokPlatformOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<TikTokPlatformOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the TikTok client with settings bound from configuration (e.g. the <c>TikTok</c> section; validated on start); see the <c>Action&lt;TikTokPlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="TikTokPlatformOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<TikTokPlatformOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<TikTokPlatformOptions> overload for native AOT.")]
    public static IMarketingBuilder AddTikTokPlatform(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<TikTokPlatformOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddPlatformHttpClient<TikTokPlatformOptions>(TikTokPlatformOptions.HttpClientName, TikTokPlatformOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var options = sp.GetRequiredService<IOptionsMonitor<TikTokPlatformOptions>>();
            return new TikTokPlatformClient(
                () => factory.CreateClient(TikTokPlatformOptions.HttpClientName),
                sp.GetKeyedService<IAccessTokenProvider>(TikTokPlatformClient.PlatformId) ?? new StaticAccessTokenProvider(() => options.CurrentValue.AccessToken),
                options.CurrentValue,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The TikTok client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetService<ILogger<TikTokPlatformClient>>());
        });
        services.AddPlatformCapabilities<TikTokPlatformClient>(TikTokPlatformClient.PlatformId);
        return builder;
    }
}
