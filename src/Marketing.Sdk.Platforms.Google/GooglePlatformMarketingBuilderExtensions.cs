using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Google client.</summary>
public static class GooglePlatformMarketingBuilderExtensions
{
    /// <summary>The named <see cref="HttpClient"/> the OAuth token provider calls the token endpoint with.</summary>
    public const string TokenHttpClientName = GooglePlatformOptions.HttpClientName + ".OAuth";

    /// <summary>
    /// Adds the Google client: the <c>google.conversions</c> conversion sink (Data Manager
    /// <c>events:ingest</c>) for the outbox delivery worker, and keyed (<c>"google"</c>)
    /// <see cref="IAudienceSync"/>, <see cref="IAdReporting"/> and <see cref="ICampaignControl"/>. Uses the
    /// OAuth 2.0 refresh-token flow (shared through <see cref="IDistributedCache"/> when one is registered)
    /// and the standard resilience handler tuned by the options, which are validated on start.
    /// Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddGooglePlatform(this IMarketingBuilder builder, Action<GooglePlatformOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddOptions<GooglePlatformOptions>().Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(GooglePlatformClient)))
        {
            return builder;
        }
        services.AddPlatformHttpClient<GooglePlatformOptions>(GooglePlatformOptions.HttpClientName, new Uri("https://googleads.googleapis.com/"));
        services.AddHttpClient(TokenHttpClientName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddKeyedSingleton<IAccessTokenProvider>(GooglePlatformClient.ServiceKey, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptions<GooglePlatformOptions>>().Value;
            return new OAuth2RefreshTokenProvider(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(TokenHttpClientName),
                new OAuth2RefreshTokenOptions
                {
                    TokenEndpoint = options.TokenEndpoint,
                    ClientId = options.ClientId,
                    ClientSecret = options.ClientSecret,
                    RefreshToken = options.RefreshToken,
                },
                GooglePlatformClient.ServiceKey,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IDistributedCache>(),
                sp.GetService<ILogger<OAuth2RefreshTokenProvider>>());
        });
        services.AddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new GooglePlatformClient(
                () => factory.CreateClient(GooglePlatformOptions.HttpClientName),
                sp.GetRequiredKeyedService<IAccessTokenProvider>(GooglePlatformClient.ServiceKey),
                sp.GetRequiredService<IOptions<GooglePlatformOptions>>().Value,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The Google client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<GooglePlatformClient>>());
        });
        services.AddPlatformCapabilities<GooglePlatformClient>(GooglePlatformClient.ServiceKey);
        return builder;
    }
}
