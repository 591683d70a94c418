using Marketing.Sdk.Platforms.Messaging;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>
/// The value rules of Official Account template and subscribe message keys. A key is its kind followed by a
/// number (<c>thing1</c>, <c>character_string12</c>, <c>time3</c>); each kind limits its value: <c>thing</c> 20
/// characters, <c>number</c> 32 digits, <c>letter</c> 32 letters, <c>symbol</c> 5 symbols,
/// <c>character_string</c> 32 digits, letters or symbols (no Chinese), <c>phone_number</c> 17, <c>car_number</c> 8,
/// <c>name</c> 10 Chinese characters or 20 letters, <c>phrase</c> 5 Chinese characters, <c>const</c> and the
/// legacy <c>keyword</c> 20. No value may hold a line break or other control character. Parameters named
/// <see cref="Url"/>, <see cref="Page"/>, <see cref="MiniProgramAppId"/> and <see cref="MiniProgramPagePath"/> are
/// not sent as data but as the message's link. Sources: the subscribe-message value table and the 2023
/// template-message rules (docs/platforms/wechat-official-account.md).
/// </summary>
public static class OfficialAccountParameters
{
    /// <summary>The parameter holding a template message's web link (<c>url</c>).</summary>
    public const string Url = "url";

    /// <summary>The parameter holding a subscribe message's web link (<c>page</c>).</summary>
    public const string Page = "page";

    /// <summary>The parameter holding the AppID of the mini-program the message opens.</summary>
    public const string MiniProgramAppId = "miniprogram.appid";

    /// <summary>The parameter holding the page of the mini-program the message opens.</summary>
    public const string MiniProgramPagePath = "miniprogram.pagepath";

    /// <summary>The longest link parameter accepted (characters).</summary>
    public const int MaxLinkLength = 1024;

    private static readonly Dictionary<string, int> Limits = new(StringComparer.Ordinal)
    {
        ["thing"] = 20,
        ["number"] = 32,
        ["letter"] = 32,
        ["symbol"] = 5,
        ["character_string"] = 32,
        ["phone_number"] = 17,
        ["car_number"] = 8,
        ["name"] = 20,
        ["phrase"] = 5,
        ["const"] = 20,
        ["keyword"] = 20,
        ["time"] = 64,
        ["date"] = 64,
        ["amount"] = 32,
        ["enum"] = 64,
    };

    /// <summary>Whether a parameter is a link parameter (not sent as data).</summary>
    /// <param name="name">The parameter name.</param>
    public static bool IsLink(string name) => name is Url or Page or MiniProgramAppId or MiniProgramPagePath;

    /// <summary>The kind of a key (<c>thing</c> of <c>thing12</c>), or <see langword="null"/> when the key has no known kind.</summary>
    /// <param name="key">The template key.</param>
    public static string? KindOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var end = key.Length;
        while (end > 0 && char.IsAsciiDigit(key[end - 1]))
        {
            end--;
        }
        var kind = key[..end];
        return end < key.Length && Limits.ContainsKey(kind) ? kind : null;
    }

    /// <summary>The most characters a key's value may hold, or <see langword="null"/> when the key has no known kind.</summary>
    /// <param name="key">The template key (or a link parameter).</param>
    public static int? MaxLength(string key) =>
        IsLink(key) ? MaxLinkLength : KindOf(key) is { } kind ? Limits[kind] : null;

    /// <summary>
    /// Declares a template parameter with the limit of its kind, so the template registry refuses a too-long value
    /// before the message is stored.
    /// </summary>
    /// <param name="key">The template key (e.g. <c>thing1</c>) or a link parameter.</param>
    /// <param name="required">Whether a message without it is refused.</param>
    /// <param name="profileTrait">The profile trait that fills it when the request does not.</param>
    public static MessageTemplateParameter Parameter(string key, bool required = true, string? profileTrait = null) => new()
    {
        Name = key,
        Required = required,
        MaxLength = MaxLength(key),
        ProfileTrait = profileTrait,
    };

    /// <summary>
    /// Checks a value against its key's kind; returns why it breaks the rule (no value in it), or
    /// <see langword="null"/> when it is fine. Characters are counted as Unicode scalar values.
    /// </summary>
    /// <param name="key">The template key.</param>
    /// <param name="value">The value.</param>
    public static string? Check(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Any(char.IsControl))
        {
            return $"{key}: control characters and line breaks are not allowed";
        }
        if (IsLink(key))
        {
            return value.Length > MaxLinkLength ? $"{key}: at most {MaxLinkLength} characters" : null;
        }
        var kind = KindOf(key);
        if (kind is null)
        {
            return null; // a key of a kind this version does not know: the platform decides
        }
        var length = value.EnumerateRunes().Count();
        var ascii = value.All(char.IsAscii);
        var max = kind == "name" && !ascii ? 10 : Limits[kind];
        if (length > max)
        {
            return $"{key}: at most {max} characters for a {kind} value";
        }
        return kind switch
        {
            "number" when !value.All(c => char.IsAsciiDigit(c) || c == '.') => $"{key}: a number value holds digits only",
            "letter" when !value.All(char.IsAsciiLetter) => $"{key}: a letter value holds letters only",
            "character_string" or "phone_number" when !ascii => $"{key}: a {kind} value holds no Chinese characters",
            _ => null,
        };
    }

    /// <summary>The data of a message: every parameter but the link parameters.</summary>
    internal static Dictionary<string, string> DataOf(IReadOnlyDictionary<string, string> parameters)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            if (!IsLink(key))
            {
                data[key] = value;
            }
        }
        return data;
    }

    /// <summary>The first rule a message's parameters break, or <see langword="null"/>.</summary>
    internal static string? CheckAll(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var (key, value) in parameters)
        {
            if (Check(key, value) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }
}
