namespace Marketing.Sdk.Attribution;

/// <summary>Thrown when an attribution model cannot run on the given input or settings.</summary>
public sealed class AttributionException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong (no personal data).</param>
    public AttributionException(string message) : base(message) { }
}

/// <summary>An attribution model: distributes the conversions and conversion value of a <see cref="PathSet"/> over its channels.</summary>
public abstract class AttributionModel
{
    /// <summary>A short name for reports, e.g. <c>linear</c> or <c>markov(order=2)</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Attributes the conversions and value of <paramref name="paths"/>.</summary>
    /// <param name="paths">The journeys.</param>
    /// <param name="byCampaign">Also report credit per campaign (when the paths carry campaigns).</param>
    /// <param name="cancellationToken">Cancels a long computation.</param>
    public AttributionResult Attribute(PathSet paths, bool byCampaign = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Run(paths, byCampaign && paths.HasCampaigns, cancellationToken);
    }

    /// <summary>Runs the model.</summary>
    /// <param name="paths">The journeys.</param>
    /// <param name="byCampaign">Whether to report campaign credit (the paths carry campaigns).</param>
    /// <param name="cancellationToken">Cancels a long computation.</param>
    protected abstract AttributionResult Run(PathSet paths, bool byCampaign, CancellationToken cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Name;

    internal static IReadOnlyList<ChannelCredit> Credits(PathSet paths, ReadOnlySpan<double> conversions, ReadOnlySpan<double> value)
    {
        var list = new ChannelCredit[paths.Channels.Count];
        for (var c = 0; c < list.Length; c++)
        {
            list[c] = new ChannelCredit(paths.Channels[c], conversions[c], value[c]);
        }
        return list;
    }

    /// <summary>
    /// Splits channel-level credit over the channel's campaigns, in proportion to the campaign's
    /// touches on converting paths (weighted by conversions for conversion credit, by value for value credit).
    /// </summary>
    internal static IReadOnlyList<CampaignCredit> SplitByCampaign(PathSet paths, IReadOnlyList<ChannelCredit> channels)
    {
        var weights = new Dictionary<(int Channel, int Campaign), (double Conv, double Value)>();
        var totals = new (double Conv, double Value)[paths.Channels.Count];
        for (var p = 0; p < paths.Count; p++)
        {
            var conv = paths.GetConversions(p);
            var value = paths.GetValue(p);
            if (conv == 0 && value == 0)
            {
                continue;
            }
            var steps = paths.GetSteps(p);
            var campaigns = paths.GetCampaigns(p);
            for (var i = 0; i < steps.Length; i++)
            {
                var key = (steps[i], campaigns[i]);
                weights.TryGetValue(key, out var w);
                weights[key] = (w.Conv + conv, w.Value + value);
                totals[steps[i]].Conv += conv;
                totals[steps[i]].Value += value;
            }
        }
        var result = new List<CampaignCredit>(weights.Count);
        foreach (var ((channel, campaign), w) in weights.OrderBy(kv => kv.Key.Channel).ThenBy(kv => kv.Key.Campaign))
        {
            var credit = channels[channel];
            var conv = totals[channel].Conv > 0 ? credit.Conversions * w.Conv / totals[channel].Conv : 0;
            var value = totals[channel].Value > 0 ? credit.Value * w.Value / totals[channel].Value : 0;
            result.Add(new CampaignCredit(credit.Channel, campaign >= 0 ? paths.Campaigns[campaign] : null, conv, value));
        }
        return result;
    }
}
