using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms.TencentCloudSms;
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

/// <summary>Registers the Tencent Cloud SMS channel.</summary>
public static class TencentCloudSmsMarketingBuilderExtensions
{
    /// <summary>Adds the Tencent Cloud SMS channel with settings configured elsewhere (validated on start); see the <c>Action&lt;TencentCloudSmsOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddTencentCloudSms(this IMarketingBuilder builder) => builder.AddTencentCloudSms(_ => { });

    /// <summary>
    /// Adds the Tencent Cloud SMS channel: <see cref="TencentCloudSmsClient"/> on a named HTTP client with the standard
    /// resilience handler, the <see cref="IMessageChannel"/> <see cref="TencentCloudSmsChannel"/> (delivered by
    /// <c>AddMessaging()</c>'s outbox) and the <see cref="IPlatformCallbackHandler"/> <see cref="TencentCloudSmsCallbackHandler"/>
    /// (<c>tencent-sms</c>) for receipts and replies. Needs a state store (<c>AddMarketingSdk</c>). Options are validated
    /// on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the channel (SecretId, SecretKey, SmsSdkAppId, signature, limits…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddTencentCloudSms(this IMarketingBuilder builder, Action<TencentCloudSmsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<TencentCloudSmsOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Tencent Cloud SMS channel with settings bound from configuration (validated on start); see the <c>Action&lt;TencentCloudSmsOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="TencentCloudSmsOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<TencentCloudSmsOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<TencentCloudSmsOptions> overload for native AOT.")]
    public static IMarketingBuilder AddTencentCloudSms(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<TencentCloudSmsOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        var services = builder.Services;
        services.AddPlatformHttpClient<TencentCloudSmsOptions>(TencentCloudSmsOptions.HttpClientName, TencentCloudSmsOptions.DefaultBaseAddress);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SmsInbound(sp.GetService<IIdentityGraphStore>(), sp.GetService<ISuppressionList>(), sp.GetService<IMessageStatusReporter>()));
        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new TencentCloudSmsClient(() => factory.CreateClient(TencentCloudSmsOptions.HttpClientName), sp.GetRequiredService<IOptions<TencentCloudSmsOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ILogger<TencentCloudSmsClient>>());
        });
        services.TryAddSingleton(sp => new TencentCloudSmsChannel(sp.GetRequiredService<TencentCloudSmsClient>(), sp.GetRequiredService<IOptions<TencentCloudSmsOptions>>().Value,
            sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<TencentCloudSmsChannel>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, TencentCloudSmsChannel>(sp => sp.GetRequiredService<TencentCloudSmsChannel>()));
        services.TryAddSingleton(sp => new TencentCloudSmsCallbackHandler(sp.GetRequiredService<IOptions<TencentCloudSmsOptions>>().Value, sp.GetRequiredService<SmsInbound>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<TencentCloudSmsCallbackHandler>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformCallbackHandler, TencentCloudSmsCallbackHandler>(sp => sp.GetRequiredService<TencentCloudSmsCallbackHandler>()));
        services.AddSmsDataEraser();
        return builder;
    }
}
