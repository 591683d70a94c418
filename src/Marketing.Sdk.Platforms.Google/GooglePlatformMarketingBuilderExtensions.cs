using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Google client.</summary>
public static class GooglePlatformMarketingBuilderExtensions
{
    /// <summary>Adds the Google client with settings configured elsewhere (validated on start); see the <c>Action&lt;GooglePlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddGooglePlatform(this IMarketingBuilder builder) => builder.AddGooglePlatform(_ => { });

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
        builder.Services.AddOptions<GooglePlatformOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Google client with settings bound from configuration (e.g. the <c>Google</c> section; validated on start); see the <c>Action&lt;GooglePlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="GooglePlatformOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<GooglePlatformOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<GooglePlatformOptions> overload for native AOT.")]
    public static IMarketingBuilder AddGooglePlatform(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<GooglePlatformOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddPlatformHttpClient<GooglePlatformOptions>(GooglePlatformOptions.HttpClientName, new Uri("https://googleads.googleapis.com/"));
        services.AddHttpClient(GooglePlatformOptions.TokenHttpClientName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton<IAccessTokenProvider>(GooglePlatformClient.PlatformId, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptions<GooglePlatformOptions>>().Value;
            return new OAuth2RefreshTokenProvider(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(GooglePlatformOptions.TokenHttpClientName),
                new OAuth2RefreshTokenOptions
                {
                    TokenEndpoint = options.TokenEndpoint,
                    ClientId = options.ClientId,
                    ClientSecret = options.ClientSecret,
                    RefreshToken = options.RefreshToken,
                },
                GooglePlatformClient.PlatformId,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IDistributedCache>(),
                sp.GetService<ILogger<OAuth2RefreshTokenProvider>>());
        });
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new GooglePlatformClient(
                () => factory.CreateClient(GooglePlatformOptions.HttpClientName),
                sp.GetRequiredKeyedService<IAccessTokenProvider>(GooglePlatformClient.PlatformId),
                sp.GetRequiredService<IOptions<GooglePlatformOptions>>().Value,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The Google client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetService<ILogger<GooglePlatformClient>>());
        });
        services.AddPlatformCapabilities<GooglePlatformClient>(GooglePlatformClient.PlatformId);
        return builder;
    }
}
