using System.Globalization;
using System.Text;

namespace Marketing.Sdk.Platforms.Clicks;

/// <summary>The ad platforms whose click ids the SDK captures from landing URLs.</summary>
public enum ClickPlatform
{
    /// <summary>Google Ads: <c>gclid</c>, <c>gbraid</c>, <c>wbraid</c>.</summary>
    Google = 1,
    /// <summary>Meta: <c>fbclid</c>, kept as the <c>_fbc</c> value <c>fb.1.{ms}.{fbclid}</c>.</summary>
    Meta = 2,
    /// <summary>TikTok: <c>ttclid</c>.</summary>
    TikTok = 3,
    /// <summary>Tencent Ads: <c>gdt_vid</c> (WeChat traffic), <c>qz_gdt</c> (other Tencent traffic), <c>click_id</c>.</summary>
    TencentAds = 4,
    /// <summary>Ocean Engine (Douyin, Toutiao): <c>clickid</c>, or <c>callback</c> carrying the <c>__CALLBACK_PARAM__</c> macro's value.</summary>
    OceanEngine = 5,
}

/// <summary>
/// Reads the ad platforms' click identifiers from a landing URL or a launch query string. The input is untrusted (it
/// comes from the browser), so the parser is strict and bounded: input longer than the limit is ignored as a whole, at
/// most <see cref="MaxParameters"/> parameters are read, a parameter with an invalid percent-encoding or invalid UTF-8 is
/// skipped, '+' stays '+' (RFC 3986; click ids are opaque), values with whitespace or control characters, values longer
/// than <see cref="MaxValueLength"/> and unresolved macros (<c>__CLICKID__</c>) are skipped, and when a parameter
/// appears twice the first valid occurrence wins. Parameter names match case-insensitively; values are kept exactly
/// (Meta: "ClickID value is case sensitive"). The query of the URL is read first, then a query inside the fragment
/// (hash-routed pages: <c>/#/landing?gdt_vid=…</c>) for the parameters the first did not have.
/// </summary>
public static class ClickIdParser
{
    /// <summary>The default bound on the input length (characters).</summary>
    public const int DefaultMaxLength = 8192;

    /// <summary>The most parameters read from one input.</summary>
    public const int MaxParameters = 256;

    /// <summary>The longest click id value accepted (characters after decoding).</summary>
    public const int MaxValueLength = 1024;

    /// <summary>The parameter names read, in order of precedence within each platform.</summary>
    internal static readonly string[] Names = ["gclid", "gbraid", "wbraid", "fbclid", "ttclid", "gdt_vid", "qz_gdt", "click_id", "clickid", "callback"];

    /// <summary>
    /// Extracts the click identifiers of <paramref name="urlOrQuery"/> (an absolute or relative URL, or a bare query
    /// string with or without the leading '?'), or <see langword="null"/> when it holds none.
    /// </summary>
    /// <param name="urlOrQuery">The landing URL or launch query.</param>
    /// <param name="clickedAt">When the click landed (the creation time of Meta's <c>_fbc</c>).</param>
    /// <param name="maxLength">Input longer than this is ignored.</param>
    /// <returns>The click ids found (only <see cref="ClickIdentifiers.Gclid"/>, <see cref="ClickIdentifiers.Gbraid"/>,
    /// <see cref="ClickIdentifiers.Wbraid"/>, <see cref="ClickIdentifiers.Fbc"/>, <see cref="ClickIdentifiers.Ttclid"/>,
    /// <see cref="ClickIdentifiers.TencentClickId"/> and <see cref="ClickIdentifiers.OceanEngineCallback"/> are set), or <see langword="null"/>.</returns>
    public static ClickIdentifiers? Parse(string? urlOrQuery, DateTimeOffset clickedAt, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(urlOrQuery) || urlOrQuery.Length > maxLength || urlOrQuery.IndexOf('=', StringComparison.Ordinal) < 0)
        {
            return null;
        }
        var found = new string?[Names.Length];
        var text = urlOrQuery.AsSpan();
        var hash = text.IndexOf('#');
        var main = hash < 0 ? text : text[..hash];
        var fragment = hash < 0 ? [] : text[(hash + 1)..];
        var budget = MaxParameters;
        ReadQuery(QueryOf(main, bareAllowed: true), found, ref budget);
        if (fragment.Length > 0)
        {
            ReadQuery(QueryOf(fragment, bareAllowed: false), found, ref budget);
        }
        return Build(found, clickedAt);
    }

    /// <summary>The <c>_fbc</c> value Meta documents for a click id: <c>fb.1.{creation time in ms}.{fbclid}</c>.</summary>
    /// <param name="fbclid">The click id, exactly as in the URL.</param>
    /// <param name="clickedAt">When the click landed.</param>
    public static string ToFbc(string fbclid, DateTimeOffset clickedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(fbclid);
        return string.Create(CultureInfo.InvariantCulture, $"fb.1.{clickedAt.ToUnixTimeMilliseconds()}.{fbclid}");
    }

    private static ReadOnlySpan<char> QueryOf(ReadOnlySpan<char> part, bool bareAllowed)
    {
        var q = part.IndexOf('?');
        if (q >= 0)
        {
            return part[(q + 1)..];
        }
        // A bare query ("gdt_vid=…&x=1") has no scheme, no path and no '?'.
        return bareAllowed && part.IndexOf('/') < 0 && part.IndexOf(':') < 0 ? part : [];
    }

    private static void ReadQuery(ReadOnlySpan<char> query, string?[] found, ref int budget)
    {
        while (query.Length > 0 && budget > 0)
        {
            var amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? [] : query[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }
            budget--;
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }
            var rawName = pair[..eq];
            if (rawName.Length > 16)
            {
                continue; // longer than any name read
            }
            if (Decode(rawName) is not { } name)
            {
                continue;
            }
            var slot = Array.FindIndex(Names, n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (slot < 0 || found[slot] is not null)
            {
                continue; // not a click id, or the first valid occurrence already won
            }
            var rawValue = pair[(eq + 1)..];
            if (rawValue.Length > MaxValueLength * 3 || Decode(rawValue) is not { } value || !Valid(value))
            {
                continue;
            }
            if (slot == Array.IndexOf(Names, "callback") && value.Contains("://", StringComparison.Ordinal))
            {
                continue; // Tencent's __CALLBACK__ is a URL; Ocean Engine's callback is an opaque token
            }
            found[slot] = value;
        }
    }

    private static bool Valid(string value)
    {
        if (value.Length is 0 or > MaxValueLength)
        {
            return false;
        }
        if (value.Length >= 4 && value.StartsWith("__", StringComparison.Ordinal) && value.EndsWith("__", StringComparison.Ordinal))
        {
            return false; // an unresolved macro such as __CLICKID__ or __CALLBACK_PARAM__ (an ad preview)
        }
        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }
        return true;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Percent-decodes strictly: a '%' not followed by two hex digits, or bytes that are not UTF-8, fail.</summary>
    internal static string? Decode(ReadOnlySpan<char> raw)
    {
        if (raw.IndexOf('%') < 0)
        {
            return raw.ToString();
        }
        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(raw.Length)];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
                {
                    return null;
                }
                bytes[n++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes[n++] = (byte)c;
            }
            else
            {
                // A raw non-ASCII character: copy its UTF-8 bytes (a lone surrogate fails).
                var end = i + 1;
                if (char.IsHighSurrogate(c) && end < raw.Length && char.IsLowSurrogate(raw[end]))
                {
                    end++;
                }
                try
                {
                    n += StrictUtf8.GetBytes(raw[i..end], bytes.AsSpan(n));
                }
                catch (EncoderFallbackException)
                {
                    return null;
                }
                i = end - 1;
            }
        }
        try
        {
            return StrictUtf8.GetString(bytes, 0, n);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static ClickIdentifiers? Build(string?[] v, DateTimeOffset clickedAt)
    {
        // Names: 0 gclid, 1 gbraid, 2 wbraid, 3 fbclid, 4 ttclid, 5 gdt_vid, 6 qz_gdt, 7 click_id, 8 clickid, 9 callback
        if (Array.TrueForAll(v, x => x is null))
        {
            return null;
        }
        return new ClickIdentifiers
        {
            Gclid = v[0],
            Gbraid = v[1],
            Wbraid = v[2],
            Fbc = v[3] is { } fbclid ? ToFbc(fbclid, clickedAt) : null,
            Ttclid = v[4],
            TencentClickId = v[5] ?? v[6] ?? v[7],
            OceanEngineCallback = v[8] ?? v[9],
        };
    }
}
