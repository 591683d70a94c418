using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Meta;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Meta client.</summary>
public static class MetaMarketingBuilderExtensions
{
    /// <summary>The name of the Meta <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.Meta";

    /// <summary>
    /// Adds the Meta client: <see cref="MetaPlatformClient"/> as a singleton, as an
    /// <see cref="IConversionSink"/> (destination <c>meta.conversions</c>) and as the keyed
    /// (<c>"meta"</c>) <see cref="IAudienceSync"/>, <see cref="IAdReporting"/> and
    /// <see cref="ICampaignControl"/>; the resilient named HTTP client; options validated on start; and
    /// the shared platform pipeline (<c>AddPlatforms</c>). The access token is read from the options on
    /// every call, so rotating it in configuration takes effect without a restart. Calling it again
    /// only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the options (token, pixel id, API version…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddMetaPlatform(this IMarketingBuilder builder, Action<MetaPlatformOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddOptions<MetaPlatformOptions>().Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(MetaPlatformClient)))
        {
            return builder;
        }
        services.AddPlatformHttpClient<MetaPlatformOptions>(HttpClientName, MetaPlatformClient.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var options = sp.GetRequiredService<IOptionsMonitor<MetaPlatformOptions>>();
            return new MetaPlatformClient(
                () => factory.CreateClient(HttpClientName),
                options.CurrentValue,
                new StaticAccessTokenProvider(() => options.CurrentValue.AccessToken),
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The Meta client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<MetaPlatformClient>>());
        });
        services.AddPlatformCapabilities<MetaPlatformClient>(MetaPlatformClient.PlatformId);
        return builder;
    }
}
