using System.Collections.Concurrent;
using Marketing.Sdk;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Experimentation.Bandits;
using Marketing.Sdk.Experimentation.Statistics;
using Microsoft.Extensions.DependencyInjection;
using Marketing.Sdk.Ingestion;

namespace QuickStart;

internal sealed record ExperimentationReport(
    ExperimentResult Result,
    IReadOnlyDictionary<string, ConversionCounts> Counts,
    int ExposuresStored,
    SampleSizeResult PlannedSample,
    IReadOnlyList<BanditArm> BanditArms);

/// <summary>Collects exposure events so the sample can send them through the collector in batches.</summary>
internal sealed class ExposureOutbox : IExposureEventSink
{
    private readonly ConcurrentQueue<MarketingEvent> _pending = new();

    public ValueTask WriteAsync(MarketingEvent exposureEvent, CancellationToken cancellationToken = default)
    {
        _pending.Enqueue(exposureEvent);
        return ValueTask.CompletedTask;
    }

    /// <summary>Takes everything written so far.</summary>
    public List<MarketingEvent> Drain()
    {
        var list = new List<MarketingEvent>();
        while (_pending.TryDequeue(out var e))
        {
            list.Add(e);
        }
        return list;
    }
}

/// <summary>
/// Step 6: an email subject-line test. Every shopper is bucketed (sticky hash of the member id), the
/// exposures go through the event pipeline, opens are simulated with a fixed seed (true open rates
/// 20 % and 24 %), and the analyzer states its decision and the reason. Then the same choice as a
/// Thompson-sampling bandit over three subject lines.
/// Planned sample: to detect 20 % → 25 % opens.
/// </summary>
internal static class ExperimentationStep
{
    public const string ExperimentKey = "welcome_subject_line";

    public const int BanditSends = 10_000;

    private static readonly Dictionary<string, double> TrueOpenRates = new(StringComparer.Ordinal)
    {
        ["control"] = 0.20,
        ["question"] = 0.24,
        ["emoji"] = 0.215,
    };

    /// <summary>The sample's experiment catalogue, registered with <c>m.AddExperimentation(ExperimentationStep.Configure)</c>.</summary>
    public static void Configure(ExperimentationOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Experiments.Add(new ExperimentDefinition
        {
            Key = ExperimentKey,
            Variants = [new VariantDefinition { Key = "control" }, new VariantDefinition { Key = "question" }],
            // Planned to detect 20 % → 25 % opens (α 0.05, power 0.8).
            PlannedSampleSizePerVariant = PlannedSample().Control,
            MinimumDetectableEffect = 0.25,
        });
    }

    public static SampleSizeResult PlannedSample() => PowerAnalysis.ProportionsSampleSize(0.20, 0.25);

    public static async Task<ExperimentationReport> RunAsync(QuickStartContext run)
    {
        run.Heading(6, "Experimentation");
        var client = run.Get<IExperimentClient>();
        var assigner = run.Get<IExperimentAssigner>();
        var experiment = assigner.GetExperiment(ExperimentKey);

        // Assign every shopper by member id; exposures are logged as experiment_exposure events.
        var random = new Random(20261122);
        var units = new Dictionary<string, long>(StringComparer.Ordinal);
        var opens = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var person in run.Shop.People)
        {
            var member = person.Identities.First(i => i.Kind == IdentityKind.MemberId);
            var assignment = await client.GetAssignmentAsync(ExperimentKey, member);
            if (assignment.Variant is not { } variant)
            {
                continue;
            }
            units[variant] = units.GetValueOrDefault(variant) + 1;
            if (random.NextDouble() < TrueOpenRates[variant])
            {
                opens[variant] = opens.GetValueOrDefault(variant) + 1;
            }
        }
        var outbox = run.Services.GetServices<IExposureEventSink>().OfType<ExposureOutbox>().Single();
        var stored = 0;
        foreach (var batch in outbox.Drain().Chunk(IngestionStep.BatchSize))
        {
            stored += (await run.Get<IEventCollector>().TrackBatchAsync(batch)).Accepted;
        }

        var counts = experiment.Variants.ToDictionary(v => v.Key, v => new ConversionCounts(units.GetValueOrDefault(v.Key), opens.GetValueOrDefault(v.Key)), StringComparer.Ordinal);
        var result = run.Get<IExperimentAnalyzer>().AnalyzeConversions(experiment, counts);
        var planned = PlannedSample();
        run.Line($"subject-line test '{ExperimentKey}': {counts.Values.Sum(c => c.Units):N0} shoppers bucketed, {stored:N0} exposure events stored through the collector; plan {planned.Control:N0} per variant (to detect 20 % -> 25 % opens, alpha 0.05, power 0.8)");
        var table = new Table("variant", "units", "opens", "open rate", "lift", "95% CI of diff.", "p-value", "P(beats control)");
        var control = counts[experiment.Control];
        table.Add(experiment.Control, control.Units, control.Conversions, Table.Percent(control.Rate), null, null, null, null);
        foreach (var c in result.Comparisons)
        {
            table.Add(c.Variant, c.Units, counts[c.Variant].Conversions, Table.Percent(c.TreatmentValue),
                c.RelativeLift is { } lift ? Table.Percent(lift) : null,
                $"[{c.DifferenceInterval.Lower * 100:+0.0;-0.0} pp, {c.DifferenceInterval.Upper * 100:+0.0;-0.0} pp]",
                c.AdjustedPValue.ToString("0.0000"), c.ProbabilityToBeatControl is { } p ? Table.Percent(p) : null);
        }
        table.WriteTo(run.Out);
        run.Line($"sample-ratio check: p = {result.SampleRatio?.PValue:0.000}{(result.SampleRatio?.IsMismatch == true ? " (MISMATCH)" : " (ok)")}; detectable lift at this size: {PowerAnalysis.ProportionsMinimumDetectableEffect(0.20, control.Units) / 0.20:P0}");
        run.Line($"decision: {result.Decision} — {result.Reason}");

        // The same question as a bandit: send 10 000 emails, each to the line Thompson sampling picks.
        var bandit = new ThompsonSamplingBandit(TrueOpenRates.Keys, seed: 42);
        var simulate = new Random(2026);
        for (var i = 0; i < BanditSends; i++)
        {
            var arm = bandit.SelectArm();
            bandit.Update(arm, simulate.NextDouble() < TrueOpenRates[arm]);
        }
        var best = bandit.ProbabilityBest();
        run.Line($"Thompson sampling over 3 subject lines (true open rates 20 %, 24 %, 21.5 %), {BanditSends:N0} sends: " + string.Join(", ",
            bandit.Arms.Select(a => $"{a.Key} {a.Pulls:N0} sends ({Table.Percent(a.MeanReward)} opens, P(best) {best[a.Key]:P0})")));
        run.Line();
        return new ExperimentationReport(result, counts, stored, planned, bandit.Arms);
    }
}
