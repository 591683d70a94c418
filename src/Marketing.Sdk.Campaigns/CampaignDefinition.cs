using System.Text.Json.Serialization;

namespace Marketing.Sdk.Campaigns;

/// <summary>A template variant of a campaign: the message a share of a layer's recipients gets.</summary>
public sealed record CampaignVariant
{
    /// <summary>The variant's key in reports (1–64 ASCII letters, digits, '_', '.' or '-'); unique within its layer.</summary>
    public required string Key { get; init; }

    /// <summary>The registered template of the campaign's channel that the variant sends.</summary>
    public required string TemplateId { get; init; }

    /// <summary>Template parameter values (the same for every recipient; per-customer values come from the template's profile traits).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The variant's relative weight within its layer (default 1).</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Describes the variant without parameter values.</summary>
    public override string ToString() => $"CampaignVariant {{ Key = {Key}, TemplateId = {TemplateId}, Weight = {Weight} }}";
}

/// <summary>
/// A campaign: one message to the members of a segment through one channel, a variant per value layer
/// (layered EDM), a deterministic random holdout that gets nothing, sent at most <see cref="MaxPerHour"/> an hour
/// within [<see cref="WindowStart"/>, <see cref="WindowEnd"/>), each customer at their best hour when
/// <see cref="ChooseSendTime"/> is on.
/// </summary>
public sealed record CampaignDefinition
{
    /// <summary>The campaign's id (1–64 ASCII letters, digits, '_', '.' or '-'): salt of the holdout and of the variant split, and part of each message's idempotency key.</summary>
    public required string Id { get; init; }

    /// <summary>The segment whose recorded members are the audience.</summary>
    public required string SegmentId { get; init; }

    /// <summary>The messaging channel.</summary>
    public required Channel Channel { get; init; }

    /// <summary>
    /// Variants per value layer name (<c>potential</c>, <c>new</c>, <c>active</c>, <c>loyal</c>, <c>dormant</c>,
    /// <c>churned</c>, or the names a custom <see cref="ICampaignAudience"/> gives). A layer with several variants is
    /// split among them by weight, deterministically per customer.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<CampaignVariant>> LayerVariants { get; init; } = new Dictionary<string, IReadOnlyList<CampaignVariant>>();

    /// <summary>Variants for members whose layer has no entry in <see cref="LayerVariants"/>; when empty such members are skipped (not in the campaign).</summary>
    public IReadOnlyList<CampaignVariant> DefaultVariants { get; init; } = [];

    /// <summary>The share of the audience held out (no message), in [0, 0.5] (default 0.1).</summary>
    public double HoldoutShare { get; init; } = 0.1;

    /// <summary>When sending may start.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>When sending must stop (recipients not reached by then are counted as not sent).</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>Most messages handed to the sender in any clock hour (UTC hours).</summary>
    public required int MaxPerHour { get; init; }

    /// <summary>Whether each customer is scheduled at their best hour (default true); otherwise recipients fill the window from its start.</summary>
    public bool ChooseSendTime { get; init; } = true;

    /// <summary>A purchase from <see cref="WindowStart"/> to <see cref="WindowEnd"/> plus this counts as a conversion, for recipients and holdout alike (default 7 days).</summary>
    public TimeSpan ConversionWindow { get; init; } = TimeSpan.FromDays(7);
}

/// <summary>Where a campaign stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CampaignState>))]
public enum CampaignState
{
    /// <summary>Stored; the audience is not planned yet.</summary>
    Pending,
    /// <summary>Every recipient has a group, variant and send hour; sending is going on.</summary>
    Sending,
    /// <summary>Every recipient was handled (sent, refused by the sender, or out of the window).</summary>
    Completed,
}

/// <summary>What one run of a campaign did and what is left.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="State">Where it stands after the run.</param>
/// <param name="Ran">Whether this host held the campaign's lease and ran it (another host may hold it).</param>
/// <param name="Recipients">Members planned to get a message.</param>
/// <param name="Holdout">Members held out.</param>
/// <param name="Handled">Recipients handled so far (sent, refused by the sender, or out of the window).</param>
/// <param name="HandedOver">Messages handed to the sender by this run.</param>
/// <param name="NextDueAt">When the next recipient is due, or <see langword="null"/> when none is left.</param>
public sealed record CampaignProgress(string CampaignId, CampaignState State, bool Ran, int Recipients, int Holdout, int Handled, int HandedOver, DateTimeOffset? NextDueAt);

/// <summary>Runs campaigns: stores them, plans their audience and sends the due messages, resumably.</summary>
public interface ICampaignRunner
{
    /// <summary>
    /// Stores a campaign (a second call with the same id and definition is harmless) and returns its progress.
    /// The audience is planned on the first run (<see cref="RunOnceAsync"/>, or the background service).
    /// </summary>
    /// <param name="definition">The campaign.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MarketingValidationException">The definition is invalid (including a variant naming a template the channel does not have), or another campaign with the id differs.</exception>
    ValueTask<CampaignProgress> StartAsync(CampaignDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>
    /// One run on this host, under the campaign's lease: plans the audience when not yet planned, then hands the
    /// due recipients to the message sender, never more than the campaign's hourly limit in any clock hour.
    /// Progress is stored per recipient, so a run stopped at any point is resumed by the next run on any host, and
    /// no recipient gets the message twice (the sender's idempotency key is the campaign's id).
    /// </summary>
    /// <param name="campaignId">The campaign.</param>
    /// <param name="cancellationToken">Cancels the run (progress so far is kept).</param>
    /// <exception cref="CampaignNotFoundException">No campaign has that id.</exception>
    ValueTask<CampaignProgress> RunOnceAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>The campaign's results: counts per layer and variant and the lift over the holdout.</summary>
    /// <param name="campaignId">The campaign.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="CampaignNotFoundException">No campaign has that id.</exception>
    ValueTask<CampaignReport> GetReportAsync(string campaignId, CancellationToken cancellationToken = default);

    /// <summary>The ids of stored campaigns that are not completed.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<string>> ListActiveAsync(CancellationToken cancellationToken = default);
}

/// <summary>A member of a campaign's audience.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Layer">The customer's value layer name (lower case).</param>
public sealed record CampaignAudienceMember([property: PseudonymousData] CustomerId CustomerId, string Layer);

/// <summary>Where a campaign's audience comes from; the default reads the segment's recorded members and their value layers through segmentation.</summary>
public interface ICampaignAudience
{
    /// <summary>The members of a segment with their value layer.</summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<CampaignAudienceMember> GetMembersAsync(string segmentId, CancellationToken cancellationToken = default);
}

/// <summary>Something went wrong in a campaign; messages name campaigns, never customers.</summary>
public class CampaignException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public CampaignException(string message) : base(message) { }

    /// <summary>Creates the exception with a cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public CampaignException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>No campaign has the id.</summary>
public sealed class CampaignNotFoundException : CampaignException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="campaignId">The campaign id.</param>
    public CampaignNotFoundException(string campaignId) : base($"No campaign '{campaignId}' is stored.") => CampaignId = campaignId;

    /// <summary>The campaign id.</summary>
    public string CampaignId { get; }
}
