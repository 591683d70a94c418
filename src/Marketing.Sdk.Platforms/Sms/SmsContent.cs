using System.Globalization;
using System.Text.RegularExpressions;
using Marketing.Sdk.Platforms.Messaging;

namespace Marketing.Sdk.Platforms.Sms;

/// <summary>
/// The content rules of SMS in China that both providers document: a message of at most 70 characters (signature
/// 【…】 included, every character counting one, Chinese or not) is one part; a longer one is split into parts of
/// 67 characters. Marketing messages carry the unsubscribe wording (e.g. 回T退订), counted in the length.
/// </summary>
public static partial class SmsContent
{
    /// <summary>Characters of a single-part message.</summary>
    public const int SinglePartLength = 70;

    /// <summary>Characters per part of a multi-part message.</summary>
    public const int MultiPartLength = 67;

    /// <summary>The code of a message whose text would exceed <see cref="SmsProviderOptions.MaxParts"/>.</summary>
    public const string TooLongCode = "content_too_long";

    /// <summary>The code of a marketing message that would go out without the unsubscribe wording.</summary>
    public const string NoUnsubscribeCode = "unsubscribe_wording_missing";

    /// <summary>The code of a variable value longer than <see cref="SmsProviderOptions.MaxParameterLength"/>.</summary>
    public const string ParameterTooLongCode = "parameter_too_long";

    /// <summary>The billed parts of a message of <paramref name="length"/> characters.</summary>
    /// <param name="length">Characters, signature included.</param>
    public static int Parts(int length) => length <= SinglePartLength ? 1 : (length + MultiPartLength - 1) / MultiPartLength;

    /// <summary>
    /// Renders a template text: <c>${name}</c> (Alibaba Cloud) by name, <c>{1}</c>, <c>{2}</c>… (Tencent Cloud) by the
    /// position of the parameter in <paramref name="order"/>.
    /// </summary>
    /// <param name="text">The approved template text.</param>
    /// <param name="parameters">The values by name.</param>
    /// <param name="order">The parameter names in template order.</param>
    public static string Render(string text, IReadOnlyDictionary<string, string> parameters, IReadOnlyList<string> order)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(order);
        var named = NamedVariable().Replace(text, m => parameters.GetValueOrDefault(m.Groups[1].Value) ?? "");
        return PositionalVariable().Replace(named, m =>
        {
            var position = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1;
            return position >= 0 && position < order.Count ? parameters.GetValueOrDefault(order[position]) ?? "" : "";
        });
    }

    /// <summary>The characters a rendered message takes: 【signature】 plus the text (UTF-16 code units of surrogate pairs count once).</summary>
    /// <param name="signName">The signature.</param>
    /// <param name="text">The rendered text.</param>
    public static int Length(string signName, string text)
    {
        ArgumentNullException.ThrowIfNull(signName);
        ArgumentNullException.ThrowIfNull(text);
        return new StringInfo("【" + signName + "】" + text).LengthInTextElements;
    }

    /// <summary>
    /// Prepares the variables of one message: adds the unsubscribe wording to a marketing message when the channel's
    /// rules require it, checks the wording is there and the rendered length (when the template text is known).
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="options">The channel's settings.</param>
    /// <param name="parameters">The variables to send, in template order (the unsubscribe variable last).</param>
    /// <returns><see langword="null"/> when the message may go out, else the refusal code.</returns>
    public static string? Prepare(PreparedMessage message, SmsProviderOptions options, out IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(options);
        var order = message.Template.Parameters.Select(p => p.Name).Where(message.Parameters.ContainsKey).ToList();
        order.AddRange(message.Parameters.Keys.Where(k => !order.Contains(k)).Order(StringComparer.Ordinal));
        var values = new Dictionary<string, string>(message.Parameters, StringComparer.Ordinal);
        var text = message.Template.ProviderTemplateId is { } code ? (options.TemplateTexts.TryGetValue(code, out var t) ? t : null) : null;
        parameters = [];
        if (message.Purpose == MessagePurpose.Marketing && options.RequireUnsubscribeWording)
        {
            if (options.UnsubscribeParameter is { } name)
            {
                values[name] = options.UnsubscribeText;
                if (!order.Contains(name))
                {
                    order.Add(name);
                }
            }
            else if (text is null || !text.Contains(options.UnsubscribeText, StringComparison.Ordinal))
            {
                return NoUnsubscribeCode;
            }
        }
        if (values.Values.Any(v => v.Length > options.MaxParameterLength))
        {
            return ParameterTooLongCode;
        }
        if (text is not null && Parts(Length(options.SignName, Render(text, values, order))) > options.MaxParts)
        {
            return TooLongCode;
        }
        parameters = [.. order.Select(n => new KeyValuePair<string, string>(n, values[n]))];
        return null;
    }

    /// <summary>Whether a reply text is an unsubscribe (trimmed, case-insensitive, full-width letters folded).</summary>
    /// <param name="text">The reply.</param>
    /// <param name="keywords">The keywords.</param>
    public static bool IsUnsubscribe(string? text, IReadOnlyList<string> keywords)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
        {
            return false;
        }
        // full-width ASCII (Ｔ, ＴＤ) as typed on Chinese keyboards folds to ASCII
        var folded = new string([.. text.Select(c => c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c == '\u3000' ? ' ' : c)]).Trim().Trim('。', '.', '!');
        return keywords.Any(k => string.Equals(folded, k, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"\$\{([A-Za-z0-9_.\-]{1,64})\}")]
    private static partial Regex NamedVariable();

    [GeneratedRegex(@"\{([0-9]{1,2})\}")]
    private static partial Regex PositionalVariable();
}
