using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;

namespace Marketing.Sdk.Compliance.Pii;

/// <summary>The data classification taxonomy of Marketing.Sdk (for <c>Microsoft.Extensions.Compliance</c> redaction).</summary>
public static class MarketingTaxonomy
{
    /// <summary>The taxonomy name.</summary>
    public const string Name = "Marketing.Sdk";

    /// <summary>Personal information (PIPL art. 4): phone, email, name, identity values, IP address, address.</summary>
    public static DataClassification PersonalData { get; } = new(Name, nameof(PersonalData));

    /// <summary>Sensitive personal information (PIPL art. 28): health, biometrics, precise location, financial accounts, minors.</summary>
    public static DataClassification SensitiveData { get; } = new(Name, nameof(SensitiveData));

    /// <summary>Pseudonymous ids (customer ids, hashed identifiers): personal data in law, safe to log.</summary>
    public static DataClassification Pseudonymous { get; } = new(Name, nameof(Pseudonymous));

    /// <summary>Phone numbers (masked as 138****5678).</summary>
    public static DataClassification Phone { get; } = new(Name, nameof(Phone));

    /// <summary>Email addresses (masked as j***@example.com).</summary>
    public static DataClassification Email { get; } = new(Name, nameof(Email));

    /// <summary>Personal names (masked as Z**).</summary>
    public static DataClassification PersonName { get; } = new(Name, nameof(PersonName));
}

/// <summary>Marks personal information (see <see cref="MarketingTaxonomy.PersonalData"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PersonalDataAttribute() : DataClassificationAttribute(MarketingTaxonomy.PersonalData);

/// <summary>Marks sensitive personal information (see <see cref="MarketingTaxonomy.SensitiveData"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class SensitiveDataAttribute() : DataClassificationAttribute(MarketingTaxonomy.SensitiveData);

/// <summary>Marks a phone number.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PhoneDataAttribute() : DataClassificationAttribute(MarketingTaxonomy.Phone);

/// <summary>Marks an email address.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class EmailDataAttribute() : DataClassificationAttribute(MarketingTaxonomy.Email);

/// <summary>Marks a personal name.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PersonNameDataAttribute() : DataClassificationAttribute(MarketingTaxonomy.PersonName);

/// <summary>
/// The classification of the Marketing.Sdk model's fields (the model lives in the Abstractions
/// package, which does not depend on <c>Microsoft.Extensions.Compliance</c>, so its classification is
/// kept here as data): <c>Type.Property</c> → classification.
/// </summary>
public static class ModelClassification
{
    /// <summary>Every classified model field.</summary>
    public static IReadOnlyDictionary<string, DataClassification> Fields { get; } = new Dictionary<string, DataClassification>(StringComparer.Ordinal)
    {
        ["Identity.Value"] = MarketingTaxonomy.PersonalData,
        ["MarketingEvent.Identities"] = MarketingTaxonomy.PersonalData,
        ["MarketingEvent.IpAddress"] = MarketingTaxonomy.PersonalData,
        ["MarketingEvent.Properties"] = MarketingTaxonomy.PersonalData,
        ["MarketingEvent.Region"] = MarketingTaxonomy.PersonalData,
        ["MarketingEvent.CustomerId"] = MarketingTaxonomy.Pseudonymous,
        ["CustomerProfile.Id"] = MarketingTaxonomy.Pseudonymous,
        ["CustomerProfile.Identities"] = MarketingTaxonomy.PersonalData,
        ["CustomerProfile.Traits"] = MarketingTaxonomy.PersonalData,
        ["CustomerProfile.StaticTags"] = MarketingTaxonomy.PersonalData,
        ["CustomerProfile.DynamicTags"] = MarketingTaxonomy.PersonalData,
        ["CustomerProfile.Consents"] = MarketingTaxonomy.PersonalData,
        ["ConsentRecord.CustomerId"] = MarketingTaxonomy.Pseudonymous,
        ["AuditRecord.Subject"] = MarketingTaxonomy.Pseudonymous,
    };

    /// <summary>The classification of a model field, or <see cref="DataClassification.Unknown"/>.</summary>
    /// <param name="type">The model type.</param>
    /// <param name="property">The property name.</param>
    public static DataClassification Of(Type type, string property)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Fields.TryGetValue(type.Name + "." + property, out var c) ? c : DataClassification.Unknown;
    }
}

/// <summary>Registers the masking redactors for the Marketing.Sdk taxonomy.</summary>
public static class MarketingRedactionBuilderExtensions
{
    /// <summary>
    /// Phones, emails and names get their masking redactors; other personal and sensitive data is
    /// fully erased in logs. Use inside <c>services.AddRedaction(b =&gt; b.AddMarketingRedactors())</c>
    /// and turn on <c>logging.EnableRedaction()</c>.
    /// </summary>
    /// <param name="builder">The redaction builder.</param>
    /// <returns>The builder.</returns>
    public static IRedactionBuilder AddMarketingRedactors(this IRedactionBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .SetRedactor<PhoneMaskingRedactor>(MarketingTaxonomy.Phone)
            .SetRedactor<EmailMaskingRedactor>(MarketingTaxonomy.Email)
            .SetRedactor<NameMaskingRedactor>(MarketingTaxonomy.PersonName)
            .SetRedactor<ErasingRedactor>(MarketingTaxonomy.PersonalData, MarketingTaxonomy.SensitiveData);
    }
}
