using System.Text.RegularExpressions;

namespace Marketing.Sdk.Content.Generation;

/// <summary>The result of <see cref="BriefRedactor.Redact"/>.</summary>
/// <param name="Text">The text with every personal value replaced by <c>[redacted:kind]</c>.</param>
/// <param name="Kinds">The kinds of values removed (e.g. <c>phone</c>, <c>email</c>), one entry per value.</param>
public sealed record RedactedText(string Text, IReadOnlyList<string> Kinds)
{
    /// <summary>How many values were removed.</summary>
    public int Count => Kinds.Count;

    /// <summary>Describes the result without the text.</summary>
    public override string ToString() => $"RedactedText {{ Count = {Count} }}";
}

/// <summary>
/// The filter every free text of a brief passes before it reaches a prompt: it removes email addresses, mobile and
/// landline phone numbers (China and international), Chinese resident identity card numbers, WeChat ids, QQ numbers
/// and bank card numbers. A brief describes a product and a segment, so none of these belongs in it; the filter is the
/// guard for the brief that carries one anyway (a pasted customer review, a sales note). Subclass it to add patterns.
/// </summary>
public partial class BriefRedactor
{
    /// <summary>The shared default filter.</summary>
    public static BriefRedactor Default { get; } = new();

    /// <summary>Removes personal values from a text.</summary>
    /// <param name="text">The text.</param>
    public virtual RedactedText Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var kinds = new List<string>();
        var result = text;
        foreach (var (kind, pattern) in Patterns)
        {
            result = pattern.Replace(result, _ =>
            {
                kinds.Add(kind);
                return $"[redacted:{kind}]";
            });
        }

        return new RedactedText(result, kinds);
    }

    // Order matters: the longer, more specific numbers go first so a shorter pattern does not take a part of them.
    private static readonly (string Kind, Regex Pattern)[] Patterns =
    [
        ("email", Email()),
        ("wechat", WeChat()),
        ("qq", Qq()),
        ("id_card", IdCard()),
        ("bank_card", BankCard()),
        ("phone", ChinaMobile()),
        ("phone", International()),
        ("phone", Landline()),
    ];

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?:微信号?|威信|薇信|v信|wechat(?:\s*id)?|weixin|vx|wx)\s*(?:id|号)?\s*[:：=]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}|wxid_[A-Za-z0-9]{4,}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, 1000)]
    private static partial Regex WeChat();

    [GeneratedRegex(@"(?:QQ|扣扣)\s*号?\s*[:：=]?\s*[1-9]\d{4,10}(?!\d)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, 1000)]
    private static partial Regex Qq();

    [GeneratedRegex(@"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IdCard();

    [GeneratedRegex(@"(?<!\d)(?:\d[ \-]?){15,18}\d(?!\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex BankCard();

    [GeneratedRegex(@"(?<!\d)(?:(?:\+|00)?86[ \-]?)?1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?!\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChinaMobile();

    [GeneratedRegex(@"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[ \-]?(?:\d[ \-]?){6,13}\d(?!\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex International();

    [GeneratedRegex(@"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?\d{7,8}(?!\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Landline();
}
