using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Attribution;

/// <summary>Settings of the attribution package registered by <c>AddAttribution</c>.</summary>
public sealed class AttributionOptions
{
    /// <summary>How paths are built from events.</summary>
    public PathBuilderOptions Paths { get; set; } = new();

    /// <summary>Order of the Markov model in the default model set (≥ 1). Default 1.</summary>
    public int MarkovOrder { get; set; } = 1;

    /// <summary>Half-life of the time-decay model. Default 7 days.</summary>
    public TimeSpan TimeDecayHalfLife { get; set; } = TimeSpan.FromDays(7);

    /// <summary>First-touch share of the position-based model. Default 0.4.</summary>
    public double PositionFirstShare { get; set; } = 0.4;

    /// <summary>Last-touch share of the position-based model. Default 0.4.</summary>
    public double PositionLastShare { get; set; } = 0.4;

    /// <summary>The channel treated as direct traffic by last-non-direct. Default <c>direct</c>.</summary>
    public string DirectChannel { get; set; } = "direct";

    /// <summary>ROI floor of the budget rules. Default 1.5.</summary>
    public double RoiFloor { get; set; } = 1.5;

    /// <summary>Stock share below which promoted campaigns are paused. Default 0.3.</summary>
    public double StockPauseThreshold { get; set; } = 0.3;

    /// <summary>Share of the budget for proven lines. Default 0.7.</summary>
    public double ProvenShare { get; set; } = 0.7;

    /// <summary>Share of the budget for tests. Default 0.2 (the rest is reserve).</summary>
    public double TestShare { get; set; } = 0.2;
}

/// <summary>Validates <see cref="AttributionOptions"/> on start.</summary>
internal sealed class AttributionOptionsValidator : IValidateOptions<AttributionOptions>
{
    public ValidateOptionsResult Validate(string? name, AttributionOptions options)
    {
        var errors = new List<string>();
        try
        {
            options.Paths.Validate();
        }
        catch (MarketingValidationException ex)
        {
            errors.Add(ex.Message);
        }
        if (options.MarkovOrder < 1)
        {
            errors.Add("MarkovOrder must be at least 1.");
        }
        if (options.TimeDecayHalfLife <= TimeSpan.Zero)
        {
            errors.Add("TimeDecayHalfLife must be positive.");
        }
        if (options.PositionFirstShare < 0 || options.PositionLastShare < 0 || options.PositionFirstShare + options.PositionLastShare > 1 ||
            options.PositionFirstShare + options.PositionLastShare <= 0)
        {
            errors.Add("PositionFirstShare and PositionLastShare are non-negative, positive together and sum to at most 1.");
        }
        try
        {
            _ = new Channel(options.DirectChannel);
        }
        catch (MarketingValidationException)
        {
            errors.Add("DirectChannel is not a valid channel name.");
        }
        if (!(options.RoiFloor > -1))
        {
            errors.Add("RoiFloor must be above -1.");
        }
        if (options.StockPauseThreshold is < 0 or > 1)
        {
            errors.Add("StockPauseThreshold is between 0 and 1.");
        }
        if (options.ProvenShare < 0 || options.TestShare < 0 || options.ProvenShare + options.TestShare > 1)
        {
            errors.Add("ProvenShare and TestShare are non-negative and sum to at most 1.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The configured set of attribution models, to run side by side.</summary>
public sealed class AttributionModelSet
{
    /// <summary>Creates the set from options: first, last, last non-direct, linear, time decay, position-based, Markov (exact) and Shapley (simplified, exact for the conversions game at any channel count).</summary>
    /// <param name="options">The options.</param>
    public AttributionModelSet(IOptions<AttributionOptions> options)
        : this(Create((options ?? throw new ArgumentNullException(nameof(options))).Value))
    {
    }

    /// <summary>Creates a set of the given models.</summary>
    /// <param name="models">The models.</param>
    public AttributionModelSet(IEnumerable<AttributionModel> models) =>
        Models = models?.ToArray() ?? throw new ArgumentNullException(nameof(models));

    /// <summary>The models.</summary>
    public IReadOnlyList<AttributionModel> Models { get; }

    /// <summary>Runs every model on the same paths.</summary>
    /// <param name="paths">The journeys.</param>
    /// <param name="byCampaign">Also report campaign credit.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    public IReadOnlyList<AttributionResult> Compare(PathSet paths, bool byCampaign = false, CancellationToken cancellationToken = default) =>
        Models.Select(m => m.Attribute(paths, byCampaign, cancellationToken)).ToList();

    private static AttributionModel[] Create(AttributionOptions o) =>
    [
        new FirstTouchModel(),
        new LastTouchModel(),
        new LastNonDirectModel(new Channel(o.DirectChannel)),
        new LinearModel(),
        new TimeDecayModel(o.TimeDecayHalfLife),
        new PositionBasedModel(o.PositionFirstShare, o.PositionLastShare),
        new MarkovChainModel(new MarkovOptions { Order = o.MarkovOrder }),
        new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Simplified }),
    ];
}
