using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.Sms;

/// <summary>One per-number flow limit: at most <see cref="MaxMessages"/> messages to one number within <see cref="Window"/>.</summary>
public sealed class SmsFlowWindow
{
    /// <summary>The rolling window (e.g. 1 minute).</summary>
    public TimeSpan Window { get; set; }

    /// <summary>The most messages one number receives within the window.</summary>
    public int MaxMessages { get; set; }

    /// <summary>Creates a window.</summary>
    /// <param name="window">The rolling window.</param>
    /// <param name="maxMessages">The most messages within it.</param>
    public static SmsFlowWindow Of(TimeSpan window, int maxMessages) => new() { Window = window, MaxMessages = maxMessages };
}

/// <summary>
/// Settings every SMS provider client shares: the channel name, the approved signature, the per-number flow
/// limits enforced before sending, the unsubscribe wording of marketing messages and the length rules, and the
/// secret token that authenticates the provider's pushes (neither Alibaba Cloud nor Tencent Cloud signs them).
/// </summary>
public abstract class SmsProviderOptions : PlatformClientOptions
{
    /// <summary>The channel's name (default <c>sms</c>); give each provider its own name when a host registers both.</summary>
    public string ChannelName { get; set; } = "sms";

    /// <summary>The approved SMS signature (签名) sent with every message, without brackets (e.g. <c>阿里云</c>).</summary>
    public string SignName { get; set; } = "";

    /// <summary>
    /// Per-number flow limits checked before a message goes out, shared by every host through the state store; a
    /// message over a limit is deferred (a transient rejection with the wait), never failed. The provider's defaults
    /// apply when the list is left empty; an empty list after <see cref="DisableFlowLimits"/> turns the check off.
    /// </summary>
    public IList<SmsFlowWindow> FlowLimits { get; } = [];

    /// <summary>Turns the client-side per-number limits off (the provider still enforces its own).</summary>
    public bool DisableFlowLimits { get; set; }

    /// <summary>The unsubscribe wording marketing messages must carry (default <c>回T退订</c>).</summary>
    public string UnsubscribeText { get; set; } = "回T退订";

    /// <summary>
    /// The template variable that carries <see cref="UnsubscribeText"/> in marketing messages (e.g. <c>unsub</c>), or
    /// <see langword="null"/> when the approved templates already end with the wording (see <see cref="TemplateTexts"/>).
    /// </summary>
    public string? UnsubscribeParameter { get; set; }

    /// <summary>Whether marketing messages must carry the unsubscribe wording (default true, as the carriers' rules for promotional SMS in China require).</summary>
    public bool RequireUnsubscribeWording { get; set; } = true;

    /// <summary>
    /// The approved text of each template by provider template id (variables as <c>${name}</c> or <c>{1}</c>), used to
    /// check the wording and the length before sending. A template without a text is checked by its variables only.
    /// </summary>
    public IDictionary<string, string> TemplateTexts { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The most billed parts one message may take (default 3: up to 201 characters with the signature).</summary>
    public int MaxParts { get; set; } = 3;

    /// <summary>The longest template variable value in characters (default 35, the providers' limit for notification and promotional templates).</summary>
    public int MaxParameterLength { get; set; } = 35;

    /// <summary>The region a phone number without a country code belongs to (default <c>CN</c>).</summary>
    public string DefaultRegion { get; set; } = "CN";

    /// <summary>
    /// The secret the provider's pushes (receipts, replies) must carry as the <c>token</c> query parameter of the
    /// callback URL configured in the provider's console: the providers do not sign their pushes.
    /// </summary>
    public string CallbackToken { get; set; } = "";

    /// <summary>Reply texts that unsubscribe the sender (compared trimmed, case-insensitive; default T, TD, 退订, R, N, STOP).</summary>
    public IList<string> UnsubscribeKeywords { get; } = [];

    /// <summary>Messages per send call (1 turns batching off).</summary>
    public int MaxBatchSize { get; set; } = 1;

    /// <summary>How long an unconfirmed earlier attempt waits for the provider's records before the message is sent again or given up (default 5 minutes).</summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The provider's default per-number limits.</summary>
    protected abstract IReadOnlyList<SmsFlowWindow> DefaultFlowLimits { get; }

    /// <summary>The most numbers one provider call takes.</summary>
    protected abstract int ProviderMaxBatchSize { get; }

    /// <summary>The limits in force.</summary>
    internal IReadOnlyList<SmsFlowWindow> EffectiveFlowLimits => DisableFlowLimits ? [] : FlowLimits.Count > 0 ? [.. FlowLimits] : DefaultFlowLimits;

    /// <summary>The reply keywords in force.</summary>
    internal IReadOnlyList<string> EffectiveUnsubscribeKeywords => UnsubscribeKeywords.Count > 0 ? [.. UnsubscribeKeywords] : ["T", "TD", "退订", "R", "N", "STOP"];

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(ChannelName))
        {
            yield return $"{nameof(ChannelName)} is required.";
        }
        if (string.IsNullOrWhiteSpace(SignName))
        {
            yield return $"{nameof(SignName)} is required.";
        }
        foreach (var w in FlowLimits)
        {
            if (w is null || w.Window <= TimeSpan.Zero || w.Window > TimeSpan.FromDays(1) || w.MaxMessages < 1)
            {
                yield return $"{nameof(FlowLimits)}: every window is positive, at most one day, and allows at least one message.";
            }
        }
        if (RequireUnsubscribeWording && string.IsNullOrWhiteSpace(UnsubscribeText))
        {
            yield return $"{nameof(UnsubscribeText)} is required while {nameof(RequireUnsubscribeWording)} is on.";
        }
        if (MaxParts is < 1 or > 10)
        {
            yield return $"{nameof(MaxParts)} must be between 1 and 10.";
        }
        if (MaxParameterLength is < 1 or > 500)
        {
            yield return $"{nameof(MaxParameterLength)} must be between 1 and 500.";
        }
        if (string.IsNullOrWhiteSpace(DefaultRegion) || DefaultRegion.Length != 2)
        {
            yield return $"{nameof(DefaultRegion)} must be an ISO 3166-1 alpha-2 code.";
        }
        if (!string.IsNullOrEmpty(CallbackToken) && CallbackToken.Length < 16)
        {
            yield return $"{nameof(CallbackToken)} must be at least 16 characters.";
        }
        if (MaxBatchSize < 1 || MaxBatchSize > ProviderMaxBatchSize)
        {
            yield return $"{nameof(MaxBatchSize)} must be between 1 and {ProviderMaxBatchSize}.";
        }
        if (ReconcileAfter < TimeSpan.Zero)
        {
            yield return $"{nameof(ReconcileAfter)} cannot be negative.";
        }
    }
}
