using Marketing.Sdk;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Compliance.Audit;
using Marketing.Sdk.Compliance.ClickFraud;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Compliance.Pii;
using Marketing.Sdk.Compliance.Retention;
using Marketing.Sdk.Compliance.Tcf;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the compliance package.</summary>
public static class ComplianceMarketingBuilderExtensions
{
    /// <summary>
    /// Adds the consent ledger and gate (<see cref="IConsentGate"/>), Google Consent Mode signals,
    /// data-subject requests, the ad-copy reviewer (built-in lexicons plus
    /// <see cref="ComplianceBuilder.AddLexicon"/>), click-fraud rules, the audit verifier and the
    /// retention service. Uses the registered stores (<see cref="IConsentStore"/>,
    /// <see cref="IAuditLogStore"/>, <see cref="ICustomerDataEraser"/>…). Calling it again only adds
    /// configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the consent policy, retention and lexicons.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddCompliance(this IMarketingBuilder builder, Action<ComplianceBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Register(builder, configure);
    }

    /// <summary>
    /// Adds the compliance package (see <see cref="AddCompliance(IMarketingBuilder, Action{ComplianceBuilder}?)"/>) with
    /// <see cref="ComplianceOptions"/> bound from <paramref name="section"/> (e.g. <c>Marketing:Compliance</c> with
    /// <c>DataSubjectRequestDeadline</c>, <c>RetentionInterval</c>, <c>RunRetention</c>); validated when the host starts.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The configuration section.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddCompliance(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<ComplianceOptions>().Bind(section);
        return Register(builder, null);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder, Action<ComplianceBuilder>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var compliance = new ComplianceBuilder(services);
        configure?.Invoke(compliance);
        services.AddOptions<ComplianceOptions>().ValidateOnStart();
        services.AddOptions<ClickFraudOptions>().Validate(o => o.MaxClicksPerIpPerAdPerDay > 0 && o.BurstClicks > 1 && o.BurstWindow > TimeSpan.Zero && o.MinClickToConversion >= TimeSpan.Zero,
            "Click-fraud thresholds must be positive (burst of at least 2 clicks).").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ComplianceOptions>, ComplianceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ConsentLedger(
            sp.GetRequiredService<IConsentStore>(), sp.GetRequiredService<IAuditLogStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ComplianceOptions>>(), sp.GetService<IProfileStore>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<ILogger<ConsentLedger>>()));
        services.TryAddSingleton<IConsentGate>(sp => new ConsentGate(
            sp.GetRequiredService<IConsentStore>(), sp.GetRequiredService<IOptions<ComplianceOptions>>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ILogger<ConsentGate>>()));
        services.TryAddSingleton(sp => new ConsentModeSignalProvider(sp.GetRequiredService<IConsentGate>()));
        services.TryAddSingleton(sp => new DataSubjectRequestService(
            sp.GetRequiredService<IProfileStore>(), sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IIdentityGraphStore>(),
            sp.GetRequiredService<IConsentStore>(), sp.GetRequiredService<IAuditLogStore>(), sp.GetRequiredService<ICustomerDataEraser>(),
            sp.GetServices<IPersonalDataEraser>(), sp.GetRequiredService<ConsentLedger>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ComplianceOptions>>(), sp.GetService<IStateStore>(), sp.GetService<ILogger<DataSubjectRequestService>>()));
        services.TryAddSingleton(sp => AdCopyReviewer.CreateDefault([.. sp.GetServices<AdCopyLexicon>()]));
        services.TryAddSingleton(sp => new ClickFraudDetector(sp.GetRequiredService<IOptions<ClickFraudOptions>>()));
        services.TryAddSingleton(sp => new AuditLogVerifier(sp.GetRequiredService<IAuditLogStore>()));
        services.TryAddSingleton(sp => new RetentionEnforcer(sp.GetRequiredService<IProfileStore>(), sp.GetRequiredService<DataSubjectRequestService>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ComplianceOptions>>(), sp.GetService<ILogger<RetentionEnforcer>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RetentionBackgroundService>());
        services.TryAddSingleton(sp => new Pseudonymizer(sp.GetRequiredService<IKeyProvider>()));
        services.TryAddSingleton(sp => new FieldEncryptor(sp.GetRequiredService<IKeyProvider>()));
        return builder;
    }
}
