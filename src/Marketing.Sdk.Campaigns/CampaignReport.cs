using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Campaigns;

/// <summary>Counts of one layer and variant (or of a layer's holdout, with <see cref="Variant"/> <see langword="null"/>).</summary>
/// <param name="Layer">The value layer.</param>
/// <param name="Variant">The variant key, or <see langword="null"/> for the holdout.</param>
/// <param name="Members">Members assigned to it.</param>
/// <param name="Sent">Messages the channel's provider accepted (<c>message_sent</c>).</param>
/// <param name="NotSent">Members the sender refused (consent, suppression, caps, quiet hours, no address) or the window closed on.</param>
/// <param name="Delivered">Members with a <c>message_delivered</c> event of the campaign's message.</param>
/// <param name="Opened">Members with a <c>message_open</c> event of it.</param>
/// <param name="Clicked">Members with a <c>message_click</c> event of it.</param>
/// <param name="Converted">Members with a purchase in the conversion window.</param>
public sealed record CampaignGroupCounts(string Layer, string? Variant, long Members, long Sent, long NotSent, long Delivered, long Opened, long Clicked, long Converted);

/// <summary>Conversion of the messaged members against the holdout (intent to treat: every member not held out counts, messaged or not).</summary>
/// <param name="Treatment">Members not held out, and how many converted.</param>
/// <param name="Holdout">Members held out, and how many converted.</param>
/// <param name="Test">
/// The two-proportion z-test (holdout as control): rates, absolute difference with its Newcombe interval, relative lift
/// with its Katz interval; <see langword="null"/> when either group is empty.
/// </param>
public sealed record CampaignLift(ConversionCounts Treatment, ConversionCounts Holdout, ProportionTestResult? Test)
{
    /// <summary>Treatment rate / holdout rate − 1, or <see langword="null"/> when it cannot be computed.</summary>
    public double? RelativeLift => Test?.RelativeLift;

    /// <summary>The interval of <see cref="RelativeLift"/>, or <see langword="null"/>.</summary>
    public ConfidenceInterval? RelativeLiftInterval => Test?.RelativeLiftInterval;
}

/// <summary>A campaign's results.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Groups">Counts per layer and variant, and per layer's holdout; ordered by layer, then variant (holdout first).</param>
/// <param name="Lift">Lift over the whole holdout.</param>
/// <param name="LayerLift">Lift per layer.</param>
/// <param name="ConfidenceLevel">The level of the intervals.</param>
public sealed record CampaignReport(string CampaignId, CampaignState State, IReadOnlyList<CampaignGroupCounts> Groups, CampaignLift Lift, IReadOnlyDictionary<string, CampaignLift> LayerLift, double ConfidenceLevel);
