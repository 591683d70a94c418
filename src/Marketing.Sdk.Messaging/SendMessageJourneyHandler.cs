using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Messaging;

/// <summary>A message could not be sent and never will be under this idempotency key.</summary>
public sealed class MessagingException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened (no personal data).</param>
    public MessagingException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened (no personal data).</param>
    /// <param name="innerException">The cause.</param>
    public MessagingException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// Performs <c>send_message</c> journey actions through <see cref="IMessageSender"/>: the channel the step names,
/// the template in parameter <c>template</c>, every other step parameter as a template parameter (the template
/// fills the rest from profile traits), purpose <c>transactional</c> when parameter <c>purpose</c> says so, the
/// journey action's idempotency key as the message's, and deferral allowed — a message due in quiet hours or
/// over a cap is held and delivered when allowed, and the journey moves on.
/// </summary>
internal sealed partial class SendMessageJourneyHandler(IMessageSender sender, ILogger<SendMessageJourneyHandler>? logger = null) : IJourneyActionHandler
{
    /// <summary>The step parameter naming the template.</summary>
    internal const string TemplateParameter = "template";

    /// <summary>The step parameter naming the purpose (<c>marketing</c> or <c>transactional</c>).</summary>
    internal const string PurposeParameter = "purpose";

    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public bool CanHandle(JourneyAction action) =>
        action is not null && string.Equals(action.Kind, JourneyActionKinds.SendMessage, StringComparison.Ordinal) && action.Channel is not null;

    public async ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var action = request.Action;
        if (!action.Parameters.TryGetValue(TemplateParameter, out var template) || string.IsNullOrEmpty(template))
        {
            throw new MarketingValidationException("action.parameters.template", ValidationReason.Missing, "A send_message step names its template.");
        }
        MessagePurpose? purpose = null;
        if (action.Parameters.TryGetValue(PurposeParameter, out var p))
        {
            purpose = Enum.TryParse<MessagePurpose>(p, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new MarketingValidationException("action.parameters.purpose", ValidationReason.InvalidFormat, "The purpose is 'marketing' or 'transactional'.");
        }
        var parameters = action.Parameters
            .Where(kv => kv.Key is not TemplateParameter and not PurposeParameter)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var result = await sender.SendAsync(new MessageRequest
        {
            CustomerId = request.CustomerId,
            Channel = action.Channel!.Value,
            TemplateId = template,
            Parameters = parameters,
            Purpose = purpose,
            IdempotencyKey = request.IdempotencyKey,
            AllowDeferral = true,
        }, cancellationToken).ConfigureAwait(false);
        LogSent(_logger, request.JourneyId, request.StepIndex, result.MessageId, result.Status, result.Reason);
        if (result.Status == MessageSendStatus.Failed)
        {
            throw new MessagingException($"Message {result.MessageId} failed ({result.ErrorCode ?? "unknown"}).");
        }
    }

    [LoggerMessage(EventId = 5430, Level = LogLevel.Information, Message = "Journey {JourneyId} step {StepIndex}: message {MessageId} {Status} ({Reason}).")]
    private static partial void LogSent(ILogger logger, string journeyId, int stepIndex, string messageId, MessageSendStatus status, MessageSkipReason? reason);
}

/// <summary>Journey steps that send messages with parameters.</summary>
public static class MessagingJourneyBuilderExtensions
{
    /// <summary>Send a message from a template through a channel, with template parameters (not personal data: values from the profile come from the template's traits).</summary>
    /// <param name="builder">The journey builder.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="templateId">The template id.</param>
    /// <param name="parameters">Template parameter values.</param>
    /// <param name="purpose">Marketing (default) or transactional.</param>
    /// <param name="label">Optional step label.</param>
    public static JourneyBuilder SendMessage(this JourneyBuilder builder, Channel channel, string templateId, IReadOnlyDictionary<string, string> parameters, MessagePurpose purpose = MessagePurpose.Marketing, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(templateId);
        ArgumentNullException.ThrowIfNull(parameters);
        var all = new Dictionary<string, string>(parameters, StringComparer.Ordinal)
        {
            [SendMessageJourneyHandler.TemplateParameter] = templateId,
            [SendMessageJourneyHandler.PurposeParameter] = purpose == MessagePurpose.Transactional ? "transactional" : "marketing",
        };
        return builder.Do(new JourneyAction { Kind = JourneyActionKinds.SendMessage, Channel = channel, Parameters = all }, label);
    }
}
