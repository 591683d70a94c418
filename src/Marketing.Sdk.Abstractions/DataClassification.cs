using Microsoft.Extensions.Compliance.Classification;

namespace Marketing.Sdk;

/// <summary>
/// The data classification taxonomy of Marketing.Sdk, for <c>Microsoft.Extensions.Compliance</c>
/// redaction and for tools that find personal data by reflection. The model's properties carry the
/// matching attributes (<see cref="PersonalDataAttribute"/>, <see cref="PseudonymousDataAttribute"/>).
/// </summary>
public static class MarketingDataTaxonomy
{
    /// <summary>The taxonomy name.</summary>
    public const string Name = "Marketing.Sdk";

    /// <summary>Personal information (PIPL art. 4): phone, email, name, identity values, IP address, address, click ids, free-form traits.</summary>
    public static DataClassification PersonalData { get; } = new(Name, nameof(PersonalData));

    /// <summary>Sensitive personal information (PIPL art. 28): health, biometrics, precise location, financial accounts, minors.</summary>
    public static DataClassification SensitiveData { get; } = new(Name, nameof(SensitiveData));

    /// <summary>Pseudonymous ids (customer ids, order ids, session ids, hashed identifiers): personal data in law, safe to log.</summary>
    public static DataClassification Pseudonymous { get; } = new(Name, nameof(Pseudonymous));
}

/// <summary>Marks personal information (see <see cref="MarketingDataTaxonomy.PersonalData"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PersonalDataAttribute() : DataClassificationAttribute(MarketingDataTaxonomy.PersonalData);

/// <summary>Marks sensitive personal information (see <see cref="MarketingDataTaxonomy.SensitiveData"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class SensitiveDataAttribute() : DataClassificationAttribute(MarketingDataTaxonomy.SensitiveData);

/// <summary>Marks a pseudonymous id (see <see cref="MarketingDataTaxonomy.Pseudonymous"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PseudonymousDataAttribute() : DataClassificationAttribute(MarketingDataTaxonomy.Pseudonymous);
