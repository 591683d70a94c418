using System.Globalization;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Experimentation.Bandits;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Content.Trials;

/// <summary>One variant's numbers in a trial.</summary>
/// <param name="VariantId">The variant.</param>
/// <param name="Plays">Sends (bandit pulls or experiment units).</param>
/// <param name="Successes">Successes (clicks, conversions).</param>
/// <param name="ProbabilityBest">P(best) for a bandit; <see langword="null"/> for an experiment.</param>
public sealed record ContentTrialArm(string VariantId, long Plays, long Successes, double? ProbabilityBest)
{
    /// <summary>Successes per play (0 before the first play).</summary>
    public double Rate => Plays == 0 ? 0 : (double)Successes / Plays;
}

/// <summary>What a trial decided: the winner (or none yet) and why.</summary>
/// <param name="TrialKey">The trial.</param>
/// <param name="Decision">The decision's name (<c>winner</c>, <c>keep_running</c>, <c>not_enough_data</c>, or an <see cref="ExperimentDecision"/>).</param>
/// <param name="Winner">The winning variant, when there is one.</param>
/// <param name="Reason">Why, in one sentence.</param>
/// <param name="Arms">Every variant's numbers.</param>
public sealed record ContentTrialOutcome(string TrialKey, string Decision, ApprovedContent? Winner, string Reason, IReadOnlyList<ContentTrialArm> Arms)
{
    /// <summary>Whether there is a winner to promote.</summary>
    public bool Decided => Winner is not null;

    /// <summary>Describes the outcome without copy.</summary>
    public override string ToString() => $"ContentTrialOutcome {{ TrialKey = {TrialKey}, Decision = {Decision}, Winner = {Winner?.Variant.Id} }}";
}

/// <summary>Turns approved variants into a bandit or an experiment in one call.</summary>
public static class ContentTrials
{
    /// <summary>Starts a Thompson-sampling bandit over approved variants (one arm per variant, Bernoulli rewards).</summary>
    /// <param name="variants">The approved variants (at least two, of one channel, distinct ids).</param>
    /// <param name="trialKey">The trial's key.</param>
    /// <param name="seed">The bandit's random seed (the same seed and calls give the same choices).</param>
    /// <param name="prior">The prior of every variant's rate (default uniform).</param>
    public static ContentBanditTrial ToBandit(this IEnumerable<ApprovedContent> variants, string trialKey, ulong seed, BetaPrior? prior = null) =>
        new(trialKey, Check(variants), seed, prior);

    /// <summary>Defines an A/B/n experiment over approved variants (equal weights; the first variant is the control).</summary>
    /// <param name="variants">The approved variants (at least two, of one channel, distinct ids).</param>
    /// <param name="trialKey">The experiment's key (also its bucketing salt).</param>
    /// <param name="plannedSampleSizePerVariant">The planned units per variant, when there is a plan.</param>
    public static ContentExperimentTrial ToExperiment(this IEnumerable<ApprovedContent> variants, string trialKey, long? plannedSampleSizePerVariant = null) =>
        new(trialKey, Check(variants), plannedSampleSizePerVariant);

    private static List<ApprovedContent> Check(IEnumerable<ApprovedContent> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        var list = variants.ToList();
        if (list.Count < 2)
        {
            throw new MarketingValidationException("variants", ValidationReason.OutOfRange, "A trial needs at least two approved variants.");
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                throw new MarketingValidationException($"variants[{i}]", ValidationReason.Missing, "A variant is missing.", i);
            }

            if (!string.Equals(list[i].Channel, list[0].Channel, StringComparison.Ordinal))
            {
                throw new MarketingValidationException($"variants[{i}]", ValidationReason.Inconsistent, "Every variant of a trial is for one channel.", i);
            }

            if (list.Take(i).Any(v => v.Variant.Id == list[i].Variant.Id))
            {
                throw new MarketingValidationException($"variants[{i}]", ValidationReason.Inconsistent, $"Variant id '{list[i].Variant.Id}' appears twice.", i);
            }
        }

        return list;
    }
}

/// <summary>A bandit over approved variants: <see cref="Next"/> picks the copy to send, <see cref="Record(string, bool)"/> feeds results back, <see cref="Decide"/> names the winner.</summary>
public sealed class ContentBanditTrial
{
    private readonly Dictionary<string, ApprovedContent> _variants;

    internal ContentBanditTrial(string key, List<ApprovedContent> variants, ulong seed, BetaPrior? prior)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        Key = key;
        Variants = variants;
        _variants = variants.ToDictionary(v => v.Variant.Id, StringComparer.Ordinal);
        Bandit = new ThompsonSamplingBandit(variants.Select(v => v.Variant.Id), seed, prior);
    }

    /// <summary>The trial's key.</summary>
    public string Key { get; }

    /// <summary>The variants, in order.</summary>
    public IReadOnlyList<ApprovedContent> Variants { get; }

    /// <summary>The bandit (arm keys are the variant ids); its <see cref="BanditBase.Arms"/> can be saved.</summary>
    public ThompsonSamplingBandit Bandit { get; }

    /// <summary>The copy to send next.</summary>
    public ApprovedContent Next() => _variants[Bandit.SelectArm()];

    /// <summary>Records one send's result.</summary>
    /// <param name="variantId">The variant sent.</param>
    /// <param name="success">Whether it succeeded (click, conversion).</param>
    public void Record(string variantId, bool success) => Bandit.Update(variantId, success);

    /// <summary>Records a batch of sends.</summary>
    /// <param name="variantId">The variant sent.</param>
    /// <param name="plays">Sends.</param>
    /// <param name="successes">Successes among them.</param>
    public void Record(string variantId, long plays, long successes) => Bandit.Update(variantId, plays, successes);

    /// <summary>
    /// Decides: a variant wins when every variant has at least <paramref name="minimumPlaysPerVariant"/> plays and its
    /// probability of being best (from <paramref name="draws"/> posterior draws) reaches <paramref name="threshold"/>.
    /// </summary>
    /// <param name="threshold">The probability of being best a winner needs (default 0.95).</param>
    /// <param name="minimumPlaysPerVariant">The plays every variant needs first (default 100).</param>
    /// <param name="draws">Posterior draws (default 10 000).</param>
    public ContentTrialOutcome Decide(double threshold = 0.95, long minimumPlaysPerVariant = 100, int draws = 10_000)
    {
        if (double.IsNaN(threshold) || threshold <= 0.5 || threshold >= 1)
        {
            throw new MarketingValidationException(nameof(threshold), ValidationReason.OutOfRange, "The threshold lies between 0.5 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(minimumPlaysPerVariant);
        var probabilities = Bandit.ProbabilityBest(draws);
        var arms = Bandit.Arms.Select(a => new ContentTrialArm(a.Key, a.Pulls, (long)a.RewardSum, probabilities[a.Key])).ToList();
        var fewest = arms.MinBy(a => a.Plays)!;
        if (fewest.Plays < minimumPlaysPerVariant)
        {
            return new ContentTrialOutcome(Key, "not_enough_data", null,
                string.Create(CultureInfo.InvariantCulture, $"variant '{fewest.VariantId}' has {fewest.Plays} of the {minimumPlaysPerVariant} plays each variant needs"), arms);
        }

        var leader = arms.MaxBy(a => a.ProbabilityBest)!;
        var runnerUp = arms.Where(a => a != leader).MaxBy(a => a.Rate)!;
        if (leader.ProbabilityBest >= threshold)
        {
            return new ContentTrialOutcome(Key, "winner", _variants[leader.VariantId],
                string.Create(CultureInfo.InvariantCulture, $"variant '{leader.VariantId}' is best with probability {leader.ProbabilityBest:0.000} ≥ {threshold:0.00} after {arms.Sum(a => a.Plays)} plays (rate {leader.Rate:P1} vs {runnerUp.Rate:P1} for '{runnerUp.VariantId}')"), arms);
        }

        return new ContentTrialOutcome(Key, "keep_running", null,
            string.Create(CultureInfo.InvariantCulture, $"the leader '{leader.VariantId}' is best with probability {leader.ProbabilityBest:0.000}, below {threshold:0.00}"), arms);
    }
}

/// <summary>An A/B/n experiment over approved variants: assign with <see cref="Definition"/>, record units and conversions, decide with the experiment analyzer.</summary>
public sealed class ContentExperimentTrial
{
    private readonly Dictionary<string, ApprovedContent> _variants;
    private readonly Dictionary<string, ConversionCounts> _counts;
    private readonly Lock _gate = new();

    internal ContentExperimentTrial(string key, List<ApprovedContent> variants, long? planned)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        Variants = variants;
        _variants = variants.ToDictionary(v => v.Variant.Id, StringComparer.Ordinal);
        _counts = variants.ToDictionary(v => v.Variant.Id, _ => new ConversionCounts(0, 0), StringComparer.Ordinal);
        Definition = new ExperimentDefinition
        {
            Key = key,
            Variants = [.. variants.Select(v => new VariantDefinition { Key = v.Variant.Id })],
            ControlVariant = variants[0].Variant.Id,
            PlannedSampleSizePerVariant = planned,
        };
    }

    /// <summary>The experiment (variant keys are the variant ids; the first is the control) for the assigner or a catalog.</summary>
    public ExperimentDefinition Definition { get; }

    /// <summary>The variants, in order.</summary>
    public IReadOnlyList<ApprovedContent> Variants { get; }

    /// <summary>The copy of an assigned variant.</summary>
    /// <param name="variantId">The variant key the assigner returned.</param>
    public ApprovedContent Copy(string variantId) =>
        _variants.TryGetValue(variantId, out var v) ? v : throw new MarketingValidationException(nameof(variantId), ValidationReason.Inconsistent, $"Unknown variant '{variantId}'.");

    /// <summary>Adds results of a variant.</summary>
    /// <param name="variantId">The variant.</param>
    /// <param name="units">Units exposed.</param>
    /// <param name="conversions">Conversions among them.</param>
    public void Record(string variantId, long units, long conversions)
    {
        Copy(variantId);
        if (units < 0 || conversions < 0 || conversions > units)
        {
            throw new MarketingValidationException(nameof(conversions), ValidationReason.Inconsistent, "Conversions lie between 0 and the units.");
        }

        lock (_gate)
        {
            var c = _counts[variantId];
            _counts[variantId] = new ConversionCounts(c.Units + units, c.Conversions + conversions);
        }
    }

    /// <summary>Decides with the experiment analyzer: the winner is the treatment to ship, or the control when treatments are worse.</summary>
    /// <param name="analyzer">The analyzer (default <see cref="ExperimentAnalyzer"/> with default options).</param>
    public ContentTrialOutcome Decide(IExperimentAnalyzer? analyzer = null)
    {
        Dictionary<string, ConversionCounts> counts;
        lock (_gate)
        {
            counts = new Dictionary<string, ConversionCounts>(_counts, StringComparer.Ordinal);
        }

        var result = (analyzer ?? new ExperimentAnalyzer()).AnalyzeConversions(Definition, counts);
        var winner = result.Decision switch
        {
            ExperimentDecision.ShipTreatment when result.WinningVariant is { } w => _variants[w],
            ExperimentDecision.KeepControl => _variants[result.ControlVariant],
            _ => null,
        };
        var arms = Variants.Select(v => new ContentTrialArm(v.Variant.Id, counts[v.Variant.Id].Units, counts[v.Variant.Id].Conversions, null)).ToList();
        return new ContentTrialOutcome(Definition.Key, result.Decision.ToString(), winner, result.Reason, arms);
    }
}
