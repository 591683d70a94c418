using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Recommendations;

/// <summary>Settings of <c>AddRecommendations()</c>. Defaults are documented on each property.</summary>
public sealed class RecommendationOptions
{
    /// <summary>Item-item settings; default Jaccard similarity, 30-day half-life, 200 neighbours.</summary>
    public SarOptions Sar { get; set; } = new() { HalfLife = TimeSpan.FromDays(30) };

    /// <summary>Content settings.</summary>
    public ContentOptions Content { get; set; } = new();

    /// <summary>Popularity settings; default recency-weighted with a 14-day half-life.</summary>
    public PopularityOptions Popularity { get; set; } = new();

    /// <summary>Blend weights.</summary>
    public HybridWeights Weights { get; set; } = new();

    /// <summary>Weights of behaviour events.</summary>
    public InteractionWeights EventWeights { get; set; } = new();

    /// <summary>List length when the request does not say; default 10.</summary>
    public int DefaultCount { get; set; } = 10;

    /// <summary>Candidates each source contributes before rules run; default 100.</summary>
    public int CandidatePoolSize { get; set; } = 100;

    /// <summary>How far back training reads events; default 365 days.</summary>
    public TimeSpan TrainingWindow { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// Default rules to leave out of the pipeline, by name (<see cref="RecommendationRuleNames"/>);
    /// default empty: every default rule runs, whatever rules are registered besides. Removing
    /// <see cref="RecommendationRuleNames.InStock"/> lets unsellable products through — only do so
    /// when a registered rule of your own checks stock.
    /// </summary>
    public IList<string> RemovedDefaultRules { get; set; } = [];

    /// <summary>Whether the default rules remove products the customer bought; default <see langword="true"/>.</summary>
    public bool ExcludePurchased { get; set; } = true;

    /// <summary>Cap per top-level category in the default rules; 0 disables diversity. Default 3.</summary>
    public int MaxPerCategory { get; set; } = 3;

    /// <summary>Margin boost per unit of margin in the default rules; 0 disables. Default 0.2.</summary>
    public double MarginBoost { get; set; } = 0.2;

    /// <summary>Price percentile tolerance of the price-band rule in the default rules; 0 disables. Default 0.35.</summary>
    public double PriceBandTolerance { get; set; } = 0.35;

    /// <summary>Profile trait holding a price sensitivity in [0, 1]; when absent it is inferred from purchase prices. Default <c>price_sensitivity</c>.</summary>
    public string PriceSensitivityTrait { get; set; } = "price_sensitivity";

    /// <summary>Profile trait naming the customer's segment for popularity (e.g. <c>region</c>); <see langword="null"/> (default) = overall popularity.</summary>
    public string? SegmentTrait { get; set; }

    /// <summary>
    /// How often each host checks the model store for a newer published version (one small document
    /// read per check); default 1 minute, between 1 second and 1 day.
    /// </summary>
    public TimeSpan ModelCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often the hosts retrain the model from the event store and publish it for all of them
    /// (one host per run, under a lease); <see langword="null"/> (default) = no scheduled retraining.
    /// Between 1 minute and 366 days. The time of the last run is recorded in the state store, so a
    /// restarted or new lease holder waits for the rest of the interval; a run is also skipped while the
    /// current version is younger than the interval.
    /// </summary>
    public TimeSpan? RetrainInterval { get; set; }

    /// <summary>
    /// How long the retraining lease lasts: the hosts check every third of it (or every interval when that is
    /// shorter), the holder renews it every third of it while a run goes on, and a run whose renewal fails is
    /// cancelled. A host that dies is replaced within this time. Default twice <see cref="RetrainInterval"/>, at
    /// most 10 minutes; between 1 minute and 1 day.
    /// </summary>
    public TimeSpan? RetrainLeaseDuration { get; set; }

    /// <summary>How many published model versions the store keeps (the current one included); older ones are deleted on publish. Default 3, between 1 and 100.</summary>
    public int ModelVersionsToKeep { get; set; } = 3;

    /// <summary>Bytes of model data per stored document (chunk); default 512 KiB (about 700 000 characters as base64), between 1 KiB and 768 KiB.</summary>
    public int ModelChunkBytes { get; set; } = 512 * 1024;

    /// <summary>Largest model the store writes or reads, in bytes; default 2 GiB − 1 (the most one buffer holds), at least 1 KiB.</summary>
    public long MaxModelBytes { get; set; } = int.MaxValue;

    /// <summary>The lease duration used for scheduled retraining.</summary>
    internal TimeSpan EffectiveRetrainLeaseDuration =>
        RetrainLeaseDuration ?? (RetrainInterval is { } i ? TimeSpan.FromTicks(Math.Min(i.Ticks * 2, TimeSpan.FromMinutes(10).Ticks)) : TimeSpan.Zero);
}

internal sealed class RecommendationOptionsValidator : IValidateOptions<RecommendationOptions>
{
    public ValidateOptionsResult Validate(string? name, RecommendationOptions options)
    {
        var failures = new List<string>();
        void Check(Action validate)
        {
            try
            {
                validate();
            }
            catch (MarketingValidationException ex)
            {
                failures.Add(ex.Message);
            }
        }
        Check(() => (options.Sar ?? throw Missing("sar")).Validate());
        Check(() => (options.Content ?? throw Missing("content")).Validate());
        Check(() => (options.Popularity ?? throw Missing("popularity")).Validate());
        Check(() => (options.Weights ?? throw Missing("weights")).Validate());
        Check(() => (options.EventWeights ?? throw Missing("eventWeights")).Validate());
        if (options.DefaultCount is < 1 or > 1000)
        {
            failures.Add("DefaultCount must lie between 1 and 1000.");
        }
        if (options.CandidatePoolSize < 1)
        {
            failures.Add("CandidatePoolSize must be positive.");
        }
        if (options.TrainingWindow <= TimeSpan.Zero)
        {
            failures.Add("TrainingWindow must be positive.");
        }
        if (options.MaxPerCategory < 0)
        {
            failures.Add("MaxPerCategory must not be negative.");
        }
        if (!(options.MarginBoost >= 0) || double.IsInfinity(options.MarginBoost))
        {
            failures.Add("MarginBoost must be finite and not negative.");
        }
        if (options.PriceBandTolerance is < 0 or > 1 || double.IsNaN(options.PriceBandTolerance))
        {
            failures.Add("PriceBandTolerance must lie in [0, 1].");
        }
        if (options.RemovedDefaultRules is null)
        {
            failures.Add("RemovedDefaultRules is required (empty to keep every default rule).");
        }
        else
        {
            foreach (var removed in options.RemovedDefaultRules)
            {
                if (!RecommendationRuleNames.Defaults.Contains(removed, StringComparer.Ordinal))
                {
                    failures.Add("RemovedDefaultRules names a rule that is not a default rule; the names are " + string.Join(", ", RecommendationRuleNames.Defaults) + ".");
                }
            }
        }
        if (string.IsNullOrWhiteSpace(options.PriceSensitivityTrait))
        {
            failures.Add("PriceSensitivityTrait is required.");
        }
        if (options.ModelCheckInterval < TimeSpan.FromSeconds(1) || options.ModelCheckInterval > TimeSpan.FromDays(1))
        {
            failures.Add("ModelCheckInterval must lie between 1 second and 1 day.");
        }
        if (options.RetrainInterval is { } retrain)
        {
            if (retrain < TimeSpan.FromMinutes(1) || retrain > TimeSpan.FromDays(366))
            {
                failures.Add("RetrainInterval must lie between 1 minute and 366 days (or be null to turn scheduled retraining off).");
            }
            else if (options.EffectiveRetrainLeaseDuration < TimeSpan.FromMinutes(1) || options.EffectiveRetrainLeaseDuration > TimeSpan.FromDays(1))
            {
                failures.Add("RetrainLeaseDuration must lie between 1 minute and 1 day.");
            }
        }
        else if (options.RetrainLeaseDuration is not null)
        {
            failures.Add("RetrainLeaseDuration is only used with RetrainInterval; set both or neither.");
        }
        if (options.ModelVersionsToKeep is < 1 or > 100)
        {
            failures.Add("ModelVersionsToKeep must lie between 1 and 100.");
        }
        if (options.ModelChunkBytes is < 1024 or > 768 * 1024)
        {
            failures.Add("ModelChunkBytes must lie between 1 KiB and 768 KiB.");
        }
        if (options.MaxModelBytes is < 1024 or > int.MaxValue)
        {
            failures.Add("MaxModelBytes must lie between 1 KiB and 2 GiB - 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static MarketingValidationException Missing(string field) => new(field, ValidationReason.Missing, "Required.");
}
