using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace Marketing.Sdk.Ingestion;

/// <summary>
/// Brings identity values to one canonical form so that the same person always yields the same
/// value: phones to E.164 (<c>+8613800138000</c>) using libphonenumber, emails trimmed and lower-cased,
/// other ids trimmed. Rejects values that cannot be normalised with a
/// <see cref="MarketingValidationException"/> naming the field (never the value).
/// </summary>
internal sealed class IdentityNormalizer
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private readonly IngestionOptions _options;

    /// <summary>Creates a normalizer.</summary>
    /// <param name="options">Ingestion options (default phone region, length limits).</param>
    public IdentityNormalizer(IOptions<IngestionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Normalises one identity.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="field">Field path to report errors under, e.g. <c>identities[0]</c>.</param>
    /// <exception cref="MarketingValidationException">Unknown kind, empty, too long or malformed value.</exception>
    public Identity Normalize(Identity identity, string field = "identity")
    {
        if (!Enum.IsDefined(identity.Kind))
        {
            throw new MarketingValidationException($"{field}.kind", ValidationReason.UnknownIdentityKind, "The identity kind is not one of the known kinds.");
        }
        var value = identity.Value?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            throw new MarketingValidationException($"{field}.value", ValidationReason.Missing, $"A {identity.Kind} identity needs a value.");
        }
        if (value.Length > _options.MaxIdentityValueLength)
        {
            throw new MarketingValidationException($"{field}.value", ValidationReason.TooLarge, $"Identity values are at most {_options.MaxIdentityValueLength} characters.");
        }
        if (!TextRules.IsClean(value))
        {
            throw new MarketingValidationException($"{field}.value", ValidationReason.InvalidCharacters, "Identity values must not contain control characters or unpaired surrogates.");
        }
        return identity.Kind switch
        {
            IdentityKind.Phone => new Identity(IdentityKind.Phone, NormalizePhone(value, field)),
            IdentityKind.Email => new Identity(IdentityKind.Email, NormalizeEmail(value, field)),
            _ => new Identity(identity.Kind, value),
        };
    }

    private string NormalizePhone(string value, string field)
    {
        PhoneNumber number;
        try
        {
            number = Phones.Parse(value, _options.DefaultPhoneRegion?.ToUpperInvariant() ?? "ZZ");
        }
        catch (NumberParseException)
        {
            throw new MarketingValidationException($"{field}.value", ValidationReason.InvalidFormat,
                _options.DefaultPhoneRegion is null
                    ? "Not a phone number in international format (+country code), and no DefaultPhoneRegion is configured."
                    : "Not a phone number.");
        }
        if (!Phones.IsPossibleNumber(number))
        {
            throw new MarketingValidationException($"{field}.value", ValidationReason.InvalidFormat, "Not a possible phone number for its country.");
        }
        return Phones.Format(number, PhoneNumberFormat.E164);
    }

    private static string NormalizeEmail(string value, string field)
    {
        var lower = value.ToLowerInvariant();
        var at = lower.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != lower.LastIndexOf('@') || at == lower.Length - 1 || lower.AsSpan(at + 1).IndexOf('.') < 0
            || lower.Any(char.IsWhiteSpace))
        {
            throw new MarketingValidationException($"{field}.value", ValidationReason.InvalidFormat, "Not an email address.");
        }
        return lower;
    }
}

/// <summary>Text hygiene shared by validation rules.</summary>
internal static class TextRules
{
    /// <summary>No unpaired surrogates and no control characters other than tab, CR and LF.</summary>
    public static bool IsClean(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }
                i++;
            }
            else if (char.IsLowSurrogate(c) || (char.IsControl(c) && c is not ('\t' or '\r' or '\n')))
            {
                return false;
            }
        }
        return true;
    }
}
