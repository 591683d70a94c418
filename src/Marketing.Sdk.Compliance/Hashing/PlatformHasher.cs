using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Compliance.Hashing;

/// <summary>A customer-information field that ad platforms use to match people.</summary>
public enum MatchField
{
    /// <summary>Email address.</summary>
    Email = 1,
    /// <summary>Phone number (with country code).</summary>
    Phone = 2,
    /// <summary>First (given) name.</summary>
    FirstName = 3,
    /// <summary>Last (family) name.</summary>
    LastName = 4,
    /// <summary>City.</summary>
    City = 5,
    /// <summary>State or province.</summary>
    State = 6,
    /// <summary>Postal code.</summary>
    Zip = 7,
    /// <summary>Country (ISO 3166-1 alpha-2).</summary>
    Country = 8,
    /// <summary>Gender.</summary>
    Gender = 9,
    /// <summary>Date of birth.</summary>
    DateOfBirth = 10,
    /// <summary>The advertiser's own id of the customer.</summary>
    ExternalId = 11,
}

/// <summary>The platform whose documented normalisation a <see cref="HashingProfile"/> follows.</summary>
public enum HashingPlatform
{
    /// <summary>Meta Conversions API and custom audiences (customer information parameters).</summary>
    Meta = 1,
    /// <summary>Google Ads enhanced conversions and the Data Manager API ("Format user data").</summary>
    Google = 2,
    /// <summary>TikTok Events API.</summary>
    TikTok = 3,
    /// <summary>Tencent Ads (腾讯广告) Marketing API <c>user_actions/add</c> and customer files (see <see cref="TencentAdsHashing"/>).</summary>
    TencentAds = 4,
    /// <summary>Ocean Engine (巨量引擎) DMP data sources and the conversion API's phone (see <see cref="OceanEngineHashing"/>).</summary>
    OceanEngine = 5,
}

/// <summary>
/// A named set of normalisation rules. Use <see cref="Meta"/>, <see cref="Google"/> or
/// <see cref="TikTok"/>; each follows the platform's published customer-information formatting rules
/// (see docs/compliance.md for sources and examples).
/// </summary>
public sealed record HashingProfile
{
    private HashingProfile(string name, HashingPlatform platform, bool phonePlus, IReadOnlySet<MatchField> plain)
    {
        Name = name;
        Platform = platform;
        PhoneWithPlus = phonePlus;
        PlainFields = plain;
    }

    /// <summary>Meta CAPI: every field hashed; phone digits with country code and no '+'; names, city and state lower-case without punctuation or spaces; gender f/m; birth date YYYYMMDD.</summary>
    public static HashingProfile Meta { get; } = new("meta", HashingPlatform.Meta, false, new HashSet<MatchField>());

    /// <summary>Google (Data Manager API / enhanced conversions): gmail.com and googlemail.com local parts lose dots and '+tags'; phone in E.164 with '+'; city, state, zip and country are sent unhashed.</summary>
    public static HashingProfile Google { get; } = new("google", HashingPlatform.Google, true,
        new HashSet<MatchField> { MatchField.City, MatchField.State, MatchField.Zip, MatchField.Country });

    /// <summary>TikTok Events API: email, phone (E.164 with '+'), external id and names hashed; city, state, zip and country sent normalised but unhashed.</summary>
    public static HashingProfile TikTok { get; } = new("tiktok", HashingPlatform.TikTok, true,
        new HashSet<MatchField> { MatchField.City, MatchField.State, MatchField.Zip, MatchField.Country });

    /// <summary>
    /// Tencent Ads: only the phone is matched on, as <c>hash_phone</c> = MD5 of the national number without country code
    /// (see <see cref="TencentAdsHashing"/>); the platform has no email, name or address keys. Platform clients prepare
    /// fields with <see cref="TencentAdsHashing"/>, not with <see cref="PlatformHasher"/> (whose SHA-256 rules do not apply).
    /// </summary>
    public static HashingProfile TencentAds { get; } = new("tencent_ads", HashingPlatform.TencentAds, false, new HashSet<MatchField>());

    /// <summary>
    /// Ocean Engine: only the phone is matched on, as SHA-256 of the 11-digit mainland mobile number without country code
    /// (see <see cref="OceanEngineHashing"/>). Platform clients prepare fields with <see cref="OceanEngineHashing"/>.
    /// </summary>
    public static HashingProfile OceanEngine { get; } = new("ocean_engine", HashingPlatform.OceanEngine, false, new HashSet<MatchField>());

    /// <summary>The profile's name.</summary>
    public string Name { get; }

    /// <summary>The platform.</summary>
    public HashingPlatform Platform { get; }

    /// <summary>Whether phones keep a leading '+' (E.164) before hashing.</summary>
    public bool PhoneWithPlus { get; }

    /// <summary>Fields the platform wants normalised but not hashed.</summary>
    public IReadOnlySet<MatchField> PlainFields { get; }

    /// <summary>Whether the platform wants <paramref name="field"/> hashed.</summary>
    /// <param name="field">The field.</param>
    public bool Hashes(MatchField field) => !PlainFields.Contains(field);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// Normalises customer information the way each platform documents it and hashes it with SHA-256
/// (lower-case hex). A value that already is a 64-hex SHA-256 digest is passed through (lower-cased),
/// never hashed twice.
/// </summary>
public static class PlatformHasher
{
    /// <summary>Normalises then hashes a value for a platform, whatever the platform's hashing rules for the field (see <see cref="Prepare"/> for the wire value).</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The raw value.</param>
    /// <param name="profile">The platform profile.</param>
    /// <returns>64 lower-case hex characters.</returns>
    /// <exception cref="MatchNormalizationException">The value cannot be normalised (e.g. an email without '@').</exception>
    public static string Hash(MatchField field, string value, HashingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(profile);
        if (IsSha256Hex(value.AsSpan().Trim()))
        {
            return value.Trim().ToLowerInvariant();
        }
        return Sha256Hex(Normalize(field, value, profile));
    }

    /// <summary>The value as the platform wants it on the wire: hashed for fields it hashes, normalised plain text for the others (e.g. Google's country and postal code).</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The raw value.</param>
    /// <param name="profile">The platform profile.</param>
    public static string Prepare(MatchField field, string value, HashingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return profile.Hashes(field) ? Hash(field, value, profile) : Normalize(field, value, profile);
    }

    /// <summary>Whether a value is a SHA-256 digest in hex (64 hex digits, any case).</summary>
    /// <param name="value">The value.</param>
    public static bool IsSha256Hex(ReadOnlySpan<char> value) => value.Length == 64 && !value.ContainsAnyExcept(HexChars);

    private static readonly SearchValues<char> HexChars = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>SHA-256 of the UTF-8 bytes, lower-case hex, without intermediate allocations beyond the result.</summary>
    /// <param name="normalized">The normalised text.</param>
    public static string Sha256Hex(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var max = Encoding.UTF8.GetMaxByteCount(normalized.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(normalized, buffer);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer[..length], digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Normalises a value for a platform without hashing it.</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The raw value.</param>
    /// <param name="profile">The platform profile.</param>
    /// <exception cref="MatchNormalizationException">The value cannot be normalised.</exception>
    public static string Normalize(MatchField field, string value, HashingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(profile);
        var trimmed = value.Trim();
        if (trimmed.Length == 0)
        {
            throw new MatchNormalizationException(Name(field), "the value is empty.");
        }
        return field switch
        {
            MatchField.Email => NormalizeEmail(trimmed, profile),
            MatchField.Phone => NormalizePhone(trimmed, profile),
            MatchField.FirstName or MatchField.LastName => NormalizeName(trimmed, field, profile),
            MatchField.City => Require(RemoveWhere(trimmed.ToLowerInvariant(), c => char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c) || (profile.Platform == HashingPlatform.Meta && char.IsDigit(c))), field),
            MatchField.State => Require(RemoveWhere(trimmed.ToLowerInvariant(), c => char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c) || char.IsDigit(c)), field),
            MatchField.Zip => NormalizeZip(trimmed, profile),
            MatchField.Country => NormalizeCountry(trimmed, profile),
            MatchField.Gender => NormalizeGender(trimmed),
            MatchField.DateOfBirth => NormalizeDateOfBirth(trimmed),
            MatchField.ExternalId => profile.Platform == HashingPlatform.Google ? trimmed : RemoveWhere(trimmed.ToLowerInvariant(), char.IsWhiteSpace),
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
    }

    private static string NormalizeEmail(string value, HashingProfile profile)
    {
        var email = RemoveWhere(value.ToLowerInvariant(), char.IsWhiteSpace);
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1 || email.IndexOf('.', at) < 0)
        {
            throw new MatchNormalizationException("email", "it is not an email address.");
        }
        if (profile.Platform == HashingPlatform.Google)
        {
            var domain = email[(at + 1)..];
            if (domain is "gmail.com" or "googlemail.com")
            {
                var local = email[..at];
                var plus = local.IndexOf('+', StringComparison.Ordinal);
                if (plus >= 0)
                {
                    local = local[..plus];
                }
                local = local.Replace(".", "", StringComparison.Ordinal);
                if (local.Length == 0)
                {
                    throw new MatchNormalizationException("email", "the local part is empty after normalisation.");
                }
                email = local + "@" + domain;
            }
        }
        return email;
    }

    private static string NormalizePhone(string value, HashingProfile profile)
    {
        var hadPlus = value.StartsWith('+');
        var digits = RemoveWhere(value, c => !char.IsAsciiDigit(c));
        if (!hadPlus && digits.StartsWith("00", StringComparison.Ordinal))
        {
            digits = digits[2..];
        }
        digits = digits.TrimStart('0');
        if (digits.Length is < 7 or > 15)
        {
            throw new MatchNormalizationException("phone", "a phone number with country code has 7 to 15 digits.");
        }
        return profile.PhoneWithPlus ? "+" + digits : digits;
    }

    private static string NormalizeName(string value, MatchField field, HashingProfile profile)
    {
        var lower = value.ToLowerInvariant();
        return profile.Platform switch
        {
            // Meta: lower case, no punctuation, no spaces; non-Latin letters kept (UTF-8).
            HashingPlatform.Meta => Require(RemoveWhere(lower, c => char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c)), field),
            // Google: lower case, no punctuation, trimmed (inner spaces kept, collapsed).
            _ => Require(CollapseSpaces(RemoveWhere(lower, c => char.IsPunctuation(c) || char.IsSymbol(c))), field),
        };
    }

    private static string NormalizeZip(string value, HashingProfile profile)
    {
        var lower = value.ToLowerInvariant();
        if (profile.Platform == HashingPlatform.Meta)
        {
            var dash = lower.IndexOf('-', StringComparison.Ordinal);
            if (dash >= 0)
            {
                lower = lower[..dash];
            }
        }
        return Require(RemoveWhere(lower, char.IsWhiteSpace), MatchField.Zip);
    }

    private static string NormalizeCountry(string value, HashingProfile profile)
    {
        var letters = RemoveWhere(value, c => !char.IsAsciiLetter(c));
        if (letters.Length != 2)
        {
            throw new MatchNormalizationException("country", "use a two-letter ISO 3166-1 alpha-2 code.");
        }
        return profile.Platform == HashingPlatform.Google ? letters.ToUpperInvariant() : letters.ToLowerInvariant();
    }

    private static string NormalizeGender(string value)
    {
        var letters = RemoveWhere(value.ToLowerInvariant(), c => !char.IsLetter(c));
        return letters switch
        {
            "f" or "female" or "woman" or "w" or "女" or "女性" => "f",
            "m" or "male" or "man" or "男" or "男性" => "m",
            _ => throw new MatchNormalizationException("gender", "use f or m."),
        };
    }

    private static string NormalizeDateOfBirth(string value)
    {
        var digits = RemoveWhere(value, c => !char.IsAsciiDigit(c));
        if (digits.Length == 8 && DateOnly.TryParseExact(digits, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return digits;
        }
        throw new MatchNormalizationException("date of birth", "use year, month and day (YYYYMMDD or YYYY-MM-DD).");
    }

    private static string Require(string normalized, MatchField field) =>
        normalized.Length > 0 ? normalized : throw new MatchNormalizationException(Name(field), "nothing is left after normalisation.");

    private static string RemoveWhere(string value, Func<char, bool> remove)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (!remove(c))
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static string CollapseSpaces(string value) =>
        string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Name(MatchField field) => field switch
    {
        MatchField.DateOfBirth => "date of birth",
        MatchField.ExternalId => "external id",
        MatchField.FirstName => "first name",
        MatchField.LastName => "last name",
        _ => field.ToString().ToLowerInvariant(),
    };
}
