using System.Text.Json.Serialization;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>A request to perform one journey action.</summary>
/// <param name="IdempotencyKey">
/// Unique per journey, customer, enrollment and step, and the same on every retry: handlers must
/// perform the effect at most once per key (pass it on as the platform's idempotency key).
/// </param>
/// <param name="JourneyId">The journey.</param>
/// <param name="StepIndex">The step's position in the journey.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="Action">The action.</param>
/// <param name="RequestedAt">When the engine asked for it.</param>
/// <param name="Attempt">1 on the first try, higher on retries.</param>
public sealed record JourneyActionRequest(string IdempotencyKey, string JourneyId, int StepIndex, CustomerId CustomerId, JourneyAction Action, DateTimeOffset RequestedAt, int Attempt);

/// <summary>
/// Performs journey actions (send a message, issue a coupon, tag, call a webhook). Platform packages
/// implement it; the engine picks the first registered handler whose <see cref="CanHandle"/> is true.
/// </summary>
public interface IJourneyActionHandler
{
    /// <summary>Whether this handler performs <paramref name="action"/>.</summary>
    /// <param name="action">The action.</param>
    bool CanHandle(JourneyAction action);

    /// <summary>Performs the action; throws when it failed (the engine retries with the same idempotency key).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What a gate decided.</summary>
public enum GateVerdict
{
    /// <summary>The action may run.</summary>
    Allow = 0,
    /// <summary>The action must not run; the journey moves on.</summary>
    Veto,
    /// <summary>The action must wait until <see cref="GateDecision.RetryAt"/>; the journey waits with it.</summary>
    Defer,
}

/// <summary>A gate's decision.</summary>
/// <param name="Verdict">Allow, veto or defer.</param>
/// <param name="Reason">Why (no personal data), for vetoes and deferrals.</param>
/// <param name="RetryAt">When to ask again, for deferrals.</param>
public readonly record struct GateDecision(GateVerdict Verdict, string? Reason = null, DateTimeOffset? RetryAt = null)
{
    /// <summary>Let the action run.</summary>
    public static GateDecision Allow => default;

    /// <summary>Stop the action.</summary>
    /// <param name="reason">Why.</param>
    public static GateDecision Veto(string reason) => new(GateVerdict.Veto, reason);

    /// <summary>Hold the action until <paramref name="until"/>.</summary>
    /// <param name="until">When to ask again.</param>
    /// <param name="reason">Why.</param>
    public static GateDecision Defer(DateTimeOffset until, string reason) => new(GateVerdict.Defer, reason, until);
}

/// <summary>
/// Checks an action before it runs: consent, quiet hours, suppression lists, budgets. Every registered
/// gate is asked in registration order; the first that does not allow decides. The compliance
/// package plugs its consent gate in here.
/// </summary>
public interface IJourneyActionGate
{
    /// <summary>Decides whether the action may run now.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<GateDecision> EvaluateAsync(JourneyActionRequest request, CancellationToken cancellationToken = default);
}

/// <summary>How an action ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JourneyActionStatus>))]
public enum JourneyActionStatus
{
    /// <summary>The handler performed it.</summary>
    Executed = 0,
    /// <summary>A gate vetoed it.</summary>
    Vetoed,
    /// <summary>A frequency cap suppressed it.</summary>
    Capped,
    /// <summary>The handler failed on every attempt.</summary>
    Failed,
    /// <summary>No registered handler performs this kind of action.</summary>
    NoHandler,
}

/// <summary>The outcome of one journey action (also the idempotency ledger entry).</summary>
/// <param name="IdempotencyKey">The action's key.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="StepIndex">The step.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="Kind">The action kind.</param>
/// <param name="Channel">The channel, for messages.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Reason">Why it did not run, if it did not.</param>
/// <param name="At">When it ended.</param>
/// <param name="Attempts">Handler attempts made.</param>
public sealed record JourneyActionRecord(string IdempotencyKey, string JourneyId, int StepIndex, CustomerId CustomerId, string Kind, Channel? Channel, JourneyActionStatus Status, string? Reason, DateTimeOffset At, int Attempts);

/// <summary>The state of a customer's enrollment in a journey.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EnrollmentStatus>))]
public enum EnrollmentStatus
{
    /// <summary>In progress.</summary>
    Active = 0,
    /// <summary>Ran through its last step.</summary>
    Completed,
    /// <summary>Ended early by an exit event or an exit step.</summary>
    Exited,
}

/// <summary>A customer's (latest) enrollment in a journey.</summary>
public sealed record JourneyEnrollment
{
    /// <summary>The journey.</summary>
    public required string JourneyId { get; init; }

    /// <summary>The customer.</summary>
    public required CustomerId CustomerId { get; init; }

    /// <summary>1 for the first entry, incremented on each re-entry.</summary>
    public int Sequence { get; init; }

    /// <summary>The state.</summary>
    public EnrollmentStatus Status { get; init; }

    /// <summary>The current step.</summary>
    public int StepIndex { get; init; }

    /// <summary>When the customer entered.</summary>
    public DateTimeOffset EnteredAt { get; init; }

    /// <summary>When the current step began (waits are measured from here).</summary>
    public DateTimeOffset StepStartedAt { get; init; }

    /// <summary>When the engine should look at the enrollment again, if it is waiting.</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>Failed handler attempts on the current action step.</summary>
    public int Attempts { get; init; }

    /// <summary>Event types seen since entry (for <see cref="EventSinceEntryCondition"/>).</summary>
    public IReadOnlyList<EventType> SeenEvents { get; init; } = [];

    /// <summary>When the enrollment ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>
    /// The stem of this enrollment's action idempotency keys (<c>journey:customer:entry</c> as first
    /// enrolled; the key of a step appends <c>:step</c>). Kept when a profile merge moves the enrollment
    /// to the surviving customer, so an action already performed is never performed again.
    /// <see langword="null"/> for enrollments stored before it existed (the stem is then derived).
    /// </summary>
    public string? ActionKeyStem { get; init; }

    /// <summary>
    /// The id of the trigger that started this enrollment, when the trigger has one (a segment membership
    /// change's <see cref="SegmentMembershipChange.ChangeId"/>): the same change delivered again never starts
    /// another enrollment, even after this one ended and re-entry is allowed.
    /// </summary>
    public string? TriggerId { get; init; }
}

/// <summary>A limit on messages in a rolling window.</summary>
/// <param name="MaxMessages">Messages allowed in the window.</param>
/// <param name="Window">The rolling window.</param>
public sealed record FrequencyCap(int MaxMessages, TimeSpan Window);
