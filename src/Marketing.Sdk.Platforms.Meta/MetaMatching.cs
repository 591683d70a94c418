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

    // Country calling codes (ITU-T E.164 assignments) of the countries shops most often sell to.
    private static readonly FrozenDictionary<string, string> CallingCodes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["us"] = "1", ["ca"] = "1", ["pr"] = "1",
        ["gb"] = "44", ["ie"] = "353", ["de"] = "49", ["fr"] = "33", ["it"] = "39", ["es"] = "34", ["pt"] = "351",
        ["nl"] = "31", ["be"] = "32", ["lu"] = "352", ["ch"] = "41", ["at"] = "43", ["dk"] = "45", ["se"] = "46",
        ["no"] = "47", ["fi"] = "358", ["pl"] = "48", ["cz"] = "420", ["gr"] = "30", ["tr"] = "90", ["ru"] = "7",
        ["cn"] = "86", ["hk"] = "852", ["mo"] = "853", ["tw"] = "886", ["jp"] = "81", ["kr"] = "82", ["sg"] = "65",
        ["my"] = "60", ["th"] = "66", ["vn"] = "84", ["id"] = "62", ["ph"] = "63", ["in"] = "91", ["au"] = "61",
        ["nz"] = "64", ["ae"] = "971", ["sa"] = "966", ["il"] = "972", ["za"] = "27", ["br"] = "55", ["mx"] = "52",
        ["ar"] = "54", ["cl"] = "56", ["co"] = "57",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Normalises a phone number the way Meta wants it before hashing — digits only, with the country
    /// code, no '+', no leading zeros — completing a number written in national format with the calling
    /// code of <paramref name="country"/> (e.g. <c>(650)555-1212</c> with <c>US</c> → <c>16505551212</c>;
    /// <c>020 7946 0958</c> with <c>GB</c> → <c>442079460958</c>). A number starting with '+' or '00',
    /// or one that already starts with the country's code, is taken as international.
    /// </summary>
    /// <param name="phone">The raw phone number.</param>
    /// <param name="country">The customer's country (ISO 3166-1 alpha-2), if known.</param>
    /// <exception cref="MatchNormalizationException">Not a phone number.</exception>
    public static string NormalizePhone(string phone, string? country)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var trimmed = phone.Trim();
        var code = country is null ? null : CallingCodes.GetValueOrDefault(country.Trim().ToLowerInvariant());
        var digits = new string([.. trimmed.Where(char.IsAsciiDigit)]);
        if (code is null || trimmed.StartsWith('+') || digits.StartsWith("00", StringComparison.Ordinal))
        {
            return PlatformHasher.Normalize(MatchField.Phone, trimmed, HashingProfile.Meta);
        }
        string international;
        if (code == "1")
        {
            // North American Numbering Plan: ten national digits; eleven starting with 1 already carry the code.
            international = digits.Length == 10 ? "1" + digits : digits;
        }
        else if (digits.StartsWith('0'))
        {
            // A national trunk prefix; Italy keeps its leading zero after the country code.
            international = code + (code == "39" ? digits : digits.TrimStart('0'));
        }
        else
        {
            international = digits.StartsWith(code, StringComparison.Ordinal) && digits.Length - code.Length >= 7 ? digits : code + digits;
        }
        return PlatformHasher.Normalize(MatchField.Phone, "+" + international, HashingProfile.Meta);
    }

    /// <summary>Normalises a phone (see <see cref="NormalizePhone"/>) and hashes it: SHA-256, lower-case hex.</summary>
    /// <param name="phone">The raw phone number.</param>
    /// <param name="country">The customer's country, if known.</param>
    public static string HashPhone(string phone, string? country)
    {
        ArgumentNullException.ThrowIfNull(phone);
        return PlatformHasher.IsSha256Hex(phone.AsSpan().Trim())
            ? phone.Trim().ToLowerInvariant()
            : PlatformHasher.Sha256Hex(NormalizePhone(phone, country));
    }

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
                            row[index] = PlatformHasher.Hash(field, value, HashingProfile.Meta);
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
