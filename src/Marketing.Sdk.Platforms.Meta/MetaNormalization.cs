using System.Text;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.Meta;

/// <summary>
/// Meta's customer-information normalisation, as the official Meta Business SDK does it
/// (facebook-nodejs-business-sdk <c>src/objects/serverside/utils.js</c>, <c>ServerSideUtils.normalizeAndHash</c>;
/// facebook-python-business-sdk <c>normalize.py</c>), for the fields where it differs from the shared
/// <see cref="PlatformHasher"/> rules: zip (whitespace removed, the part before '-', dropped when shorter than
/// two characters), gender (letters only; f/female → f, m/male → m, anything else dropped), city and state
/// (digits, whitespace, '(', ')', '.', '-' removed) and names (lower case, punctuation removed, inner spaces
/// kept, as Meta's customer-information guidance asks). Phones go through the one libphonenumber normaliser
/// (<see cref="MatchDataNormalization.NormalizePhone"/>); the other fields through <see cref="PlatformHasher"/>.
/// Deliberate differences from the SDKs are listed in docs/platforms-meta.md.
/// </summary>
internal sealed class MetaNormalization : IMatchFieldPreparer
{
    public static MetaNormalization Instance { get; } = new();

    /// <inheritdoc />
    public string Prepare(MatchField field, string value, string? country)
    {
        ArgumentNullException.ThrowIfNull(value);
        var trimmed = value.Trim();
        if (PlatformHasher.IsSha256Hex(trimmed))
        {
            return trimmed.ToLowerInvariant();
        }
        return field switch
        {
            MatchField.Phone => MatchDataNormalization.HashPhone(trimmed, country, HashingProfile.Meta),
            MatchField.Zip or MatchField.Gender or MatchField.City or MatchField.State or MatchField.FirstName or MatchField.LastName
                => PlatformHasher.Sha256Hex(Normalize(field, trimmed)),
            _ => PlatformHasher.Prepare(field, trimmed, HashingProfile.Meta),
        };
    }

    /// <summary>The normalised (not hashed) value of a field Meta's SDK treats specially.</summary>
    /// <exception cref="MatchNormalizationException">The SDK would drop the value.</exception>
    internal static string Normalize(MatchField field, string value)
    {
        var lower = value.Trim().ToLowerInvariant();
        switch (field)
        {
            case MatchField.Zip:
            {
                var zip = Remove(lower, char.IsWhiteSpace);
                var dash = zip.IndexOf('-', StringComparison.Ordinal);
                zip = dash >= 0 ? zip[..dash] : zip;
                return zip.Length >= 2 ? zip : throw new MatchNormalizationException("zip", "a zip code has at least two characters (Meta Business SDK).");
            }
            case MatchField.Gender:
            {
                var letters = Remove(lower, c => c is < 'a' or > 'z');
                return letters switch
                {
                    "f" or "female" => "f",
                    "m" or "male" => "m",
                    _ => throw new MatchNormalizationException("gender", "gender is f, m, female or male (Meta Business SDK)."),
                };
            }
            case MatchField.City or MatchField.State:
            {
                var text = Remove(lower, c => char.IsAsciiDigit(c) || char.IsWhiteSpace(c) || c is '(' or ')' or '.' or '-');
                return text.Length > 0 ? text : throw new MatchNormalizationException(field == MatchField.City ? "city" : "state", "nothing is left after normalisation.");
            }
            default:
            {
                // Names: lower case, no punctuation or symbols, inner whitespace kept as single spaces (UTF-8 letters kept).
                var kept = Remove(lower, c => char.IsPunctuation(c) || char.IsSymbol(c));
                var name = string.Join(' ', kept.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                return name.Length > 0 ? name : throw new MatchNormalizationException(field == MatchField.FirstName ? "first_name" : "last_name", "nothing is left after normalisation.");
            }
        }
    }

    private static string Remove(string value, Func<char, bool> drop)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (!drop(c))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
