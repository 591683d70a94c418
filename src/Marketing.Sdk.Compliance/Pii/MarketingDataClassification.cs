using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;

namespace Marketing.Sdk.Compliance.Pii;

/// <summary>
/// The finer classes of personal data that get a masking redactor instead of being erased, in the one
/// Marketing.Sdk taxonomy (<see cref="MarketingDataTaxonomy.Name"/>). Everything else is classified with
/// <see cref="MarketingDataTaxonomy"/> and its attributes (<see cref="PersonalDataAttribute"/>,
/// <see cref="SensitiveDataAttribute"/>, <see cref="PseudonymousDataAttribute"/>).
/// </summary>
public static class MaskedDataClassifications
{
    /// <summary>Phone numbers (masked as 138****5678).</summary>
    public static DataClassification Phone { get; } = new(MarketingDataTaxonomy.Name, nameof(Phone));

    /// <summary>Email addresses (masked as j***@example.com).</summary>
    public static DataClassification Email { get; } = new(MarketingDataTaxonomy.Name, nameof(Email));

    /// <summary>Personal names (masked as Z**).</summary>
    public static DataClassification PersonName { get; } = new(MarketingDataTaxonomy.Name, nameof(PersonName));
}

/// <summary>
/// Reads the classification of a model property from its <see cref="DataClassificationAttribute"/>
/// (the Abstractions and Platforms models carry <see cref="PersonalDataAttribute"/>,
/// <see cref="SensitiveDataAttribute"/> and <see cref="PseudonymousDataAttribute"/>), so a renamed or
/// new property keeps or gets its classification where it is declared.
/// </summary>
public static class ModelClassification
{
    /// <summary>The classification of a property, or <see cref="DataClassification.Unknown"/> when it has none.</summary>
    /// <param name="property">The property.</param>
    public static DataClassification Of(PropertyInfo property)
    {
        ArgumentNullException.ThrowIfNull(property);
        return property.GetCustomAttribute<DataClassificationAttribute>(inherit: true)?.Classification ?? DataClassification.Unknown;
    }

    /// <summary>
    /// The classification of a public instance property of <paramref name="type"/>, or
    /// <see cref="DataClassification.Unknown"/> when it has none or there is no such property.
    /// </summary>
    /// <param name="type">The model type.</param>
    /// <param name="property">The property name (use <c>nameof</c>).</param>
    public static DataClassification Of([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, string property)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(property);
        var info = type.GetProperty(property, BindingFlags.Public | BindingFlags.Instance);
        return info is null ? DataClassification.Unknown : Of(info);
    }

    /// <summary>Every classified public instance property of <paramref name="type"/>: property name → classification.</summary>
    /// <param name="type">The model type.</param>
    public static IReadOnlyDictionary<string, DataClassification> ClassifiedProperties([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var result = new Dictionary<string, DataClassification>(StringComparer.Ordinal);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length == 0 && Of(p) is var c && c != DataClassification.Unknown)
            {
                result[p.Name] = c;
            }
        }

        return result;
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
            .SetRedactor<PhoneMaskingRedactor>(MaskedDataClassifications.Phone)
            .SetRedactor<EmailMaskingRedactor>(MaskedDataClassifications.Email)
            .SetRedactor<NameMaskingRedactor>(MaskedDataClassifications.PersonName)
            .SetRedactor<ErasingRedactor>(MarketingDataTaxonomy.PersonalData, MarketingDataTaxonomy.SensitiveData);
    }
}
