using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// What the WeCom and Official Account callback handlers share: the account's <see cref="Token"/> and
/// <see cref="EncodingAesKey"/> (secrets: never in <see cref="ToString"/> or logs), the handler's name (the
/// last segment of its URL under <c>app.MapMarketingCallbacks()</c>), and the limits against hostile callers.
/// </summary>
public abstract class WeChatCallbackOptions
{
    /// <summary>The handler's name: 1–64 lower-case letters, digits, '-' or '_', unique among callback handlers.</summary>
    public string Name { get; set; } = "";

    /// <summary>The callback token set in the console (3–32 ASCII letters and digits): a secret.</summary>
    public string Token { get; set; } = "";

    /// <summary>The 43-character EncodingAESKey set in the console: a secret.</summary>
    public string? EncodingAesKey { get; set; }

    /// <summary>The largest body accepted, 1 KiB – 1 MiB (default 64 KiB); larger ones are refused with 413.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How far a request's timestamp may lie from now, either way (default 5 minutes; 10 seconds – 1 hour). Older
    /// requests are refused as replays; the platform retries within 15 seconds, so the window never refuses a retry.
    /// </summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Signed requests remembered to refuse replays within the window, 100 – 1 000 000 (default 10 000).</summary>
    public int ReplayCacheSize { get; set; } = 10_000;

    /// <summary>The receive id decrypted messages must carry (the corp id or the app id).</summary>
    internal abstract string ReceiveId { get; }

    /// <summary>Describes the options without secrets.</summary>
    public override string ToString() =>
        $"{GetType().Name} {{ Name = {Name}, ReceiveId = {ReceiveId}, Token = {Mask(Token)}, EncodingAesKey = {Mask(EncodingAesKey)}, MaxBodyBytes = {MaxBodyBytes} }}";

    private static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? "(none)" : "***";

    /// <summary>The rules both kinds share; adds each broken one to <paramref name="errors"/>.</summary>
    internal void Check(List<string> errors, bool keyRequired)
    {
        if (!IsHandlerName(Name))
        {
            errors.Add($"{nameof(Name)}: 1-64 lower-case letters, digits, '-' or '_'.");
        }
        if (Token is not { Length: >= 3 and <= 32 } || !Token.All(char.IsAsciiLetterOrDigit))
        {
            errors.Add($"{nameof(Token)}: 3-32 ASCII letters and digits.");
        }
        if ((keyRequired || !string.IsNullOrEmpty(EncodingAesKey)) && !WeChatMessageCrypto.IsValidKey(EncodingAesKey))
        {
            errors.Add($"{nameof(EncodingAesKey)}: 43 ASCII letters and digits (the Base64 form of a 32-byte key).");
        }
        if (string.IsNullOrWhiteSpace(ReceiveId) || ReceiveId.Length > 64 || !ReceiveId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            errors.Add("The corp id / app id: 1-64 ASCII letters, digits, '_', '-' or '.'.");
        }
        if (MaxBodyBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"{nameof(MaxBodyBytes)}: 1 KiB to 1 MiB.");
        }
        if (TimestampTolerance < TimeSpan.FromSeconds(10) || TimestampTolerance > TimeSpan.FromHours(1))
        {
            errors.Add($"{nameof(TimestampTolerance)}: 10 seconds to 1 hour.");
        }
        if (ReplayCacheSize is < 100 or > 1_000_000)
        {
            errors.Add($"{nameof(ReplayCacheSize)}: 100 to 1 000 000.");
        }
    }

    internal static bool IsHandlerName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');
}

/// <summary>
/// Settings of a WeCom (企业微信) callback handler: the app's "接收消息" settings (URL, Token, EncodingAESKey) and
/// the corp id the messages are encrypted for.
/// </summary>
public sealed class WeComCallbackOptions : WeChatCallbackOptions
{
    /// <summary>Creates the settings with the default name <c>wecom</c>.</summary>
    public WeComCallbackOptions() => Name = "wecom";

    /// <summary>The corp id (企业ID), the receive id of every message.</summary>
    public string CorpId { get; set; } = "";

    /// <summary>The channel contact events are recorded under (default <c>wecom</c>).</summary>
    public string Channel { get; set; } = Sdk.Channel.WeCom.Value;

    internal override string ReceiveId => CorpId;
}

/// <summary>
/// Settings of a WeChat Official Account (服务号) callback handler: the "服务器配置" (URL, Token, EncodingAESKey,
/// message mode) and the app id messages are encrypted for.
/// </summary>
public sealed class WeChatOfficialAccountCallbackOptions : WeChatCallbackOptions
{
    /// <summary>Creates the settings with the default name <c>wechat-oa</c>.</summary>
    public WeChatOfficialAccountCallbackOptions() => Name = "wechat-oa";

    /// <summary>The account's app id, the receive id of every encrypted message.</summary>
    public string AppId { get; set; } = "";

    /// <summary>
    /// Whether plaintext-mode (明文模式) pushes are accepted (default <see langword="false"/>: only safe mode).
    /// In plaintext mode the signature covers only token, timestamp and nonce, not the body, so anyone who sees
    /// one signed URL can forge a body within the freshness window: use safe mode (安全模式) in production.
    /// </summary>
    public bool AllowPlaintext { get; set; }

    /// <summary>The channel of the account's template messages: follow events and unfollow suppressions use it, and template send results are reported on it (default <c>wechat</c>).</summary>
    public string Channel { get; set; } = Sdk.Channel.WeChat.Value;

    /// <summary>The channel of the account's subscribe messages (订阅通知), if it differs from <see cref="Channel"/>.</summary>
    public string? SubscribeMessageChannel { get; set; }

    internal override string ReceiveId => AppId;
}

/// <summary>Checks <see cref="WeComCallbackOptions"/> at start.</summary>
internal sealed class WeComCallbackOptionsValidator : IValidateOptions<WeComCallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, WeComCallbackOptions options)
    {
        var errors = new List<string>();
        options.Check(errors, keyRequired: true);
        CheckChannel(errors, nameof(options.Channel), options.Channel);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static void CheckChannel(List<string> errors, string field, string? channel)
    {
        try
        {
            _ = new Channel(channel!);
        }
        catch (MarketingValidationException)
        {
            errors.Add($"{field}: a channel name (letters, digits, '_' and '.', starting with a letter).");
        }
    }
}

/// <summary>Checks <see cref="WeChatOfficialAccountCallbackOptions"/> at start.</summary>
internal sealed class WeChatOfficialAccountCallbackOptionsValidator : IValidateOptions<WeChatOfficialAccountCallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, WeChatOfficialAccountCallbackOptions options)
    {
        var errors = new List<string>();
        options.Check(errors, keyRequired: !options.AllowPlaintext);
        WeComCallbackOptionsValidator.CheckChannel(errors, nameof(options.Channel), options.Channel);
        if (options.SubscribeMessageChannel is not null)
        {
            WeComCallbackOptionsValidator.CheckChannel(errors, nameof(options.SubscribeMessageChannel), options.SubscribeMessageChannel);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
