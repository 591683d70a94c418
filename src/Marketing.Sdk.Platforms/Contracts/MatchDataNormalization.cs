using Marketing.Sdk.Compliance.Hashing;
using PhoneNumbers;

namespace Marketing.Sdk.Platforms;

/// <summary>
/// Completes customer information before it is hashed for any platform. Every phone path of every platform
/// (conversions, audiences) goes through <see cref="NormalizePhone"/>: one normaliser, on libphonenumber.
/// </summary>
public static class MatchDataNormalization
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// Rewrites a phone number to E.164 by libphonenumber: a national number gets the country code of
    /// <see cref="CustomerMatchData.Country"/> (<c>(800) 555-0100</c> with <c>US</c> → <c>+18005550100</c>), an
    /// international one (<c>+</c> or <c>00</c>) is tidied. Digests and numbers libphonenumber cannot place are left
    /// as they are. The result is what <see cref="NormalizePhone"/> sees, so conversions and audiences agree.
    /// </summary>
    /// <param name="data">The customer information.</param>
    public static CustomerMatchData WithE164Phone(CustomerMatchData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var phone = data.Phone?.Trim();
        if (string.IsNullOrEmpty(phone))
        {
            return data;
        }
        return ToE164(phone, data.Country) is { } e164 ? data with { Phone = e164 } : data;
    }

    /// <summary>
    /// Normalises a phone number for a platform: E.164 by libphonenumber (a national number completed with the
    /// calling code of <paramref name="country"/>, its trunk prefix dropped — <c>8 912 345-67-89</c> in <c>RU</c>
    /// → <c>+79123456789</c>), then written as the platform wants it (Meta digits only, Google and TikTok with
    /// <c>+</c>). A number libphonenumber cannot place is taken as already international.
    /// </summary>
    /// <param name="phone">The raw phone number.</param>
    /// <param name="country">The customer's country (ISO 3166-1 alpha-2), if known.</param>
    /// <param name="profile">The platform's hashing profile.</param>
    /// <exception cref="Compliance.MatchNormalizationException">Not a phone number.</exception>
    public static string NormalizePhone(string phone, string? country, HashingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(phone);
        ArgumentNullException.ThrowIfNull(profile);
        var trimmed = phone.Trim();
        return PlatformHasher.Normalize(MatchField.Phone, ToE164(trimmed, country) ?? trimmed, profile);
    }

    /// <summary>The SHA-256 (lower-case hex) of <see cref="NormalizePhone"/>; an existing digest is passed through.</summary>
    /// <param name="phone">The raw phone number.</param>
    /// <param name="country">The customer's country, if known.</param>
    /// <param name="profile">The platform's hashing profile.</param>
    /// <exception cref="Compliance.MatchNormalizationException">Not a phone number.</exception>
    public static string HashPhone(string phone, string? country, HashingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var trimmed = phone.Trim();
        return PlatformHasher.IsSha256Hex(trimmed)
            ? trimmed.ToLowerInvariant()
            : PlatformHasher.Sha256Hex(NormalizePhone(trimmed, country, profile));
    }

    /// <summary>E.164 of a phone number, or <see langword="null"/> when it is a digest or libphonenumber cannot place it.</summary>
    internal static string? ToE164(string phone, string? country)
    {
        if (phone.Length == 0 || phone.Length > 64 || PlatformHasher.IsSha256Hex(phone))
        {
            return null;
        }
        var region = country?.Trim().ToUpperInvariant();
        string text = phone;
        if (phone.StartsWith("00", StringComparison.Ordinal))
        {
            text = "+" + phone[2..];
        }
        if (!text.StartsWith('+') && (region is not { Length: 2 } || Phones.GetCountryCodeForRegion(region) == 0))
        {
            return null;
        }
        try
        {
            var parsed = Phones.Parse(text, text.StartsWith('+') ? "ZZ" : region);
            return Phones.IsPossibleNumber(parsed) ? Phones.Format(parsed, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }
}
