using PhoneNumbers;

namespace Marketing.Sdk.Platforms;

/// <summary>Completes customer information before it is hashed for any platform.</summary>
public static class MatchDataNormalization
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// Rewrites a phone number in national format (no <c>+</c> or <c>00</c> prefix) to E.164 with the
    /// country code of <see cref="CustomerMatchData.Country"/>, so every platform's hashing sees the
    /// country code (<c>(800) 555-0100</c> with <c>US</c> → <c>+18005550100</c>). Numbers that already
    /// carry a country code, digests, and numbers that do not parse for the country are left as they are.
    /// </summary>
    /// <param name="data">The customer information.</param>
    public static CustomerMatchData WithE164Phone(CustomerMatchData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var phone = data.Phone?.Trim();
        var region = data.Country?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(phone) || phone.StartsWith('+') || phone.StartsWith("00", StringComparison.Ordinal)
            || Compliance.Hashing.PlatformHasher.IsSha256Hex(phone) || region is not { Length: 2 } || Phones.GetCountryCodeForRegion(region) == 0)
        {
            return data;
        }
        try
        {
            var parsed = Phones.Parse(phone, region);
            return Phones.IsPossibleNumber(parsed) ? data with { Phone = Phones.Format(parsed, PhoneNumberFormat.E164) } : data;
        }
        catch (NumberParseException)
        {
            return data;
        }
    }
}
