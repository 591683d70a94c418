using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms.AliyunSms;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Alibaba Cloud SMS channel.</summary>
public static class AliyunSmsMarketingBuilderExtensions
{
    /// <summary>Adds the Alibaba Cloud SMS channel with settings configured elsewhere (validated on start); see the <c>Action&lt;AliyunSmsOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddAliyunSms(this IMarketingBuilder builder) => builder.AddAliyunSms(_ => { });

    /// <summary>
    /// Adds the Alibaba Cloud SMS channel: <see cref="AliyunSmsClient"/> on a named HTTP client with the standard
    /// resilience handler, the <see cref="IMessageChannel"/> <see cref="AliyunSmsChannel"/> (delivered by
    /// <c>AddMessaging()</c>'s outbox) and the <see cref="IPlatformCallbackHandler"/> <see cref="AliyunSmsCallbackHandler"/>
    /// (<c>aliyun-sms</c>) for receipts and replies. Needs a state store (<c>AddMarketingSdk</c>). Options are validated
    /// on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the channel (AccessKey, signature, limits…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddAliyunSms(this IMarketingBuilder builder, Action<AliyunSmsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<AliyunSmsOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Alibaba Cloud SMS channel with settings bound from configuration (validated on start); see the <c>Action&lt;AliyunSmsOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="AliyunSmsOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<AliyunSmsOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<AliyunSmsOptions> overload for native AOT.")]
    public static IMarketingBuilder AddAliyunSms(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<AliyunSmsOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        var services = builder.Services;
        services.AddPlatformHttpClient<AliyunSmsOptions>(AliyunSmsOptions.HttpClientName, AliyunSmsOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SmsInbound(sp.GetService<IIdentityGraphStore>(), sp.GetService<ISuppressionList>(), sp.GetService<IMessageStatusReporter>()));
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new AliyunSmsClient(() => factory.CreateClient(AliyunSmsOptions.HttpClientName), sp.GetRequiredService<IOptions<AliyunSmsOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ILogger<AliyunSmsClient>>());
        });
        services.TryAddSingleton(sp => new AliyunSmsChannel(sp.GetRequiredService<AliyunSmsClient>(), sp.GetRequiredService<IOptions<AliyunSmsOptions>>().Value,
            sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<AliyunSmsChannel>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, AliyunSmsChannel>(sp => sp.GetRequiredService<AliyunSmsChannel>()));
        services.TryAddSingleton(sp => new AliyunSmsCallbackHandler(sp.GetRequiredService<IOptions<AliyunSmsOptions>>().Value, sp.GetRequiredService<SmsInbound>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<AliyunSmsCallbackHandler>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformCallbackHandler, AliyunSmsCallbackHandler>(sp => sp.GetRequiredService<AliyunSmsCallbackHandler>()));
        services.AddSmsDataEraser();
        return builder;
    }
}
