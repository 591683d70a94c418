using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.OceanEngine;
using Marketing.Sdk.Platforms.OceanEngine.Tokens;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Ocean Engine client.</summary>
public static class OceanEnginePlatformMarketingBuilderExtensions
{
    /// <summary>Adds the Ocean Engine client with settings configured elsewhere (validated on start); see the <c>Action&lt;OceanEnginePlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddOceanEnginePlatform(this IMarketingBuilder builder) => builder.AddOceanEnginePlatform(_ => { });

    /// <summary>
    /// Adds the Ocean Engine client: <see cref="IConversionSink"/> (destination <c>ocean_engine.conversions</c>) and keyed
    /// (<c>"ocean_engine"</c>) <see cref="IAudienceSync"/>, <see cref="IAdReporting"/> and <see cref="ICampaignControl"/>, on a
    /// named HTTP client with the standard resilience handler; Marketing API calls carry the <c>Access-Token</c> header,
    /// conversions go to <see cref="OceanEnginePlatformOptions.ConversionAddress"/>. With an app id, secret and refresh token the token pair rotates through
    /// <see cref="OceanEngineTokenProvider"/> (stored in <see cref="IStateStore"/>, one refresh per fleet through
    /// <see cref="ILeaseStore"/>); otherwise the access token is read from the options on every call. An
    /// <see cref="IAccessTokenProvider"/> registered under the key <c>"ocean_engine"</c> replaces both. Needs a consent gate
    /// (<c>AddCompliance()</c>). Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the client.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddOceanEnginePlatform(this IMarketingBuilder builder, Action<OceanEnginePlatformOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<OceanEnginePlatformOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Ocean Engine client with settings bound from configuration (e.g. the <c>OceanEngine</c> section); see the <c>Action&lt;OceanEnginePlatformOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="OceanEnginePlatformOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<OceanEnginePlatformOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<OceanEnginePlatformOptions> overload for native AOT.")]
    public static IMarketingBuilder AddOceanEnginePlatform(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<OceanEnginePlatformOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        builder.AddPlatforms();
        var services = builder.Services;
        services.AddPlatformHttpClient<OceanEnginePlatformOptions>(OceanEnginePlatformOptions.HttpClientName, OceanEnginePlatformOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            var options = sp.GetRequiredService<IOptionsMonitor<OceanEnginePlatformOptions>>();
            var time = sp.GetRequiredService<TimeProvider>();
            var current = options.CurrentValue;
            var tokens = sp.GetKeyedService<IAccessTokenProvider>(OceanEnginePlatformClient.PlatformId)
                ?? (current.RotatesTokens
                    ? new OceanEngineTokenProvider(() => factory.CreateClient(OceanEnginePlatformOptions.HttpClientName), current,
                        sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<ILeaseStore>(), time, sp.GetService<ILogger<OceanEngineTokenProvider>>())
                    : new StaticAccessTokenProvider(() => options.CurrentValue.AccessToken));
            return new OceanEnginePlatformClient(
                () => factory.CreateClient(OceanEnginePlatformOptions.HttpClientName),
                tokens,
                current,
                sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("The Ocean Engine client needs a consent gate: add AddCompliance() to AddMarketingSdk."),
                time,
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetService<ILogger<OceanEnginePlatformClient>>());
        });
        services.AddPlatformCapabilities<OceanEnginePlatformClient>(OceanEnginePlatformClient.PlatformId);
        return builder;
    }
}
