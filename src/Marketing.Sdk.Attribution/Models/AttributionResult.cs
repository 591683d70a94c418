namespace Marketing.Sdk.Attribution;

/// <summary>The credit a model gives one channel.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Conversions">Conversions attributed to the channel.</param>
/// <param name="Value">Conversion value attributed to the channel.</param>
public sealed record ChannelCredit(Channel Channel, double Conversions, double Value)
{
    /// <summary>Markov models: the channel's removal effect on the conversion probability (0–1).</summary>
    public double? RemovalEffect { get; init; }

    /// <summary>Markov models: the channel's removal effect on the expected conversion value (0–1).</summary>
    public double? ValueRemovalEffect { get; init; }

    /// <summary>Sampled Shapley values: half-width of the confidence interval of <see cref="Conversions"/>.</summary>
    public double? ConversionsMargin { get; init; }

    /// <summary>Sampled Shapley values: half-width of the confidence interval of <see cref="Value"/>.</summary>
    public double? ValueMargin { get; init; }
}

/// <summary>The credit a model gives one campaign of one channel.</summary>
/// <param name="Channel">The channel the campaign ran on.</param>
/// <param name="CampaignId">The campaign, or null for touches of the channel that had no campaign.</param>
/// <param name="Conversions">Conversions attributed to the campaign.</param>
/// <param name="Value">Conversion value attributed to the campaign.</param>
public sealed record CampaignCredit(Channel Channel, string? CampaignId, double Conversions, double Value);

/// <summary>Ordered Shapley values: the credit of a channel at one touch position.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Position">1-based touch position within the journey.</param>
/// <param name="Conversions">Conversions credited to the channel at this position.</param>
/// <param name="Value">Conversion value credited to the channel at this position.</param>
public sealed record PositionCredit(Channel Channel, int Position, double Conversions, double Value);

/// <summary>
/// What an attribution model gives each channel (and campaign when asked). Channel credits add
/// up to <see cref="TotalConversions"/> and <see cref="TotalValue"/> (up to floating-point rounding).
/// </summary>
public sealed record AttributionResult
{
    /// <summary>Name of the model, e.g. <c>markov(order=1)</c>.</summary>
    public required string Model { get; init; }

    /// <summary>Credit per channel, in the order of <see cref="PathSet.Channels"/>.</summary>
    public required IReadOnlyList<ChannelCredit> Channels { get; init; }

    /// <summary>Credit per campaign (empty unless asked for and the paths carry campaigns).</summary>
    public IReadOnlyList<CampaignCredit> Campaigns { get; init; } = [];

    /// <summary>Ordered Shapley values only: credit per channel and touch position.</summary>
    public IReadOnlyList<PositionCredit> Positions { get; init; } = [];

    /// <summary>Total conversions of the path set.</summary>
    public required double TotalConversions { get; init; }

    /// <summary>Total conversion value of the path set.</summary>
    public required double TotalValue { get; init; }

    /// <summary>Markov models: the probability that a journey converts under the fitted chain.</summary>
    public double? ConversionProbability { get; init; }

    /// <summary>The credit of <paramref name="channel"/>, or null when it is not in the result.</summary>
    /// <param name="channel">The channel.</param>
    public ChannelCredit? For(Channel channel)
    {
        foreach (var c in Channels)
        {
            if (c.Channel == channel)
            {
                return c;
            }
        }
        return null;
    }
}
