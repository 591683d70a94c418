using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers messaging.</summary>
public static class MessagingMarketingBuilderExtensions
{
    /// <summary>Adds messaging with default settings.</summary>
    /// <param name="builder">The SDK builder.</param>
    public static IMarketingBuilder AddMessaging(this IMarketingBuilder builder) => builder.AddMessaging(_ => { });

    /// <summary>
    /// Adds messaging: <see cref="IMessageSender"/>, <see cref="IMessageTemplateRegistry"/>, <see cref="ISuppressionList"/>
    /// (over the host's <see cref="IStateStore"/>), <see cref="IMessageStatusReporter"/>, the outbox delivery worker
    /// with its hosted service, and the <c>send_message</c> journey action handler. Channels register themselves as
    /// <see cref="IMessageChannel"/> (see <see cref="AddMessageChannel{TChannel}"/>). Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="configure">Configures templates, caps, quiet hours and delivery.</param>
    public static IMarketingBuilder AddMessaging(this IMarketingBuilder builder, Action<MessagingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<MessagingOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new MessagingMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IMessageTemplateRegistry, MessageTemplateRegistry>();
        services.TryAddSingleton<ISuppressionList>(sp => new StateStoreSuppressionList(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new MessageSender(
            sp.GetServices<IMessageChannel>(),
            sp.GetRequiredService<IMessageTemplateRegistry>(),
            sp.GetRequiredService<ISuppressionList>(),
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<IOutboxStore>(),
            sp.GetRequiredService<IOptions<MessagingOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<MessagingMetrics>(),
            sp.GetService<IProfileStore>(),
            sp.GetService<IConsentGate>(),
            sp.GetService<ILogger<MessageSender>>()));
        services.TryAddSingleton<IMessageSender>(sp => sp.GetRequiredService<MessageSender>());
        services.TryAddSingleton(sp => new MessageReport(sp.GetRequiredService<IStateStore>()));
        services.TryAddSingleton(sp => new MessageEventRecorder(sp, sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<MessageEventRecorder>>()));
        services.TryAddSingleton<IMessageStatusReporter>(sp => new MessageStatusReporter(
            sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<ISuppressionList>(), sp.GetRequiredService<MessageEventRecorder>(), sp.GetService<ILogger<MessageStatusReporter>>()));
        services.TryAddSingleton(sp => new MessageDeliveryWorker(
            sp.GetServices<IMessageChannel>(),
            sp.GetRequiredService<IMessageTemplateRegistry>(),
            sp.GetRequiredService<ISuppressionList>(),
            sp.GetRequiredService<IOutboxStore>(),
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<MessageSender>(),
            sp.GetRequiredService<MessageEventRecorder>(),
            sp.GetRequiredService<IOptions<MessagingOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<MessagingMetrics>(),
            sp.GetService<IProfileStore>(),
            sp.GetService<ILogger<MessageDeliveryWorker>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MessageDeliveryService>(sp => new MessageDeliveryService(
            sp.GetRequiredService<MessageDeliveryWorker>(), sp.GetRequiredService<IOptions<MessagingOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<MessageDeliveryService>>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, MessagingDataEraser>(sp => new MessagingDataEraser(sp.GetRequiredService<IStateStore>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJourneyActionHandler, SendMessageJourneyHandler>(sp => new SendMessageJourneyHandler(
            sp.GetRequiredService<IMessageSender>(), sp.GetService<ILogger<SendMessageJourneyHandler>>())));
        return builder;
    }

    /// <summary>Adds messaging with settings bound from configuration (validated on start); see the <c>Action&lt;MessagingOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="section">The section holding <see cref="MessagingOptions"/>'s properties.</param>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<MessagingOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<MessagingOptions> overload for native AOT.")]
    public static IMarketingBuilder AddMessaging(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<MessagingOptions>().Bind(section);
        return builder.AddMessaging(_ => { });
    }

    /// <summary>Registers a channel (once per type) for channel packages and hosts' own channels.</summary>
    /// <typeparam name="TChannel">The channel type.</typeparam>
    /// <param name="builder">The SDK builder.</param>
    public static IMarketingBuilder AddMessageChannel<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TChannel>(this IMarketingBuilder builder)
        where TChannel : class, IMessageChannel
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageChannel, TChannel>());
        return builder;
    }
}
