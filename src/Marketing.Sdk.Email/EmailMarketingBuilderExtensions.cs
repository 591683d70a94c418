using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Email;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the email channel.</summary>
public static class EmailMarketingBuilderExtensions
{
    /// <summary>Adds the email channel with settings configured elsewhere (validated on start); see the <c>Action&lt;EmailOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddEmail(this IMarketingBuilder builder) => builder.AddEmail(_ => { });

    /// <summary>
    /// Adds the email channel: the <see cref="IMessageChannel"/> <see cref="EmailChannel"/> over SMTP (delivered by
    /// <c>AddMessaging()</c>'s outbox), the one-click unsubscribe endpoint <see cref="EmailUnsubscribeHandler"/> as an
    /// <see cref="IPlatformCallbackHandler"/> (mapped by <c>app.MapMarketingCallbacks()</c>), the bounce and complaint
    /// intake <see cref="EmailFeedbackProcessor"/>, and the eraser of the channel's state. Needs a state store
    /// (<c>AddMarketingSdk</c>). Options are validated on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the channel (relay, sender, DKIM, templates, unsubscribe link, limits).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddEmail(this IMarketingBuilder builder, Action<EmailOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<EmailOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the email channel with settings bound from configuration (validated on start); see the <c>Action&lt;EmailOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="EmailOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<EmailOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<EmailOptions> overload for native AOT.")]
    public static IMarketingBuilder AddEmail(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<EmailOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EmailOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new EmailChannel(sp.GetRequiredService<IOptions<EmailOptions>>().Value, sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>(), sp.GetService<ILogger<EmailChannel>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, EmailChannel>(sp => sp.GetRequiredService<EmailChannel>()));
        services.TryAddSingleton(sp => new EmailUnsubscribeHandler(sp.GetRequiredService<IOptions<EmailOptions>>().Value, sp.GetService<ISuppressionList>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>(), sp.GetService<ILogger<EmailUnsubscribeHandler>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformCallbackHandler, EmailUnsubscribeHandler>(sp => sp.GetRequiredService<EmailUnsubscribeHandler>()));
        services.TryAddSingleton(sp => new EmailFeedbackProcessor(sp.GetRequiredService<IOptions<EmailOptions>>().Value, sp.GetService<IMessageStatusReporter>(),
            sp.GetService<ISuppressionList>(), sp.GetService<IIdentityGraphStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>(),
            sp.GetService<ILogger<EmailFeedbackProcessor>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, EmailDataEraser>(sp => new EmailDataEraser(sp.GetRequiredService<IStateStore>())));
        return builder;
    }
}
