using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Email;

/// <summary>
/// The one-click unsubscribe endpoint (RFC 8058) as a <see cref="IPlatformCallbackHandler"/>, mapped with the other
/// callbacks by <c>app.MapMarketingCallbacks()</c> under <see cref="EmailOptions.UnsubscribeHandlerName"/>. A mailbox
/// provider's <c>POST</c> with the body <c>List-Unsubscribe=One-Click</c> and a valid token (<c>t</c>) puts the
/// customer on the suppression list for the channel (reason unsubscribed: marketing stops, transactional mail goes on)
/// and answers 200. A <c>GET</c> (a person following the link) changes nothing: it answers a page whose button sends
/// that <c>POST</c>, so link scanners cannot unsubscribe anyone. Forged or expired tokens are refused with 403.
/// </summary>
public sealed partial class EmailUnsubscribeHandler : IPlatformCallbackHandler
{
    private const string OneClickBody = "List-Unsubscribe=One-Click";
    private readonly EmailUnsubscribeTokens? _tokens;
    private readonly ISuppressionList? _suppressions;
    private readonly Channel _channel;
    private readonly ILogger _logger;
    private readonly EmailMetrics _metrics;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The channel's settings (secret, link lifetime, handler name).</param>
    /// <param name="suppressions">The suppression list (<c>AddMessaging()</c>).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Email</c> meter.</param>
    /// <param name="logger">The logger.</param>
    public EmailUnsubscribeHandler(EmailOptions options, ISuppressionList? suppressions, TimeProvider? timeProvider = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null, ILogger<EmailUnsubscribeHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = options.UnsubscribeHandlerName;
        _channel = Channel.Create(options.ChannelName);
        _tokens = options.UnsubscribeSecret is { Length: >= 32 } secret ? new EmailUnsubscribeTokens(secret, options.UnsubscribeLinkLifetime, timeProvider) : null;
        _suppressions = suppressions;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _metrics = new EmailMetrics(meterFactory);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int MaxBodyBytes => 4096;

    /// <inheritdoc />
    public async ValueTask<PlatformCallbackResponse> HandleAsync(PlatformCallbackRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var claim = _tokens?.Verify(request.Query.GetValueOrDefault("t"));
        if (claim is null)
        {
            return Refuse(403, "invalid_token");
        }
        if (request.Method != "POST")
        {
            var action = WebUtility.HtmlEncode("?t=" + request.Query["t"]);
            return new PlatformCallbackResponse(200,
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>Unsubscribe</title></head><body>" +
                "<form method=\"post\" action=\"" + action + "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">" +
                "<button type=\"submit\">Unsubscribe</button></form></body></html>", "text/html; charset=utf-8");
        }
        if (!IsOneClick(request))
        {
            return Refuse(400, "not_one_click");
        }
        if (_suppressions is null)
        {
            return Refuse(503, "no_suppression_list");
        }
        await _suppressions.AddAsync(claim.CustomerId, _channel, SuppressionReason.Unsubscribed, cancellationToken).ConfigureAwait(false);
        _metrics.Unsubscribes.Add(1, new KeyValuePair<string, object?>("marketing.outcome", "unsubscribed"));
        LogUnsubscribed(_logger, claim.MessageId);
        return PlatformCallbackResponse.Ok("unsubscribed");
    }

    private PlatformCallbackResponse Refuse(int status, string reason)
    {
        _metrics.Unsubscribes.Add(1, new KeyValuePair<string, object?>("marketing.outcome", reason));
        LogRefused(_logger, reason);
        return PlatformCallbackResponse.Refused(status, reason);
    }

    /// <summary>Whether the body carries <c>List-Unsubscribe=One-Click</c> (form-urlencoded, or a multipart form field).</summary>
    private static bool IsOneClick(PlatformCallbackRequest request)
    {
        var body = Encoding.UTF8.GetString(request.Body.Span);
        if (request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            return body.Contains("name=\"List-Unsubscribe\"", StringComparison.OrdinalIgnoreCase) && body.Contains("One-Click", StringComparison.Ordinal);
        }
        return body.Split('&').Any(p => string.Equals(WebUtility.UrlDecode(p).Trim(), OneClickBody, StringComparison.Ordinal));
    }

    [LoggerMessage(EventId = 5710, Level = LogLevel.Information, Message = "One-click unsubscribe from message {MessageId}: the customer is suppressed for marketing email")]
    private static partial void LogUnsubscribed(ILogger logger, string messageId);

    [LoggerMessage(EventId = 5711, Level = LogLevel.Information, Message = "A one-click unsubscribe request was refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
