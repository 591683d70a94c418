using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.WeChat.Callbacks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the WeCom and WeChat Official Account callback handlers (map them with <c>app.MapMarketingCallbacks()</c>).</summary>
public static class WeChatCallbacksMarketingBuilderExtensions
{
    /// <summary>Adds a WeCom callback handler with settings configured elsewhere (<c>services.Configure&lt;WeComCallbackOptions&gt;(…)</c>; validated on start).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeComCallbacks(this IMarketingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WeComCallbackOptions>();
        return RegisterWeCom(builder, Microsoft.Extensions.Options.Options.DefaultName);
    }

    /// <summary>
    /// Adds a WeCom callback handler (an <see cref="IPlatformCallbackHandler"/> named by
    /// <see cref="WeChatCallbackOptions.Name"/>, default <c>wecom</c>): URL verification, the signed and encrypted
    /// pushes of the official <c>WXBizMsgCrypt</c> scheme, and customer-contact events recorded as
    /// <see cref="WeChatCallbackEventTypes.WeComContactAdded"/> / <see cref="WeChatCallbackEventTypes.WeComContactRemoved"/>.
    /// Options are validated on start. Each call adds one handler (one per WeCom app); names must differ.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the handler (Token, EncodingAesKey, CorpId, Name).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeComCallbacks(this IMarketingBuilder builder, Action<WeComCallbackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = NextName(builder.Services, "wecom");
        builder.Services.AddOptions<WeComCallbackOptions>(name).Configure(configure);
        return RegisterWeCom(builder, name);
    }

    /// <summary>Adds a WeCom callback handler with settings bound from configuration (validated on start); see the <c>Action&lt;WeComCallbackOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="WeComCallbackOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<WeComCallbackOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<WeComCallbackOptions> overload for native AOT.")]
    public static IMarketingBuilder AddWeComCallbacks(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        var name = NextName(builder.Services, "wecom");
        builder.Services.AddOptions<WeComCallbackOptions>(name).Bind(section);
        return RegisterWeCom(builder, name);
    }

    /// <summary>Adds an Official Account callback handler with settings configured elsewhere (<c>services.Configure&lt;WeChatOfficialAccountCallbackOptions&gt;(…)</c>; validated on start).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeChatOfficialAccountCallbacks(this IMarketingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WeChatOfficialAccountCallbackOptions>();
        return RegisterOfficialAccount(builder, Microsoft.Extensions.Options.Options.DefaultName);
    }

    /// <summary>
    /// Adds a WeChat Official Account callback handler (an <see cref="IPlatformCallbackHandler"/> named by
    /// <see cref="WeChatCallbackOptions.Name"/>, default <c>wechat-oa</c>): URL verification, safe-mode (encrypted)
    /// pushes, follow / unfollow events (an unfollow also unsubscribes the customer from the account's channel when
    /// messaging's suppression list is registered) and template / subscribe message send results reported to the
    /// message status reporter. Options are validated on start. Each call adds one handler (one per account); names must differ.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the handler (Token, EncodingAesKey, AppId, Name).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWeChatOfficialAccountCallbacks(this IMarketingBuilder builder, Action<WeChatOfficialAccountCallbackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = NextName(builder.Services, "wechat-oa");
        builder.Services.AddOptions<WeChatOfficialAccountCallbackOptions>(name).Configure(configure);
        return RegisterOfficialAccount(builder, name);
    }

    /// <summary>Adds an Official Account callback handler with settings bound from configuration (validated on start); see the <c>Action&lt;WeChatOfficialAccountCallbackOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="WeChatOfficialAccountCallbackOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<WeChatOfficialAccountCallbackOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<WeChatOfficialAccountCallbackOptions> overload for native AOT.")]
    public static IMarketingBuilder AddWeChatOfficialAccountCallbacks(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        var name = NextName(builder.Services, "wechat-oa");
        builder.Services.AddOptions<WeChatOfficialAccountCallbackOptions>(name).Bind(section);
        return RegisterOfficialAccount(builder, name);
    }

    private static IMarketingBuilder RegisterWeCom(IMarketingBuilder builder, string optionsName)
    {
        var services = builder.Services;
        services.AddOptions<WeComCallbackOptions>(optionsName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WeComCallbackOptions>, WeComCallbackOptionsValidator>());
        RegisterShared(services);
        services.AddSingleton<IPlatformCallbackHandler>(sp => new WeComCallbackHandler(
            sp.GetRequiredService<IOptionsMonitor<WeComCallbackOptions>>().Get(optionsName),
            sp,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<WeChatCallbackMetrics>(),
            sp.GetService<ILogger<WeComCallbackHandler>>() ?? NullLogger<WeComCallbackHandler>.Instance));
        return builder;
    }

    private static IMarketingBuilder RegisterOfficialAccount(IMarketingBuilder builder, string optionsName)
    {
        var services = builder.Services;
        services.AddOptions<WeChatOfficialAccountCallbackOptions>(optionsName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WeChatOfficialAccountCallbackOptions>, WeChatOfficialAccountCallbackOptionsValidator>());
        RegisterShared(services);
        services.AddSingleton<IPlatformCallbackHandler>(sp => new WeChatOfficialAccountCallbackHandler(
            sp.GetRequiredService<IOptionsMonitor<WeChatOfficialAccountCallbackOptions>>().Get(optionsName),
            sp,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<WeChatCallbackMetrics>(),
            sp.GetService<ILogger<WeChatOfficialAccountCallbackHandler>>() ?? NullLogger<WeChatOfficialAccountCallbackHandler>.Instance));
        return builder;
    }

    private static void RegisterShared(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new WeChatCallbackMetrics(sp.GetService<IMeterFactory>()));
    }

    /// <summary>A distinct options name per handler registration, so several apps or accounts each get their own settings.</summary>
    private static string NextName(IServiceCollection services, string kind)
    {
        var index = services.Count(d => d.ServiceType == typeof(CallbackRegistration));
        services.AddSingleton(new CallbackRegistration());
        return $"Marketing.Sdk.WeChatCallbacks:{kind}:{index}";
    }

    /// <summary>Counts registrations (one per handler added with its own settings).</summary>
    private sealed class CallbackRegistration;
}
