namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// Builds a <see cref="JourneyDefinition"/> in code:
/// <c>new JourneyBuilder("cart_abandoned").OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Wait(TimeSpan.FromHours(1)).IssueCoupon("CART10", Channel.Email).Build()</c>.
/// </summary>
public sealed class JourneyBuilder
{
    private readonly string _id;
    private readonly List<JourneyStep> _steps = [];
    private readonly List<EventType> _exitOn = [];
    private JourneyTrigger? _trigger;
    private bool _allowReentry = true;
    private TimeSpan _cooldown;

    /// <summary>Starts a journey.</summary>
    /// <param name="id">The journey id.</param>
    public JourneyBuilder(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        _id = id;
    }

    /// <summary>Enroll on an event of <paramref name="eventType"/> whose properties equal <paramref name="where"/>.</summary>
    /// <param name="eventType">The event type.</param>
    /// <param name="where">Required property values, if any.</param>
    public JourneyBuilder OnEvent(EventType eventType, IReadOnlyDictionary<string, PropertyValue>? where = null) =>
        Trigger(new EventTrigger { EventType = eventType, Where = where ?? new Dictionary<string, PropertyValue>() });

    /// <summary>Enroll on entering a segment (lifecycle stages are <c>lifecycle.&lt;stage&gt;</c>).</summary>
    /// <param name="segmentId">The segment id.</param>
    public JourneyBuilder OnSegmentEnter(string segmentId) => Trigger(new SegmentTrigger { SegmentId = segmentId });

    /// <summary>Enroll on leaving a segment.</summary>
    /// <param name="segmentId">The segment id.</param>
    public JourneyBuilder OnSegmentExit(string segmentId) => Trigger(new SegmentTrigger { SegmentId = segmentId, OnEnter = false });

    /// <summary>Enroll after <paramref name="after"/> without an event of <paramref name="eventType"/> (any event when <see langword="null"/>).</summary>
    /// <param name="after">The quiet period.</param>
    /// <param name="eventType">The watched event type.</param>
    public JourneyBuilder OnInactivity(TimeSpan after, EventType? eventType = null) => Trigger(new InactivityTrigger { After = after, EventType = eventType });

    /// <summary>Enroll yearly on the date in a trait (default <c>birthday</c>) at a local time (default 09:00).</summary>
    /// <param name="trait">The trait.</param>
    /// <param name="localTime">Local time of day.</param>
    public JourneyBuilder OnAnniversary(string trait = "birthday", TimeOnly? localTime = null) =>
        Trigger(new AnniversaryTrigger { Trait = trait, LocalTime = localTime ?? new TimeOnly(9, 0) });

    /// <summary>End an active enrollment when one of these events happens.</summary>
    /// <param name="eventTypes">The event types.</param>
    public JourneyBuilder ExitOn(params EventType[] eventTypes)
    {
        _exitOn.AddRange(eventTypes);
        return this;
    }

    /// <summary>Set the re-entry policy.</summary>
    /// <param name="allow">Whether a customer may enter again after finishing.</param>
    /// <param name="cooldown">Minimum time between two entries.</param>
    public JourneyBuilder Reentry(bool allow, TimeSpan cooldown = default)
    {
        _allowReentry = allow;
        _cooldown = cooldown;
        return this;
    }

    /// <summary>Wait a fixed time.</summary>
    /// <param name="duration">How long.</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder Wait(TimeSpan duration, string? label = null) => Step(new WaitStep { Duration = duration, Id = label });

    /// <summary>Wait for an event or a timeout.</summary>
    /// <param name="eventType">The awaited event.</param>
    /// <param name="timeout">How long at most.</param>
    /// <param name="onEventGoTo">Label to jump to when the event arrives (next step when <see langword="null"/>).</param>
    /// <param name="onTimeoutGoTo">Label to jump to on timeout (next step when <see langword="null"/>).</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder WaitForEvent(EventType eventType, TimeSpan timeout, string? onEventGoTo = null, string? onTimeoutGoTo = null, string? label = null) =>
        Step(new WaitForEventStep { EventType = eventType, Timeout = timeout, OnEventGoTo = onEventGoTo, OnTimeoutGoTo = onTimeoutGoTo, Id = label });

    /// <summary>Jump when a condition holds.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="thenGoTo">Label to jump to when it holds.</param>
    /// <param name="elseGoTo">Label to jump to otherwise (next step when <see langword="null"/>).</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder Branch(JourneyCondition condition, string thenGoTo, string? elseGoTo = null, string? label = null) =>
        Step(new BranchStep { Condition = condition, ThenGoTo = thenGoTo, ElseGoTo = elseGoTo, Id = label });

    /// <summary>Perform an action.</summary>
    /// <param name="action">The action.</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder Do(JourneyAction action, string? label = null) => Step(new ActionStep { Action = action, Id = label });

    /// <summary>Send a message from a template through a channel.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="template">The template id.</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder SendMessage(Channel channel, string template, string? label = null) =>
        Do(new JourneyAction { Kind = JourneyActionKinds.SendMessage, Channel = channel, Parameters = new Dictionary<string, string> { ["template"] = template } }, label);

    /// <summary>Issue a coupon of a campaign, telling the customer through <paramref name="channel"/> if set.</summary>
    /// <param name="couponCampaign">The coupon campaign id.</param>
    /// <param name="channel">The channel that delivers it, or <see langword="null"/> for a silent wallet coupon.</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder IssueCoupon(string couponCampaign, Channel? channel = null, string? label = null) =>
        Do(new JourneyAction { Kind = JourneyActionKinds.IssueCoupon, Channel = channel, Parameters = new Dictionary<string, string> { ["coupon"] = couponCampaign } }, label);

    /// <summary>Add a tag to the profile.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder AddTag(string tag, string? label = null) =>
        Do(new JourneyAction { Kind = JourneyActionKinds.AddTag, Parameters = new Dictionary<string, string> { ["tag"] = tag } }, label);

    /// <summary>Call a named webhook.</summary>
    /// <param name="webhook">The webhook's configured name.</param>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder CallWebhook(string webhook, string? label = null) =>
        Do(new JourneyAction { Kind = JourneyActionKinds.CallWebhook, Parameters = new Dictionary<string, string> { ["webhook"] = webhook } }, label);

    /// <summary>End the journey.</summary>
    /// <param name="label">Optional step label.</param>
    public JourneyBuilder Exit(string? label = null) => Step(new ExitStep { Id = label });

    /// <summary>Builds and validates the definition.</summary>
    /// <exception cref="LifecycleException">The definition is invalid (no trigger, no steps, unknown jump target…).</exception>
    public JourneyDefinition Build()
    {
        var definition = new JourneyDefinition
        {
            Id = _id,
            Trigger = _trigger ?? throw new LifecycleException($"Journey '{_id}' has no trigger."),
            Steps = [.. _steps],
            ExitOn = [.. _exitOn],
            AllowReentry = _allowReentry,
            ReentryCooldown = _cooldown,
        };
        definition.Validate();
        return definition;
    }

    private JourneyBuilder Trigger(JourneyTrigger trigger)
    {
        _trigger = trigger;
        return this;
    }

    private JourneyBuilder Step(JourneyStep step)
    {
        _steps.Add(step);
        return this;
    }
}
