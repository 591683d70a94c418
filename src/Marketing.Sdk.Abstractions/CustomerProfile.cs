using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>The consent state of one purpose as summarised on a profile.</summary>
/// <param name="Granted">Whether consent is currently given.</param>
/// <param name="ChangedAt">When the state last changed.</param>
public readonly record struct ConsentState(bool Granted, DateTimeOffset ChangedAt);

/// <summary>
/// One unified customer: every identity known to belong to the person, traits, tags and a
/// consent summary. Immutable; changes produce new instances with <c>with</c>.
/// </summary>
public sealed record CustomerProfile
{
    /// <summary>The profile id.</summary>
    [PseudonymousData]
    public required CustomerId Id { get; init; }

    /// <summary>Every identity linked to the profile.</summary>
    [PersonalData]
    public IReadOnlyList<Identity> Identities { get; init; } = [];

    /// <summary>Attributes such as <c>age</c>, <c>gender</c>, <c>region</c>, <c>member_level</c>, <c>birthday</c>.</summary>
    [PersonalData]
    public IReadOnlyDictionary<string, PropertyValue> Traits { get; init; } = MarketingEvent.EmptyProperties;

    /// <summary>Tags set by people or imports (e.g. <c>vip</c>).</summary>
    [JsonConverter(typeof(TagSetJsonConverter))]
    [PersonalData]
    public IReadOnlySet<string> StaticTags { get; init; } = EmptyTags;

    /// <summary>Tags computed by the SDK (segments, layers, lifecycle stage).</summary>
    [JsonConverter(typeof(TagSetJsonConverter))]
    [PersonalData]
    public IReadOnlySet<string> DynamicTags { get; init; } = EmptyTags;

    /// <summary>Consent state per purpose.</summary>
    [PersonalData]
    public IReadOnlyDictionary<ConsentPurpose, ConsentState> Consents { get; init; } = EmptyConsents;

    /// <summary>When the customer was first seen (earliest event).</summary>
    public DateTimeOffset FirstSeen { get; init; }

    /// <summary>When the customer was last seen (latest event).</summary>
    public DateTimeOffset LastSeen { get; init; }

    /// <summary>Number of events stored for the profile.</summary>
    public long EventCount { get; init; }

    /// <summary>Profiles merged into this one (their ids no longer exist on their own).</summary>
    [PseudonymousData]
    public IReadOnlyList<CustomerId> MergedFrom { get; init; } = [];

    /// <summary>Optimistic-concurrency version; incremented by each store write.</summary>
    public long Version { get; init; }

    /// <summary>A trait value, or <see cref="PropertyValue.Null"/>.</summary>
    /// <param name="name">The trait name.</param>
    public PropertyValue Trait(string name) => Traits.TryGetValue(name, out var v) ? v : PropertyValue.Null;

    /// <summary>Whether consent for <paramref name="purpose"/> is currently given according to the summary.</summary>
    /// <param name="purpose">The purpose.</param>
    public bool HasConsent(ConsentPurpose purpose) => Consents.TryGetValue(purpose, out var s) && s.Granted;

    /// <summary>Describes the profile without identities or trait values.</summary>
    public override string ToString() =>
        $"CustomerProfile {{ Id = {Id}, Identities = {Identities.Count}, Traits = {Traits.Count}, Tags = {StaticTags.Count + DynamicTags.Count}, FirstSeen = {FirstSeen:O}, LastSeen = {LastSeen:O}, Version = {Version} }}";

    internal static readonly IReadOnlySet<string> EmptyTags = new HashSet<string>(0, StringComparer.Ordinal);

    internal static readonly IReadOnlyDictionary<ConsentPurpose, ConsentState> EmptyConsents =
        new Dictionary<ConsentPurpose, ConsentState>(0);
}
