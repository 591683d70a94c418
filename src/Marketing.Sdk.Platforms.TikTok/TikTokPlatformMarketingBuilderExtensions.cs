using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.TikTok;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TikTok client.</summary>
public static class TikTokPlatformMarketingBuilderExtensions
{
    /// <summary>The name of the TikTok <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.TikTok";

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
        builder.AddPlatforms();
        var services = builder.Services;
        services.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(TikTokPlatformClient)))
        {
            return builder;
        }
        services.AddPlatformHttpClient<TikTokPlatformOptions>(HttpClientName, TikTokPlatformOptions.DefaultBaseAddress);
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var monitor = sp.GetRequiredService<IOptionsMonitor<TikTokPlatformOptions>>();
            var tokens = sp.GetKeyedService<IAccessTokenProvider>(TikTokPlatformClient.Name)
                ?? new StaticAccessTokenProvider(() => monitor.CurrentValue.AccessToken);
            return new TikTokPlatformClient(() => factory.CreateClient(HttpClientName), tokens, monitor.CurrentValue,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The TikTok client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                sp.GetService<TimeProvider>(), sp.GetService<ILogger<TikTokPlatformClient>>());
        });
        services.AddPlatformCapabilities<TikTokPlatformClient>(TikTokPlatformClient.Name);
        return builder;
    }
}
