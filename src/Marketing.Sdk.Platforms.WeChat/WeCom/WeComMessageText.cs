using System.Text;
using Marketing.Sdk.Platforms.Messaging;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>Renders the text of a WeCom message from <see cref="WeComOptions.Texts"/> or the <c>content</c> parameter.</summary>
internal static class WeComMessageText
{
    /// <summary>The parameter holding the text of a template without an entry in <see cref="WeComOptions.Texts"/>.</summary>
    public const string ContentParameter = "content";

    /// <summary>The text, or <see langword="null"/> with a reason code when there is none or it is too long.</summary>
    public static (string? Text, string? Problem) Render(WeComOptions options, PreparedMessage message)
    {
        string text;
        if (options.Texts.TryGetValue(message.Template.Id, out var pattern))
        {
            var builder = new StringBuilder(pattern.Length + 64);
            var i = 0;
            while (i < pattern.Length)
            {
                var open = pattern.IndexOf('{', i);
                if (open < 0)
                {
                    builder.Append(pattern, i, pattern.Length - i);
                    break;
                }
                var close = pattern.IndexOf('}', open + 1);
                if (close < 0)
                {
                    builder.Append(pattern, i, pattern.Length - i);
                    break;
                }
                builder.Append(pattern, i, open - i);
                var name = pattern.Substring(open + 1, close - open - 1);
                if (message.Parameters.TryGetValue(name, out var value))
                {
                    builder.Append(value);
                }
                else
                {
                    return (null, "missing_parameter");
                }
                i = close + 1;
            }
            text = builder.ToString();
        }
        else if (!message.Parameters.TryGetValue(ContentParameter, out text!))
        {
            return (null, "no_text");
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "no_text");
        }
        return Encoding.UTF8.GetByteCount(text) > 4000 ? (null, "text_too_long") : (text, null);
    }
}
