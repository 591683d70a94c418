using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// An automated journey: a trigger that enrolls a customer, then steps run in order (waits, branches,
/// actions). Definitions are plain data, built in code with <see cref="JourneyBuilder"/> or read from
/// JSON with <see cref="FromJson"/>.
/// </summary>
public sealed record JourneyDefinition
{
    /// <summary>Stable id (lower-case letters, digits, '_', '-', '.'); part of idempotency keys, so never reuse one for a different journey.</summary>
    public required string Id { get; init; }

    /// <summary>What enrolls a customer.</summary>
    public required JourneyTrigger Trigger { get; init; }

    /// <summary>The steps, run in order unless a step jumps.</summary>
    public required IReadOnlyList<JourneyStep> Steps { get; init; }

    /// <summary>Events that end an active enrollment at once (e.g. a purchase ends a cart-abandonment journey).</summary>
    public IReadOnlyList<EventType> ExitOn { get; init; } = [];

    /// <summary>Whether a customer may enter again after finishing (default true). A customer is never enrolled twice at the same time.</summary>
    public bool AllowReentry { get; init; } = true;

    /// <summary>Minimum time between two entries of one customer (default none).</summary>
    public TimeSpan ReentryCooldown { get; init; }

    /// <summary>Serialises the definition to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LifecycleJsonContext.Default.JourneyDefinition);

    /// <summary>Reads a definition from JSON (the shape <see cref="ToJson"/> writes) and validates it.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="LifecycleException">The JSON is malformed or the definition invalid.</exception>
    public static JourneyDefinition FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JourneyDefinition? definition;
        try
        {
            definition = JsonSerializer.Deserialize(json, LifecycleJsonContext.Default.JourneyDefinition);
        }
        catch (JsonException ex)
        {
            throw new LifecycleException($"The journey JSON is malformed at {ex.Path ?? "$"}.", ex);
        }
        if (definition is null)
        {
            throw new LifecycleException("The journey JSON is null.");
        }
        definition.Validate();
        return definition;
    }

    /// <summary>Checks ids, jump targets and durations.</summary>
    /// <exception cref="LifecycleException">The definition is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Id) || Id.Length > 64 || !Id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.'))
        {
            throw new LifecycleException("A journey id is 1-64 characters of lower-case letters, digits, '_', '-' or '.'.");
        }
        if (Trigger is null || Steps is null || Steps.Count == 0)
        {
            throw new LifecycleException($"Journey '{Id}' needs a trigger and at least one step.");
        }
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in Steps)
        {
            if (step.Id is { } label && !labels.Add(label))
            {
                throw new LifecycleException($"Journey '{Id}' has two steps labelled '{label}'.");
            }
        }
        foreach (var step in Steps)
        {
            foreach (var target in step.JumpTargets())
            {
                if (!labels.Contains(target))
                {
                    throw new LifecycleException($"Journey '{Id}' jumps to unknown step '{target}'.");
                }
            }
            step.Validate(Id);
        }
        Trigger.Validate(Id);
        if (ReentryCooldown < TimeSpan.Zero)
        {
            throw new LifecycleException($"Journey '{Id}' has a negative re-entry cooldown.");
        }
    }

    internal int IndexOf(string label)
    {
        for (var i = 0; i < Steps.Count; i++)
        {
            if (string.Equals(Steps[i].Id, label, StringComparison.Ordinal))
            {
                return i;
            }
        }
        throw new LifecycleException($"Journey '{Id}' jumps to unknown step '{label}'.");
    }
}

/// <summary>What enrolls a customer in a journey.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(EventTrigger), "event")]
[JsonDerivedType(typeof(SegmentTrigger), "segment")]
[JsonDerivedType(typeof(InactivityTrigger), "inactivity")]
[JsonDerivedType(typeof(AnniversaryTrigger), "anniversary")]
public abstract record JourneyTrigger
{
    internal virtual void Validate(string journeyId) { }
}

/// <summary>An event of a type (with property filters) enrolls its customer.</summary>
public sealed record EventTrigger : JourneyTrigger
{
    /// <summary>The event type.</summary>
    public required EventType EventType { get; init; }

    /// <summary>Properties the event must carry with exactly these values.</summary>
    public IReadOnlyDictionary<string, PropertyValue> Where { get; init; } = new Dictionary<string, PropertyValue>();

    internal bool Matches(MarketingEvent e) =>
        e.Type == EventType && Where.All(w => e.Property(w.Key) == w.Value);
}

/// <summary>Entering (or leaving) a segment enrolls the customer; lifecycle stages are segments <c>lifecycle.&lt;stage&gt;</c>.</summary>
public sealed record SegmentTrigger : JourneyTrigger
{
    /// <summary>The segment id.</summary>
    public required string SegmentId { get; init; }

    /// <summary>Enroll on entering (default) or, when <see langword="false"/>, on leaving.</summary>
    public bool OnEnter { get; init; } = true;
}

/// <summary>
/// "N without event X": a customer who did X (or anything, when <see cref="EventType"/> is not set)
/// and then nothing of that kind for <see cref="After"/> is enrolled (e.g. 7 days without a login).
/// </summary>
public sealed record InactivityTrigger : JourneyTrigger
{
    /// <summary>The quiet period.</summary>
    public required TimeSpan After { get; init; }

    /// <summary>The watched event type; any event when <see langword="null"/>.</summary>
    public EventType? EventType { get; init; }

    internal bool Watches(MarketingEvent e) => EventType is not { } t || e.Type == t;

    internal override void Validate(string journeyId)
    {
        if (After <= TimeSpan.Zero)
        {
            throw new LifecycleException($"Journey '{journeyId}' has a non-positive inactivity period.");
        }
    }
}

/// <summary>
/// A yearly date in a profile trait (default <c>birthday</c>, as <c>yyyy-MM-dd</c> or <c>MM-dd</c>)
/// enrolls the customer on that day at <see cref="LocalTime"/> in their time zone; 29 February is
/// celebrated on 28 February in other years.
/// </summary>
public sealed record AnniversaryTrigger : JourneyTrigger
{
    /// <summary>The trait holding the date.</summary>
    public string Trait { get; init; } = "birthday";

    /// <summary>Local time of day from which the customer is enrolled (default 09:00).</summary>
    public TimeOnly LocalTime { get; init; } = new(9, 0);
}

/// <summary>One step of a journey.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(WaitStep), "wait")]
[JsonDerivedType(typeof(WaitForEventStep), "wait_for_event")]
[JsonDerivedType(typeof(BranchStep), "branch")]
[JsonDerivedType(typeof(ActionStep), "action")]
[JsonDerivedType(typeof(ExitStep), "exit")]
public abstract record JourneyStep
{
    /// <summary>Optional label that other steps can jump to.</summary>
    public string? Id { get; init; }

    internal virtual IEnumerable<string> JumpTargets() => [];

    internal virtual void Validate(string journeyId) { }
}

/// <summary>Waits a fixed time.</summary>
public sealed record WaitStep : JourneyStep
{
    /// <summary>How long.</summary>
    public required TimeSpan Duration { get; init; }

    internal override void Validate(string journeyId)
    {
        if (Duration < TimeSpan.Zero)
        {
            throw new LifecycleException($"Journey '{journeyId}' has a negative wait.");
        }
    }
}

/// <summary>Waits until the customer does something, or a timeout passes.</summary>
public sealed record WaitForEventStep : JourneyStep
{
    /// <summary>The awaited event type.</summary>
    public required EventType EventType { get; init; }

    /// <summary>How long to wait at most.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>Step to jump to when the event arrives (the next step when <see langword="null"/>).</summary>
    public string? OnEventGoTo { get; init; }

    /// <summary>Step to jump to on timeout (the next step when <see langword="null"/>).</summary>
    public string? OnTimeoutGoTo { get; init; }

    internal override IEnumerable<string> JumpTargets() => new[] { OnEventGoTo, OnTimeoutGoTo }.OfType<string>();

    internal override void Validate(string journeyId)
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new LifecycleException($"Journey '{journeyId}' has a non-positive event timeout.");
        }
    }
}

/// <summary>Jumps depending on a condition.</summary>
public sealed record BranchStep : JourneyStep
{
    /// <summary>The condition.</summary>
    public required JourneyCondition Condition { get; init; }

    /// <summary>Step to jump to when the condition holds.</summary>
    public required string ThenGoTo { get; init; }

    /// <summary>Step to jump to otherwise (the next step when <see langword="null"/>).</summary>
    public string? ElseGoTo { get; init; }

    internal override IEnumerable<string> JumpTargets() => new[] { ThenGoTo, ElseGoTo }.OfType<string>();
}

/// <summary>Performs an action through the registered <see cref="IJourneyActionHandler"/>s.</summary>
public sealed record ActionStep : JourneyStep
{
    /// <summary>The action.</summary>
    public required JourneyAction Action { get; init; }
}

/// <summary>Ends the journey for the customer.</summary>
public sealed record ExitStep : JourneyStep;

/// <summary>A condition a branch tests.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(EventSinceEntryCondition), "event_since_entry")]
[JsonDerivedType(typeof(HasTagCondition), "has_tag")]
[JsonDerivedType(typeof(TraitEqualsCondition), "trait_equals")]
public abstract record JourneyCondition;

/// <summary>The customer did an event of this type since entering the journey.</summary>
public sealed record EventSinceEntryCondition : JourneyCondition
{
    /// <summary>The event type.</summary>
    public required EventType EventType { get; init; }
}

/// <summary>The customer's profile carries a static or dynamic tag.</summary>
public sealed record HasTagCondition : JourneyCondition
{
    /// <summary>The tag.</summary>
    public required string Tag { get; init; }
}

/// <summary>A profile trait has a value.</summary>
public sealed record TraitEqualsCondition : JourneyCondition
{
    /// <summary>The trait name.</summary>
    public required string Trait { get; init; }

    /// <summary>The value.</summary>
    public required PropertyValue Value { get; init; }
}

/// <summary>Well-known action kinds.</summary>
public static class JourneyActionKinds
{
    /// <summary>Send a message through a channel (email, SMS, WeCom…).</summary>
    public const string SendMessage = "send_message";
    /// <summary>Issue a coupon.</summary>
    public const string IssueCoupon = "issue_coupon";
    /// <summary>Add a tag to the profile.</summary>
    public const string AddTag = "add_tag";
    /// <summary>Call a webhook.</summary>
    public const string CallWebhook = "call_webhook";
}

/// <summary>
/// An action to perform. Actions with a <see cref="Channel"/> are messages: they are consent-checked,
/// frequency-capped and deferred out of quiet hours.
/// </summary>
public sealed record JourneyAction
{
    /// <summary>The kind (see <see cref="JourneyActionKinds"/>, or any custom kind a handler understands).</summary>
    public required string Kind { get; init; }

    /// <summary>The channel a message goes through; <see langword="null"/> for actions that contact nobody.</summary>
    public Channel? Channel { get; init; }

    /// <summary>The consent purpose the message needs; derived from the channel when <see langword="null"/>.</summary>
    public ConsentPurpose? Purpose { get; init; }

    /// <summary>Handler-specific settings (template id, coupon campaign, tag, webhook name…). Not personal data.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether this action contacts the customer.</summary>
    [JsonIgnore]
    public bool IsMessage => Channel is not null;
}
