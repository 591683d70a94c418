using System.Globalization;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation;

/// <summary>What to do with an experiment now.</summary>
public enum ExperimentDecision
{
    /// <summary>Too few units to decide (below the planned sample, or a group is empty).</summary>
    NotEnoughData,
    /// <summary>The observed split differs from the design: results are not trustworthy; fix assignment or logging first.</summary>
    SampleRatioMismatch,
    /// <summary>A treatment is significantly better than control: ship it.</summary>
    ShipTreatment,
    /// <summary>Treatments that differ significantly are worse: keep the control.</summary>
    KeepControl,
    /// <summary>No significant difference at the planned sample (or with no plan): the variants perform alike.</summary>
    NoSignificantDifference,
    /// <summary>Sequential analysis without enough evidence yet: keep collecting (peeking is safe).</summary>
    KeepRunning,
}

/// <summary>How p-values are computed.</summary>
public enum AnalysisMethod
{
    /// <summary>Classical tests, valid once, at the planned sample.</summary>
    FixedHorizon,
    /// <summary>Always-valid mSPRT p-values, valid at every look.</summary>
    Sequential,
}

/// <summary>Analysis settings (defaults documented per property).</summary>
public sealed class AnalysisOptions
{
    /// <summary>Significance level. Default 0.05.</summary>
    public double Alpha { get; set; } = 0.05;

    /// <summary>p-value below which the sample-ratio check flags a mismatch. Default 0.001.</summary>
    public double SampleRatioThreshold { get; set; } = 0.001;

    /// <summary>Correction across treatments. Default <see cref="CorrectionMethod.Holm"/>.</summary>
    public CorrectionMethod Correction { get; set; } = CorrectionMethod.Holm;

    /// <summary>Fixed-horizon or sequential. Default <see cref="AnalysisMethod.FixedHorizon"/>.</summary>
    public AnalysisMethod Method { get; set; } = AnalysisMethod.FixedHorizon;

    /// <summary>Standard error of the z-test. Default pooled.</summary>
    public ProportionVariance ProportionVariance { get; set; } = ProportionVariance.Pooled;

    /// <summary>Interval for the difference of rates. Default Newcombe.</summary>
    public DifferenceIntervalMethod IntervalMethod { get; set; } = DifferenceIntervalMethod.Newcombe;

    /// <summary>Prior of the Bayesian comparison. Default uniform Beta(1, 1).</summary>
    public BetaPrior Prior { get; set; } = BetaPrior.Uniform;

    /// <summary>Relative effect used as the sequential mixing scale when the experiment sets none. Default 0.1.</summary>
    public double DefaultMinimumDetectableEffect { get; set; } = 0.1;
}

/// <summary>One treatment compared with the control.</summary>
/// <param name="Variant">The treatment's key.</param>
/// <param name="Units">Treatment units.</param>
/// <param name="ControlValue">Control rate or mean.</param>
/// <param name="TreatmentValue">Treatment rate or mean.</param>
/// <param name="Difference">Treatment − control.</param>
/// <param name="DifferenceInterval">Interval for the difference (always-valid under sequential analysis).</param>
/// <param name="RelativeLift">Treatment / control − 1, when defined.</param>
/// <param name="RelativeLiftInterval">Interval for the lift, when defined (fixed-horizon only).</param>
/// <param name="PValue">Raw p-value.</param>
/// <param name="AdjustedPValue">p-value after the multiple-comparison correction.</param>
/// <param name="Significant">Whether the adjusted p-value is at or below α.</param>
/// <param name="ProbabilityToBeatControl">Bayesian P(treatment &gt; control), for conversion metrics.</param>
/// <param name="ExpectedLoss">Bayesian expected loss of shipping the treatment, for conversion metrics.</param>
public sealed record VariantComparison(
    string Variant,
    long Units,
    double ControlValue,
    double TreatmentValue,
    double Difference,
    ConfidenceInterval DifferenceInterval,
    double? RelativeLift,
    ConfidenceInterval? RelativeLiftInterval,
    double PValue,
    double AdjustedPValue,
    bool Significant,
    double? ProbabilityToBeatControl,
    double? ExpectedLoss);

/// <summary>The analysis of an experiment: the decision, the reason in words, and the numbers behind it.</summary>
/// <param name="ExperimentKey">The experiment.</param>
/// <param name="Decision">What to do.</param>
/// <param name="Reason">Why, in one sentence (e.g. "not enough data: 38 % of planned sample").</param>
/// <param name="WinningVariant">The variant to ship, for <see cref="ExperimentDecision.ShipTreatment"/>.</param>
/// <param name="ControlVariant">The control's key.</param>
/// <param name="ControlUnits">Control units.</param>
/// <param name="SampleRatio">The sample-ratio check, or <see langword="null"/> when a group had no units.</param>
/// <param name="PlannedSampleProgress">Smallest group size / planned size per variant, when a plan exists.</param>
/// <param name="Method">How p-values were computed.</param>
/// <param name="Alpha">The significance level.</param>
/// <param name="Comparisons">One comparison per treatment.</param>
public sealed record ExperimentResult(
    string ExperimentKey,
    ExperimentDecision Decision,
    string Reason,
    string? WinningVariant,
    string ControlVariant,
    long ControlUnits,
    SampleRatioResult? SampleRatio,
    double? PlannedSampleProgress,
    AnalysisMethod Method,
    double Alpha,
    IReadOnlyList<VariantComparison> Comparisons);

/// <summary>Turns per-variant data into an <see cref="ExperimentResult"/>.</summary>
public interface IExperimentAnalyzer
{
    /// <summary>Analyses a conversion metric (z-test, Newcombe interval, Katz lift interval, Bayesian comparison).</summary>
    /// <param name="experiment">The definition (variants, weights, control, plan).</param>
    /// <param name="data">Counts per variant key; every variant must be present.</param>
    ExperimentResult AnalyzeConversions(ExperimentDefinition experiment, IReadOnlyDictionary<string, ConversionCounts> data);

    /// <summary>Analyses a continuous metric such as revenue per user (Welch's t-test).</summary>
    /// <param name="experiment">The definition.</param>
    /// <param name="data">Summaries per variant key; every variant must be present.</param>
    ExperimentResult AnalyzeMeans(ExperimentDefinition experiment, IReadOnlyDictionary<string, SampleSummary> data);
}

/// <summary>
/// The default analyzer. Order of checks: data present → sample-ratio mismatch (χ², threshold 0.001)
/// → progress against the planned sample (fixed horizon) → tests per treatment → correction across
/// treatments → decision.
/// </summary>
public sealed class ExperimentAnalyzer : IExperimentAnalyzer
{
    private readonly AnalysisOptions _options;

    /// <summary>Creates an analyzer.</summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public ExperimentAnalyzer(AnalysisOptions? options = null)
    {
        _options = options ?? new AnalysisOptions();
        AnalysisOptionsValidation.ThrowIfInvalid(_options);
    }

    /// <inheritdoc />
    public ExperimentResult AnalyzeConversions(ExperimentDefinition experiment, IReadOnlyDictionary<string, ConversionCounts> data)
    {
        var (control, treatments) = Prepare(experiment, data, static (c, field) => c.Validate(field, requireUnits: false));
        var controlData = data[control];
        var empty = EmptyResult(experiment, data.ToDictionary(kv => kv.Key, kv => kv.Value.Units), minimum: 1);
        if (empty is not null)
        {
            return empty;
        }
        var raw = new List<(string Variant, long Units, double C, double T, double D, ConfidenceInterval Ci, double? Lift, ConfidenceInterval? LiftCi, double P, double? PBeat, double? Loss)>();
        foreach (var v in treatments)
        {
            var t = data[v];
            var bayes = BetaBinomial.Compare(controlData, t, _options.Prior);
            if (_options.Method == AnalysisMethod.Sequential)
            {
                var pooled = (double)(controlData.Conversions + t.Conversions) / (controlData.Units + t.Units);
                var tau = MixingScale(experiment) * pooled;
                var seq = tau > 0
                    ? MixtureSprt.TestProportions(controlData, t, tau, _options.Alpha)
                    : new SequentialTestResult(0, 0, 1, new ConfidenceInterval(-1, 1, 1 - _options.Alpha), false);
                double? lift = controlData.Rate > 0 ? t.Rate / controlData.Rate - 1 : null;
                raw.Add((v, t.Units, controlData.Rate, t.Rate, t.Rate - controlData.Rate, seq.AlwaysValidInterval, lift, null, seq.AlwaysValidPValue, bayes.ProbabilityTreatmentBeatsControl, bayes.ExpectedLossOfTreatment));
            }
            else
            {
                var z = ProportionTest.TwoSample(controlData, t, _options.ProportionVariance, Alternative.TwoSided, 1 - _options.Alpha, _options.IntervalMethod);
                raw.Add((v, t.Units, z.ControlRate, z.TreatmentRate, z.Difference, z.DifferenceInterval, z.RelativeLift, z.RelativeLiftInterval, z.PValue, bayes.ProbabilityTreatmentBeatsControl, bayes.ExpectedLossOfTreatment));
            }
        }
        return Decide(experiment, control, controlData.Units, data.ToDictionary(kv => kv.Key, kv => kv.Value.Units), raw, isRate: true);
    }

    /// <inheritdoc />
    public ExperimentResult AnalyzeMeans(ExperimentDefinition experiment, IReadOnlyDictionary<string, SampleSummary> data)
    {
        var (control, treatments) = Prepare(experiment, data, static (s, field) =>
        {
            Guard.NotNegative(s.Count, field + ".count");
            Guard.Finite(s.Mean, field + ".mean");
            Guard.NotNegative(s.Variance, field + ".variance");
        });
        var controlData = data[control];
        var empty = EmptyResult(experiment, data.ToDictionary(kv => kv.Key, kv => kv.Value.Count), minimum: 2);
        if (empty is not null)
        {
            return empty;
        }
        var raw = new List<(string Variant, long Units, double C, double T, double D, ConfidenceInterval Ci, double? Lift, ConfidenceInterval? LiftCi, double P, double? PBeat, double? Loss)>();
        foreach (var v in treatments)
        {
            var t = data[v];
            if (_options.Method == AnalysisMethod.Sequential)
            {
                var scale = controlData.Mean != 0 ? Math.Abs(controlData.Mean) : Math.Sqrt(controlData.Variance);
                var tau = MixingScale(experiment) * scale;
                var seq = tau > 0
                    ? MixtureSprt.TestMeans(controlData, t, tau, _options.Alpha)
                    : new SequentialTestResult(0, 0, 1, new ConfidenceInterval(double.NegativeInfinity, double.PositiveInfinity, 1 - _options.Alpha), false);
                double? lift = controlData.Mean != 0 ? t.Mean / controlData.Mean - 1 : null;
                raw.Add((v, t.Count, controlData.Mean, t.Mean, t.Mean - controlData.Mean, seq.AlwaysValidInterval, lift, null, seq.AlwaysValidPValue, null, null));
            }
            else
            {
                var w = WelchTest.Compute(controlData, t, Alternative.TwoSided, 1 - _options.Alpha);
                raw.Add((v, t.Count, w.ControlMean, w.TreatmentMean, w.Difference, w.DifferenceInterval, w.RelativeLift, w.RelativeLiftInterval, w.PValue, null, null));
            }
        }
        return Decide(experiment, control, controlData.Count, data.ToDictionary(kv => kv.Key, kv => kv.Value.Count), raw, isRate: false);
    }

    private double MixingScale(ExperimentDefinition experiment) => experiment.MinimumDetectableEffect ?? _options.DefaultMinimumDetectableEffect;

    private static (string Control, List<string> Treatments) Prepare<T>(
        ExperimentDefinition experiment,
        IReadOnlyDictionary<string, T> data,
        Action<T, string> validate)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(data);
        CatalogValidator.ThrowIfInvalid([experiment], []);
        if (experiment.Variants.Count < 2)
        {
            throw new MarketingValidationException("experiment.variants", ValidationReason.OutOfRange, "An analysis needs a control and at least one treatment.");
        }
        foreach (var v in experiment.Variants)
        {
            if (!data.TryGetValue(v.Key, out var value))
            {
                throw new MarketingValidationException($"data[{v.Key}]", ValidationReason.Missing, $"No data for variant '{v.Key}'.");
            }
            validate(value, $"data[{v.Key}]");
        }
        foreach (var key in data.Keys)
        {
            if (!experiment.Variants.Any(v => v.Key == key))
            {
                throw new MarketingValidationException($"data[{key}]", ValidationReason.Inconsistent, $"Variant '{key}' is not part of the experiment.");
            }
        }
        var control = experiment.Control;
        return (control, experiment.Variants.Select(v => v.Key).Where(k => k != control).ToList());
    }

    private ExperimentResult? EmptyResult(ExperimentDefinition experiment, Dictionary<string, long> units, long minimum)
    {
        var smallest = experiment.Variants.Where(v => v.Weight > 0).MinBy(v => units[v.Key])!;
        if (units[smallest.Key] >= minimum)
        {
            return null;
        }
        double? progress = experiment.PlannedSampleSizePerVariant is { } plan ? (double)units[smallest.Key] / plan : null;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"not enough data: variant '{smallest.Key}' has {units[smallest.Key]} units (at least {minimum} needed)");
        return new ExperimentResult(experiment.Key, ExperimentDecision.NotEnoughData, reason, null, experiment.Control,
            units[experiment.Control], null, progress, _options.Method, _options.Alpha, []);
    }

    private ExperimentResult Decide(
        ExperimentDefinition experiment,
        string control,
        long controlUnits,
        Dictionary<string, long> units,
        List<(string Variant, long Units, double C, double T, double D, ConfidenceInterval Ci, double? Lift, ConfidenceInterval? LiftCi, double P, double? PBeat, double? Loss)> raw,
        bool isRate)
    {
        var alpha = _options.Alpha;
        var weighted = experiment.Variants.Where(v => v.Weight > 0).ToList();
        var srm = SampleRatioTest.Check(weighted.Select(v => units[v.Key]).ToArray(), weighted.Select(v => v.Weight).ToArray(), _options.SampleRatioThreshold);
        var adjusted = MultipleComparisons.Adjust(raw.Select(r => r.P).ToArray(), _options.Correction);
        var comparisons = raw.Select((r, i) => new VariantComparison(r.Variant, r.Units, r.C, r.T, r.D, r.Ci, r.Lift, r.LiftCi, r.P, adjusted[i], adjusted[i] <= alpha, r.PBeat, r.Loss)).ToArray();
        var smallest = weighted.Min(v => units[v.Key]);
        double? progress = experiment.PlannedSampleSizePerVariant is { } plan ? (double)smallest / plan : null;
        var method = _options.Method;

        ExperimentResult Result(ExperimentDecision decision, string reason, string? winner = null) =>
            new(experiment.Key, decision, reason, winner, control, controlUnits, srm, progress, method, alpha, comparisons);

        if (srm.IsMismatch)
        {
            var observed = string.Join(" / ", weighted.Select(v => units[v.Key].ToString("N0", CultureInfo.InvariantCulture)));
            return Result(ExperimentDecision.SampleRatioMismatch, Invariant(
                $"sample-ratio mismatch: observed {observed} units, χ² = {srm.ChiSquare:0.##}, p = {Format(srm.PValue)} < {_options.SampleRatioThreshold}; check assignment and exposure logging before trusting results"));
        }
        if (method == AnalysisMethod.FixedHorizon && progress is < 1)
        {
            return Result(ExperimentDecision.NotEnoughData, Invariant(
                $"not enough data: {Math.Floor(progress.Value * 100):0} % of planned sample ({smallest:N0} of {experiment.PlannedSampleSizePerVariant:N0} units per variant)"));
        }
        var winners = comparisons.Where(c => c.Significant && c.Difference > 0).OrderByDescending(c => c.Difference).ToList();
        if (winners.Count > 0)
        {
            var w = winners[0];
            return Result(ExperimentDecision.ShipTreatment, Invariant($"variant '{w.Variant}' beats '{control}': {Effect(w, isRate)}, adjusted p = {Format(w.AdjustedPValue)}"), w.Variant);
        }
        var losers = comparisons.Where(c => c.Significant && c.Difference < 0).OrderBy(c => c.Difference).ToList();
        if (losers.Count > 0)
        {
            var l = losers[0];
            return Result(ExperimentDecision.KeepControl, Invariant($"keep '{control}': variant '{l.Variant}' is worse ({Effect(l, isRate)}, adjusted p = {Format(l.AdjustedPValue)})"));
        }
        var best = comparisons.MinBy(c => c.AdjustedPValue)!;
        if (method == AnalysisMethod.Sequential && progress is not >= 1)
        {
            return Result(ExperimentDecision.KeepRunning, Invariant(
                $"keep running: no always-valid evidence yet (smallest adjusted p = {Format(best.AdjustedPValue)}){(progress is { } p ? Invariant($"; {Math.Floor(p * 100):0} % of planned sample") : string.Empty)}"));
        }
        return Result(ExperimentDecision.NoSignificantDifference, Invariant(
            $"no significant difference{(progress is null ? " (no planned sample set)" : " at the planned sample")}: smallest adjusted p = {Format(best.AdjustedPValue)} > {alpha}"));
    }

    private static string Effect(VariantComparison c, bool isRate)
    {
        var absolute = isRate
            ? Invariant($"{c.Difference * 100:+0.##;-0.##} pp")
            : Invariant($"{c.Difference:+0.####;-0.####}");
        if (c.RelativeLift is not { } lift)
        {
            return absolute;
        }
        var text = Invariant($"{lift * 100:+0.#;-0.#} % relative lift ({absolute}");
        if (c.RelativeLiftInterval is { } ci)
        {
            text += Invariant($", {ci.Level * 100:0} % CI {ci.Lower * 100:+0.#;-0.#} % to {ci.Upper * 100:+0.#;-0.#} %");
        }
        return text + ")";
    }

    private static string Format(double p) => p < 0.0001 ? "< 0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Checks analysis settings.</summary>
internal static class AnalysisOptionsValidation
{
    public static IEnumerable<string> Errors(AnalysisOptions o)
    {
        if (!(o.Alpha > 0 && o.Alpha < 1))
        {
            yield return "Analysis.Alpha must lie strictly between 0 and 1.";
        }
        if (!(o.SampleRatioThreshold > 0 && o.SampleRatioThreshold < 1))
        {
            yield return "Analysis.SampleRatioThreshold must lie strictly between 0 and 1.";
        }
        if (!(o.DefaultMinimumDetectableEffect > 0 && double.IsFinite(o.DefaultMinimumDetectableEffect)))
        {
            yield return "Analysis.DefaultMinimumDetectableEffect must be positive.";
        }
        if (o.Prior is null || !(o.Prior.Alpha > 0) || !(o.Prior.Beta > 0))
        {
            yield return "Analysis.Prior needs positive parameters.";
        }
        if (!Enum.IsDefined(o.Correction) || !Enum.IsDefined(o.Method) || !Enum.IsDefined(o.ProportionVariance) || !Enum.IsDefined(o.IntervalMethod))
        {
            yield return "Analysis has an unknown enum value.";
        }
    }

    public static void ThrowIfInvalid(AnalysisOptions o)
    {
        var first = Errors(o).FirstOrDefault();
        if (first is not null)
        {
            throw new MarketingValidationException("analysis", ValidationReason.OutOfRange, first);
        }
    }
}
