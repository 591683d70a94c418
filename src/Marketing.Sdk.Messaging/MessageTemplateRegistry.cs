using System.Collections.Concurrent;
using System.Text;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Messaging;

/// <summary>
/// The templates of every channel: checked against the channel's <see cref="MessageTemplateRules"/> when
/// registered, and every message's parameters checked against the template and the rules before it is stored.
/// </summary>
public sealed class MessageTemplateRegistry : IMessageTemplateRegistry
{
    private readonly ConcurrentDictionary<(Channel, string), MessageTemplate> _templates = new();
    private readonly Dictionary<Channel, IMessageChannel> _channels;

    /// <summary>Creates the registry with the templates of the options.</summary>
    /// <param name="channels">The registered channels (their rules apply).</param>
    /// <param name="options">The options with the start-up templates.</param>
    public MessageTemplateRegistry(IEnumerable<IMessageChannel> channels, IOptions<MessagingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(options);
        _channels = [];
        foreach (var c in channels)
        {
            _channels.TryAdd(c.Name, c);
        }
        foreach (var t in options.Value.Templates)
        {
            Register(t);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<MessageTemplate> All => [.. _templates.Values.OrderBy(t => t.Channel.Value, StringComparer.Ordinal).ThenBy(t => t.Id, StringComparer.Ordinal)];

    /// <inheritdoc />
    public void Register(MessageTemplate messageTemplate)
    {
        CheckShape(messageTemplate);
        if (_channels.TryGetValue(messageTemplate.Channel, out var channel))
        {
            var rules = channel.TemplateRules;
            if (messageTemplate.Parameters.Count > rules.MaxParameters)
            {
                throw new MarketingValidationException("template.parameters", ValidationReason.TooLarge, $"The channel allows at most {rules.MaxParameters} parameters.");
            }
            foreach (var p in messageTemplate.Parameters)
            {
                if (p.Name.Length > rules.MaxParameterNameLength)
                {
                    throw new MarketingValidationException($"template.parameters.{p.Name}", ValidationReason.TooLarge, $"The channel allows parameter names of at most {rules.MaxParameterNameLength} characters.");
                }
            }
        }
        _templates[(messageTemplate.Channel, messageTemplate.Id)] = messageTemplate;
    }

    /// <inheritdoc />
    public MessageTemplate? Find(Channel channel, string templateId) =>
        templateId is null ? null : _templates.GetValueOrDefault((channel, templateId));

    /// <summary>Checks ids and parameter declarations.</summary>
    internal static void CheckShape(MessageTemplate? t)
    {
        if (t is null)
        {
            throw new MarketingValidationException("template", ValidationReason.Missing, "A template is required.");
        }
        if (!IsName(t.Id, 64))
        {
            throw new MarketingValidationException("template.id", ValidationReason.InvalidFormat, "A template id is 1-64 ASCII letters, digits, '_', '.' or '-'.");
        }
        if (t.Channel.Value is null)
        {
            throw new MarketingValidationException("template.channel", ValidationReason.Missing, "A template names its channel.");
        }
        if (t.Parameters is null)
        {
            throw new MarketingValidationException("template.parameters", ValidationReason.Missing, "Parameters must be a list (possibly empty).");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in t.Parameters)
        {
            if (p is null || !IsName(p.Name, 64))
            {
                throw new MarketingValidationException("template.parameters", ValidationReason.InvalidFormat, "A parameter name is 1-64 ASCII letters, digits, '_', '.' or '-'.");
            }
            if (!seen.Add(p.Name))
            {
                throw new MarketingValidationException($"template.parameters.{p.Name}", ValidationReason.Inconsistent, "The parameter is declared twice.");
            }
            if (p.MaxLength is < 1)
            {
                throw new MarketingValidationException($"template.parameters.{p.Name}", ValidationReason.OutOfRange, "A parameter's maximum length is at least 1.");
            }
        }
    }

    /// <summary>
    /// The parameter values of a message: the request's, then the profile traits the template names for the
    /// missing ones; every value checked against the template and the channel's rules.
    /// </summary>
    /// <exception cref="MarketingValidationException">A parameter is unknown, missing, too long or holds forbidden characters (field and reason only).</exception>
    internal static Dictionary<string, string> ResolveParameters(MessageTemplate template, MessageTemplateRules rules, IReadOnlyDictionary<string, string>? given, CustomerProfile? profile)
    {
        given ??= new Dictionary<string, string>();
        if (given.Count > rules.MaxParameters)
        {
            throw new MarketingValidationException("parameters", ValidationReason.TooLarge, $"At most {rules.MaxParameters} parameters.");
        }
        var declared = template.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var name in given.Keys)
        {
            if (!declared.ContainsKey(name))
            {
                // The name is the caller's text but not a value; it is still bounded before it is echoed.
                var shown = IsName(name, 64) ? name : "(unnamed)";
                throw new MarketingValidationException($"parameters.{shown}", ValidationReason.Inconsistent, $"Template '{template.Id}' has no such parameter.");
            }
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in template.Parameters)
        {
            var field = "parameters." + p.Name;
            string? value = given.TryGetValue(p.Name, out var v) ? v : null;
            if (value is null && p.ProfileTrait is { } trait && profile is not null)
            {
                var fromProfile = profile.Trait(trait);
                value = fromProfile.IsNull ? null : fromProfile.AsString();
            }
            if (string.IsNullOrEmpty(value))
            {
                if (p.Required)
                {
                    throw new MarketingValidationException(field, ValidationReason.Missing, "The parameter is required.");
                }
                continue;
            }
            var max = Math.Min(p.MaxLength ?? int.MaxValue, rules.MaxParameterLength);
            if (value.Length > max)
            {
                throw new MarketingValidationException(field, ValidationReason.TooLarge, $"At most {max} characters.");
            }
            if (rules.MaxParameterUtf8Bytes is { } bytes && Encoding.UTF8.GetByteCount(value) > bytes)
            {
                throw new MarketingValidationException(field, ValidationReason.TooLarge, $"At most {bytes} UTF-8 bytes.");
            }
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if ((char.IsControl(c) && c is not '\n' and not '\r' and not '\t') || ((c is '\n' or '\r') && !rules.AllowLineBreaks))
                {
                    throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "Control characters (or line breaks, on this channel) are not allowed.");
                }
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "The value is not well-formed text.");
                }
            }
            result[p.Name] = value;
        }
        return result;
    }

    internal static bool IsName(string? s, int max) =>
        !string.IsNullOrEmpty(s) && s.Length <= max && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
