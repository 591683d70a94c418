using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Campaigns;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers campaigns.</summary>
public static class CampaignsMarketingBuilderExtensions
{
    /// <summary>Adds campaigns with default settings.</summary>
    /// <param name="builder">The SDK builder.</param>
    public static IMarketingBuilder AddCampaigns(this IMarketingBuilder builder) => builder.AddCampaigns(_ => { });

    /// <summary>
    /// Adds campaigns: <see cref="ICampaignRunner"/> and the hosted service that runs active campaigns. Needs messaging
    /// (<c>AddMessaging()</c>) and, for the default <see cref="ICampaignAudience"/>, segmentation (<c>AddSegmentation()</c>);
    /// register your own <see cref="ICampaignAudience"/> before this call to use another source. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="configure">Configures send-time choice, leases and the background service.</param>
    public static IMarketingBuilder AddCampaigns(this IMarketingBuilder builder, Action<CampaignOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<CampaignOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CampaignOptions>, CampaignOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new CampaignMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<ICampaignAudience>(sp => new SegmentCampaignAudience(sp.GetRequiredService<ISegmentService>()));
        services.TryAddSingleton<ICampaignRunner>(sp => new CampaignRunner(
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<ILeaseStore>(),
            sp.GetRequiredService<IEventStore>(),
            sp.GetRequiredService<IMessageSender>(),
            sp.GetRequiredService<ICampaignAudience>(),
            sp.GetRequiredService<IOptions<CampaignOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<CampaignMetrics>(),
            sp.GetService<ILogger<CampaignRunner>>(),
            sp.GetService<IMessageTemplateRegistry>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CampaignService>(sp => new CampaignService(
            sp.GetRequiredService<ICampaignRunner>(), sp.GetRequiredService<IOptions<CampaignOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CampaignService>>())));
        return builder;
    }

    /// <summary>Adds campaigns with settings bound from configuration (validated on start); see the <c>Action&lt;CampaignOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="section">
    /// The section holding <see cref="CampaignOptions"/>'s properties; the time zone is given as <c>TimeZoneId</c>
    /// (an IANA or Windows zone id, e.g. <c>Asia/Shanghai</c>).
    /// </param>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<CampaignOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<CampaignOptions> overload for native AOT.")]
    public static IMarketingBuilder AddCampaigns(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<CampaignOptions>().Bind(section).Configure(o =>
        {
            if (section["TimeZoneId"] is { Length: > 0 } zone)
            {
                o.TimeZone = TimeZoneInfo.FindSystemTimeZoneById(zone);
            }
        });
        return builder.AddCampaigns(_ => { });
    }
}
