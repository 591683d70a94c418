using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Meta;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Meta client.</summary>
public static class MetaPlatformMarketingBuilderExtensions
{
    /// <summary>Adds the Meta client with settings configured elsewhere (validated on start); see the <c>Action&lt;MetaPlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddMetaPlatform(this IMarketingBuilder builder) => builder.AddMetaPlatform(_ => { });

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
        builder.Services.AddOptions<MetaPlatformOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Meta client with settings bound from configuration (e.g. the <c>Meta</c> section; validated on start); see the <c>Action&lt;MetaPlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="MetaPlatformOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<MetaPlatformOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<MetaPlatformOptions> overload for native AOT.")]
    public static IMarketingBuilder AddMetaPlatform(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<MetaPlatformOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddPlatformHttpClient<MetaPlatformOptions>(MetaPlatformOptions.HttpClientName, MetaPlatformOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var options = sp.GetRequiredService<IOptionsMonitor<MetaPlatformOptions>>();
            return new MetaPlatformClient(
                () => factory.CreateClient(MetaPlatformOptions.HttpClientName),
                new StaticAccessTokenProvider(() => options.CurrentValue.AccessToken),
                options.CurrentValue,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The Meta client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetService<ILogger<MetaPlatformClient>>());
        });
        services.AddPlatformCapabilities<MetaPlatformClient>(MetaPlatformClient.PlatformId);
        return builder;
    }
}
