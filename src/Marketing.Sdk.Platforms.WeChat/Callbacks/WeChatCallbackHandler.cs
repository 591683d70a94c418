using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Profiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// The protocol both WeChat callback handlers share. In order: the method (GET verifies the URL, POST pushes a
/// message), the required query parameters, the timestamp's freshness, the signature (constant-time), the replay
/// cache, then decryption with the receive-id check and safe XML parsing — nothing of the request is read
/// before it is verified, and a refusal is answered and logged with its reason only. A failure while recording
/// (a store down) releases the replay entry and propagates, so the endpoint answers 5xx and the platform retries.
/// </summary>
internal abstract class WeChatCallbackHandler<TOptions> : IPlatformCallbackHandler
    where TOptions : WeChatCallbackOptions
{
    private const int MaxParameterLength = 128;

    private readonly IServiceProvider _services;
    private readonly WeChatCallbackMetrics _metrics;

    protected WeChatCallbackHandler(TOptions options, IServiceProvider services, TimeProvider timeProvider, WeChatCallbackMetrics metrics, ILogger logger)
    {
        Options = options;
        _services = services;
        _metrics = metrics;
        Logger = logger;
        Crypto = string.IsNullOrEmpty(options.EncodingAesKey) ? null : new WeChatMessageCrypto(options.EncodingAesKey, options.ReceiveId);
        Guard = new CallbackReplayGuard(timeProvider, options.TimestampTolerance, options.ReplayCacheSize);
    }

    /// <inheritdoc />
    public string Name => Options.Name;

    /// <inheritdoc />
    public int MaxBodyBytes => Options.MaxBodyBytes;

    protected TOptions Options { get; }

    protected WeChatMessageCrypto? Crypto { get; }

    protected ILogger Logger { get; }

    internal CallbackReplayGuard Guard { get; }

    /// <summary>The largest decrypted or plaintext message parsed, in characters.</summary>
    protected int MaxCharacters => Options.MaxBodyBytes;

    /// <summary>The answer to a push that was handled (or ignored).</summary>
    protected abstract string Acknowledgement { get; }

    public async ValueTask<PlatformCallbackResponse> HandleAsync(PlatformCallbackRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var verify = string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase);
        var kind = verify ? "verify" : "event";
        string? reserved = null;
        try
        {
            if (verify)
            {
                var echo = VerifyUrl(request, out reserved);
                _metrics.Count(Name, kind, "accepted");
                WeChatCallbackLog.UrlVerified(Logger, Name);
                return PlatformCallbackResponse.Ok(echo);
            }
            if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
            {
                throw new WeChatCallbackRefusal(405, WeChatCallbackReasons.Method);
            }
            var message = Open(request, out reserved);
            var handled = await HandleMessageAsync(message, cancellationToken).ConfigureAwait(false);
            _metrics.Count(Name, kind, handled ? "accepted" : "ignored");
            return PlatformCallbackResponse.Ok(Acknowledgement);
        }
        catch (WeChatCallbackRefusal refusal)
        {
            WeChatCallbackLog.Refused(Logger, Name, refusal.Status, refusal.Reason);
            _metrics.Count(Name, kind, refusal.Reason);
            return PlatformCallbackResponse.Refused(refusal.Status, refusal.Reason);
        }
        catch (Exception ex)
        {
            if (reserved is not null)
            {
                Guard.Release(reserved);
            }
            if (ex is not OperationCanceledException)
            {
                WeChatCallbackLog.Failed(Logger, Name, kind, ex.GetType().Name, ex.HResult);
                _metrics.Count(Name, kind, "failed");
            }
            throw;
        }
    }

    /// <summary>Verifies a GET and returns what to echo; <paramref name="reserved"/> is its replay key.</summary>
    protected abstract string VerifyUrl(PlatformCallbackRequest request, out string reserved);

    /// <summary>Verifies a POST and returns its (decrypted) message; <paramref name="reserved"/> is its replay key.</summary>
    protected abstract WeChatCallbackXml Open(PlatformCallbackRequest request, out string reserved);

    /// <summary>Turns a verified message into SDK events; returns whether it was a kind this handler records.</summary>
    protected abstract ValueTask<bool> HandleMessageAsync(WeChatCallbackXml message, CancellationToken cancellationToken);

    /// <summary>A required query parameter (at most <paramref name="maxLength"/> characters).</summary>
    protected static string Parameter(PlatformCallbackRequest request, string name, int maxLength = MaxParameterLength) =>
        request.Query.TryGetValue(name, out var value) && value.Length is > 0 && value.Length <= maxLength
            ? value
            : throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.MissingParameter);

    /// <summary>Checks freshness and signature, then reserves the request against replays; returns the replay key.</summary>
    protected string Authenticate(string timestamp, string signature, string expected)
    {
        var seconds = Guard.CheckFreshness(timestamp);
        if (!WeChatMessageCrypto.SignatureMatches(expected, signature))
        {
            throw new WeChatCallbackRefusal(401, WeChatCallbackReasons.Signature);
        }
        var key = timestamp + ":" + expected;
        Guard.Reserve(key, seconds);
        return key;
    }

    /// <summary>The encrypted POST of both platforms: <c>msg_signature</c> over token, timestamp, nonce and the body's <c>Encrypt</c>.</summary>
    protected WeChatCallbackXml OpenEncrypted(PlatformCallbackRequest request, out string reserved)
    {
        var signature = Parameter(request, "msg_signature");
        var timestamp = Parameter(request, "timestamp");
        var nonce = Parameter(request, "nonce");
        Guard.CheckFreshness(timestamp);
        var envelope = WeChatCallbackXml.Parse(request.Body, MaxCharacters);
        var encrypted = envelope["Encrypt"] is { Length: > 0 } e ? e : throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
        reserved = Authenticate(timestamp, signature, WeChatMessageCrypto.Sign(Options.Token, timestamp, nonce, encrypted));
        return WeChatCallbackXml.Parse(Crypto!.Decrypt(encrypted), MaxCharacters);
    }

    /// <summary>The message's <c>CreateTime</c> (Unix seconds).</summary>
    protected static DateTimeOffset CreateTime(WeChatCallbackXml message) =>
        long.TryParse(message["CreateTime"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 253402300800
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);

    /// <summary>A required identifier field of a verified message (1–128 characters).</summary>
    protected static string Required(WeChatCallbackXml message, string field) =>
        message[field] is { Length: > 0 and <= MaxParameterLength } value
            ? value
            : throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);

    /// <summary>
    /// The SDK event id of a callback: a prefix and the SHA-256 of the fields that identify it on the platform's
    /// redeliveries (pseudonymous: the openid or external user id is hashed, never in the id).
    /// </summary>
    protected static string EventId(string prefix, params string?[] fields)
    {
        var joined = string.Join('\u001f', fields.Select(f => f ?? ""));
        return prefix + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(joined)))[..40];
    }

    /// <summary>Tracks an event; returns the customer it belongs to, if any.</summary>
    protected async ValueTask<CustomerId?> TrackAsync(MarketingEvent marketingEvent, string what, CancellationToken cancellationToken)
    {
        TrackResult result;
        try
        {
            result = await _services.GetRequiredService<IEventCollector>().TrackAsync(marketingEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (MarketingValidationException)
        {
            throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.InvalidEvent);
        }
        WeChatCallbackLog.Recorded(Logger, Name, what, result.Status);
        if (result.CustomerId is { } customer)
        {
            return customer;
        }
        // A redelivery answered as a duplicate may not name the customer: look the identity up.
        if (marketingEvent.Identities.Count > 0 && _services.GetService<IProfileService>() is { } profiles)
        {
            var profile = await profiles.FindByIdentityAsync(marketingEvent.Identities[0], cancellationToken).ConfigureAwait(false);
            return profile?.Id;
        }
        return null;
    }

    /// <summary>Logs a message kind the handler does not record (names that are not short platform codes are not echoed).</summary>
    protected void LogIgnored(string messageType, string eventName)
    {
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            var type = Code(messageType);
            var name = Code(eventName);
            WeChatCallbackLog.Ignored(Logger, Name, type, name);
        }
    }

    /// <summary>A message kind for logs: the platform's own names are short ASCII codes; anything else is not echoed.</summary>
    internal static string Code(string value) =>
        value.Length <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '/' or '-') ? value : "(other)";

    /// <summary>A service the host may or may not have registered (the suppression list, the status reporter).</summary>
    protected T? Optional<T>() where T : class => _services.GetService<T>();
}
