using System.Collections.Frozen;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.Meta;

/// <summary>
/// Meta's standard event names and customer-information preparation beyond the shared
/// <see cref="PlatformHasher"/> rules: completing a national phone number with the country calling
/// code (Meta: "always include the country code") and the split date-of-birth keys of customer files.
/// </summary>
public static class MetaMatching
{
    private static readonly FrozenDictionary<string, string> StandardEvents = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["purchase"] = "Purchase",
        ["add_to_cart"] = "AddToCart",
        ["begin_checkout"] = "InitiateCheckout",
        ["product_view"] = "ViewContent",
        ["sign_up"] = "CompleteRegistration",
        ["search"] = "Search",
        ["page_view"] = "PageView",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Meta's event name for an event type: <c>purchase</c>→Purchase, <c>add_to_cart</c>→AddToCart,
    /// <c>begin_checkout</c>→InitiateCheckout, <c>product_view</c>→ViewContent,
    /// <c>sign_up</c>→CompleteRegistration, <c>search</c>→Search, <c>page_view</c>→PageView; any other
    /// type is sent as a custom event under its own name (e.g. <c>refund</c>).
    /// </summary>
    /// <param name="eventType">The event type's name.</param>
    public static string EventName(string eventType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        return StandardEvents.TryGetValue(eventType, out var name) ? name : eventType;
    }

    /// <summary>Whether <paramref name="eventName"/> is one of Meta's standard events this SDK maps to.</summary>
    /// <param name="eventName">The Meta event name.</param>
    public static bool IsStandardEvent(string eventName) => StandardEvents.Values.Contains(eventName, StringComparer.Ordinal);

    /// <summary>
    /// Normalises a phone number the way Meta wants it before hashing — digits only, with the country
    /// code, no '+', no leading zeros — completing a number written in national format with the calling
    /// code of <paramref name="country"/> by libphonenumber (e.g. <c>(650)555-1212</c> with <c>US</c> →
    /// <c>16505551212</c>; <c>020 7946 0958</c> with <c>GB</c> → <c>442079460958</c>), the same normaliser
    /// every platform path uses (<see cref="MatchDataNormalization.NormalizePhone"/>).
    /// </summary>
    /// <param name="phone">The raw phone number.</param>
    /// <param name="country">The customer's country (ISO 3166-1 alpha-2), if known.</param>
    /// <exception cref="MatchNormalizationException">Not a phone number.</exception>
    public static string NormalizePhone(string phone, string? country) => MatchDataNormalization.NormalizePhone(phone, country, HashingProfile.Meta);

    /// <summary>Normalises a phone (see <see cref="NormalizePhone"/>) and hashes it: SHA-256, lower-case hex.</summary>
    /// <param name="phone">The raw phone number.</param>
    /// <param name="country">The customer's country, if known.</param>
    public static string HashPhone(string phone, string? country) => MatchDataNormalization.HashPhone(phone, country, HashingProfile.Meta);

    /// <summary>The customer-file keys (custom-audience <c>schema</c>) in the order this SDK sends them.</summary>
    internal static readonly string[] AudienceKeys = ["EMAIL", "PHONE", "FN", "LN", "ZIP", "CT", "ST", "COUNTRY", "DOBY", "DOBM", "DOBD", "GEN", "EXTERN_ID"];

    /// <summary>
    /// The hashed customer-file values of one member by key index of <see cref="AudienceKeys"/>; values
    /// that cannot be normalised are left out. Returns the number of values set.
    /// </summary>
    internal static int PrepareAudienceRow(CustomerMatchData match, string?[] row)
    {
        var set = 0;
        foreach (var (field, value) in match.Fields())
        {
            try
            {
                switch (field)
                {
                    case MatchField.Phone:
                        row[1] = HashPhone(value, match.Country);
                        set++;
                        break;
                    case MatchField.DateOfBirth:
                        var dob = match.DateOfBirth!.Value;
                        row[8] = PlatformHasher.Sha256Hex(dob.Year.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));
                        row[9] = PlatformHasher.Sha256Hex(dob.Month.ToString("D2", System.Globalization.CultureInfo.InvariantCulture));
                        row[10] = PlatformHasher.Sha256Hex(dob.Day.ToString("D2", System.Globalization.CultureInfo.InvariantCulture));
                        set += 3;
                        break;
                    default:
                        var index = field switch
                        {
                            MatchField.Email => 0,
                            MatchField.FirstName => 2,
                            MatchField.LastName => 3,
                            MatchField.Zip => 4,
                            MatchField.City => 5,
                            MatchField.State => 6,
                            MatchField.Country => 7,
                            MatchField.Gender => 11,
                            MatchField.ExternalId => 12,
                            _ => -1,
                        };
                        if (index >= 0)
                        {
                            row[index] = field is MatchField.Zip or MatchField.Gender or MatchField.City or MatchField.State or MatchField.FirstName or MatchField.LastName
                                ? PlatformHasher.IsSha256Hex(value.AsSpan().Trim()) ? value.Trim().ToLowerInvariant() : PlatformHasher.Sha256Hex(MetaNormalization.Normalize(field, value))
                                : PlatformHasher.Hash(field, value, HashingProfile.Meta);
                            set++;
                        }
                        break;
                }
            }
            catch (MatchNormalizationException)
            {
                // the field is left out; the member still matches on the others
            }
        }
        return set;
    }
}
