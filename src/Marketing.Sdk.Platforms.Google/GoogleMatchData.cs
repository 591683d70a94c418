using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.Google;

/// <summary>
/// Google's customer-information formatting (Data Manager API "Format user data") on top of
/// <see cref="PlatformHasher"/> with <see cref="HashingProfile.Google"/>: gmail.com / googlemail.com
/// local parts lose dots and <c>+tags</c>, phones are E.164 with <c>+</c>. A phone written in national
/// format (<c>(800)555-0100</c>) is completed with the calling code of the customer's country
/// (libphonenumber), so it hashes the same as <c>+18005550100</c>.
/// </summary>
public static class GoogleMatchData
{
    /// <summary>
    /// Normalises a phone number to E.164 with <c>+</c>. A number starting with <c>+</c> (or <c>00</c>)
    /// already carries its country code; otherwise <paramref name="regionCode"/> (ISO 3166-1 alpha-2)
    /// supplies it. Without a region the digits are taken to include the country code.
    /// </summary>
    /// <param name="phone">The phone number in any common format.</param>
    /// <param name="regionCode">The customer's country, if known.</param>
    /// <exception cref="MatchNormalizationException">The value is not a phone number.</exception>
    public static string NormalizePhone(string phone, string? regionCode = null) => MatchDataNormalization.NormalizePhone(phone, regionCode, HashingProfile.Google);

    /// <summary>The SHA-256 (lower-case hex) of <see cref="NormalizePhone"/>; an existing digest is passed through.</summary>
    /// <param name="phone">The phone number.</param>
    /// <param name="regionCode">The customer's country, if known.</param>
    public static string HashPhone(string phone, string? regionCode = null) => MatchDataNormalization.HashPhone(phone, regionCode, HashingProfile.Google);

    /// <summary>
    /// Returns the data with its phone rewritten to E.164 using its <see cref="CustomerMatchData.Country"/>,
    /// so every platform's hashing sees the country code (the conversion publisher applies it to every
    /// conversion; see <see cref="MatchDataNormalization.WithE164Phone"/>).
    /// </summary>
    /// <param name="data">The customer information.</param>
    public static CustomerMatchData WithE164Phone(CustomerMatchData data) => MatchDataNormalization.WithE164Phone(data);
}
