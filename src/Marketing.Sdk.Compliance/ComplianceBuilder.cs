using Marketing.Sdk;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Compliance.ClickFraud;
using Marketing.Sdk.Compliance.Pii;
using Marketing.Sdk.Compliance.Retention;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures the compliance package inside <c>AddCompliance(c =&gt; …)</c>.</summary>
public sealed class ComplianceBuilder
{
    internal ComplianceBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Configures <see cref="ComplianceOptions"/>.</summary>
    /// <param name="configure">The configuration.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder Configure(Action<ComplianceOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>Makes purposes need consent (default deny without a record).</summary>
    /// <param name="purposes">The purposes.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder RequireConsent(params ConsentPurpose[] purposes) => Configure(o => o.RequireConsent(purposes));

    /// <summary>Lets purposes go ahead without a record (another legal basis); withdrawals still deny.</summary>
    /// <param name="purposes">The purposes.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder AllowWithoutConsent(params ConsentPurpose[] purposes) => Configure(o => o.AllowWithoutConsent(purposes));

    /// <summary>Adds a retention policy.</summary>
    /// <param name="policy">The policy.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder AddRetention(RetentionPolicy policy) => Configure(o => o.RetentionPolicies.Add(policy));

    /// <summary>Adds an ad-copy lexicon to the built-in ones.</summary>
    /// <param name="lexicon">The lexicon.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder AddLexicon(AdCopyLexicon lexicon)
    {
        Services.AddSingleton(lexicon);
        return this;
    }

    /// <summary>Configures the click-fraud thresholds.</summary>
    /// <param name="configure">The configuration.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder ConfigureClickFraud(Action<ClickFraudOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>Registers the key provider used by <see cref="Pseudonymizer"/> and <see cref="FieldEncryptor"/>.</summary>
    /// <param name="provider">The key provider.</param>
    /// <returns>This builder.</returns>
    public ComplianceBuilder UseKeyProvider(IKeyProvider provider)
    {
        Services.Replace(ServiceDescriptor.Singleton(provider));
        return this;
    }
}
