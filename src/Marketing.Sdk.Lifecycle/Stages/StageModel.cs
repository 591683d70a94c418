namespace Marketing.Sdk.Lifecycle.Stages;

/// <summary>Names of the default e-commerce lifecycle stages (AARRR: acquisition, activation, retention, revenue, referral).</summary>
public static class LifecycleStages
{
    /// <summary>The customer has not been staged yet (implicit start of every history).</summary>
    public const string New = "new";
    /// <summary>Seen at least once (visit, ad click, sign-up).</summary>
    public const string Awareness = "awareness";
    /// <summary>Showed interest: viewed products, searched, added to cart, logged in.</summary>
    public const string Interest = "interest";
    /// <summary>Bought once.</summary>
    public const string Purchase = "purchase";
    /// <summary>Bought again.</summary>
    public const string Repurchase = "repurchase";
    /// <summary>Reviewed or shared after buying.</summary>
    public const string Advocacy = "advocacy";

    /// <summary>The default stages in funnel order.</summary>
    public static IReadOnlyList<string> Default { get; } = [Awareness, Interest, Purchase, Repurchase, Advocacy];

    /// <summary>The segment id under which a stage is reported to segment-membership listeners (e.g. <c>lifecycle.purchase</c>).</summary>
    /// <param name="stage">The stage.</param>
    public static string SegmentId(string stage) => "lifecycle." + stage;
}

/// <summary>
/// A transition rule: when the customer is in one of <see cref="From"/> and an event of one of the
/// types in <see cref="On"/> arrives (any type when empty), they move to <see cref="To"/>. Rules are
/// tried in order; the first that matches applies.
/// </summary>
public sealed record StageTransitionRule
{
    /// <summary>The stage entered.</summary>
    public required string To { get; init; }

    /// <summary>Stages the rule applies in (<see cref="LifecycleStages.New"/> for customers not staged yet); any stage when empty.</summary>
    public IReadOnlyList<string> From { get; init; } = [];

    /// <summary>Event types that fire the rule; any type when empty.</summary>
    public IReadOnlyList<EventType> On { get; init; } = [];

    /// <summary>Fires only when the customer has made at least this many purchases (counting the event itself).</summary>
    public int MinPurchases { get; init; }

    internal bool Matches(string current, EventType type, int purchases) =>
        (From.Count == 0 || From.Contains(current, StringComparer.Ordinal))
        && (On.Count == 0 || On.Contains(type))
        && purchases >= MinPurchases
        && !string.Equals(current, To, StringComparison.Ordinal);
}

/// <summary>A stage change.</summary>
/// <param name="From">The stage left.</param>
/// <param name="To">The stage entered.</param>
/// <param name="At">When (the event's time).</param>
/// <param name="EventType">The event that caused it.</param>
public sealed record StageTransition(string From, string To, DateTimeOffset At, EventType EventType);

/// <summary>A customer's current stage and history.</summary>
public sealed record CustomerStage
{
    /// <summary>The customer.</summary>
    public required CustomerId CustomerId { get; init; }

    /// <summary>The current stage.</summary>
    public required string Stage { get; init; }

    /// <summary>When the current stage was entered.</summary>
    public required DateTimeOffset EnteredAt { get; init; }

    /// <summary>When the customer was first seen by the stage model (their cohort).</summary>
    public required DateTimeOffset FirstSeen { get; init; }

    /// <summary>Purchases counted so far.</summary>
    public int Purchases { get; init; }

    /// <summary>Every stage change, oldest first.</summary>
    public IReadOnlyList<StageTransition> History { get; init; } = [];

    /// <summary>Ids of the most recent events applied (to ignore a redelivered event).</summary>
    public IReadOnlyList<string> RecentEventIds { get; init; } = [];

    /// <summary>Customer ids whose stage records were merged into this one (profile merges), so a repeated merge is not counted twice.</summary>
    public IReadOnlyList<CustomerId> MergedFrom { get; init; } = [];

    /// <summary>How long the customer has been in the current stage at <paramref name="now"/>.</summary>
    /// <param name="now">The instant to measure at.</param>
    public TimeSpan TimeInStage(DateTimeOffset now) => now > EnteredAt ? now - EnteredAt : TimeSpan.Zero;
}

/// <summary>The stage model: the stages and the rules that move customers between them.</summary>
public sealed class StageModelOptions
{
    /// <summary>The stages in funnel order, for reports (default <see cref="LifecycleStages.Default"/>).</summary>
    public IList<string> Stages { get; } = [.. LifecycleStages.Default];

    /// <summary>The rules, tried in order (default <see cref="DefaultRules"/>).</summary>
    public IList<StageTransitionRule> Rules { get; } = [.. DefaultRules];

    /// <summary>Event type that counts as a purchase (default <see cref="EventType.Purchase"/>).</summary>
    public EventType PurchaseEventType { get; set; } = EventType.Purchase;

    /// <summary>
    /// The default e-commerce rules: first contact → awareness; engagement → interest; first purchase →
    /// purchase; second purchase → repurchase; review or share after a purchase → advocacy.
    /// </summary>
    public static IReadOnlyList<StageTransitionRule> DefaultRules { get; } =
    [
        new() { To = LifecycleStages.Purchase, From = [LifecycleStages.New, LifecycleStages.Awareness, LifecycleStages.Interest], On = [EventType.Purchase] },
        new() { To = LifecycleStages.Repurchase, From = [LifecycleStages.Purchase], On = [EventType.Purchase], MinPurchases = 2 },
        new() { To = LifecycleStages.Advocacy, From = [LifecycleStages.Purchase, LifecycleStages.Repurchase], On = [EventType.Review, EventType.Share] },
        new()
        {
            To = LifecycleStages.Interest, From = [LifecycleStages.New, LifecycleStages.Awareness],
            On = [EventType.ProductView, EventType.Search, EventType.AddToCart, EventType.BeginCheckout, EventType.SignUp, EventType.Login],
        },
        new() { To = LifecycleStages.Awareness, From = [LifecycleStages.New] },
    ];
}
