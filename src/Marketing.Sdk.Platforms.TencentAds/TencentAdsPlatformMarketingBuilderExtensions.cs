using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.TencentAds;
using Marketing.Sdk.Platforms.TencentAds.Tokens;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Tencent Ads client.</summary>
public static class TencentAdsPlatformMarketingBuilderExtensions
{
    /// <summary>Adds the Tencent Ads client with settings configured elsewhere (validated on start); see the <c>Action&lt;TencentAdsPlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddTencentAdsPlatform(this IMarketingBuilder builder) => builder.AddTencentAdsPlatform(_ => { });

    /// <summary>
    /// Adds the Tencent Ads client: <see cref="IConversionSink"/> (destination <c>tencent_ads.conversions</c>) and keyed
    /// (<c>"tencent_ads"</c>) <see cref="IAudienceSync"/>, <see cref="IAdReporting"/> and <see cref="ICampaignControl"/>, on a
    /// named HTTP client with the standard resilience handler (and a handler that renews <c>timestamp</c> and <c>nonce</c>
    /// on every attempt). With a client id, secret and refresh token the token pair rotates through
    /// <see cref="TencentAdsTokenProvider"/> (stored in <see cref="IStateStore"/>, one refresh per fleet through
    /// <see cref="ILeaseStore"/>); otherwise the access token is read from the options on every call. An
    /// <see cref="IAccessTokenProvider"/> registered under the key <c>"tencent_ads"</c> replaces both. Needs a consent gate
    /// (<c>AddCompliance()</c>). Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the client.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddTencentAdsPlatform(this IMarketingBuilder builder, Action<TencentAdsPlatformOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<TencentAdsPlatformOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Tencent Ads client with settings bound from configuration (e.g. the <c>TencentAds</c> section); see the <c>Action&lt;TencentAdsPlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="TencentAdsPlatformOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<TencentAdsPlatformOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<TencentAdsPlatformOptions> overload for native AOT.")]
    public static IMarketingBuilder AddTencentAdsPlatform(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<TencentAdsPlatformOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        builder.AddPlatforms();
        var services = builder.Services;
        var first = !services.Any(d => d.ServiceType == typeof(TencentAdsPlatformClient));
        var http = services.AddPlatformHttpClient<TencentAdsPlatformOptions>(TencentAdsPlatformOptions.HttpClientName, TencentAdsPlatformOptions.DefaultBaseAddress);
        if (first)
        {
            http.AddHttpMessageHandler(sp => new TencentAdsSigningHandler(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        }
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var options = sp.GetRequiredService<IOptionsMonitor<TencentAdsPlatformOptions>>();
            var time = sp.GetRequiredService<TimeProvider>();
            var current = options.CurrentValue;
            var tokens = sp.GetKeyedService<IAccessTokenProvider>(TencentAdsPlatformClient.PlatformId)
                ?? (current.RotatesTokens
                    ? new TencentAdsTokenProvider(() => factory.CreateClient(TencentAdsPlatformOptions.HttpClientName), current,
                        sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<ILeaseStore>(), time, sp.GetService<ILogger<TencentAdsTokenProvider>>())
                    : new StaticAccessTokenProvider(() => options.CurrentValue.AccessToken));
            return new TencentAdsPlatformClient(
                () => factory.CreateClient(TencentAdsPlatformOptions.HttpClientName),
                tokens,
                current,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The Tencent Ads client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                time,
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetService<ILogger<TencentAdsPlatformClient>>());
        });
        services.AddPlatformCapabilities<TencentAdsPlatformClient>(TencentAdsPlatformClient.PlatformId);
        return builder;
    }
}
