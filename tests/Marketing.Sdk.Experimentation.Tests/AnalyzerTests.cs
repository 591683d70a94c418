using System.Text.Json;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

public class AnalyzerTests
{
    private static readonly ExperimentDefinition Subject = new()
    {
        Key = "welcome_email_subject",
        Variants = [new() { Key = "control" }, new() { Key = "emoji" }],
        PlannedSampleSizePerVariant = 5000,
    };

    private static Dictionary<string, ConversionCounts> Data(long nc, long cc, long nt, long ct) =>
        new() { ["control"] = new(nc, cc), ["emoji"] = new(nt, ct) };

    [Fact]
    public void Reports_progress_when_the_planned_sample_is_not_reached()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(1900, 380, 1910, 470));
        Assert.Equal(ExperimentDecision.NotEnoughData, r.Decision);
        Assert.Equal("not enough data: 38 % of planned sample (1,900 of 5,000 units per variant)", r.Reason);
        Assert.Equal(0.38, r.PlannedSampleProgress);
        Assert.Single(r.Comparisons);
    }

    [Fact]
    public void Ships_a_significantly_better_variant_and_says_why()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(5000, 1000, 5000, 1250));
        Assert.Equal(ExperimentDecision.ShipTreatment, r.Decision);
        Assert.Equal("emoji", r.WinningVariant);
        Assert.StartsWith("variant 'emoji' beats 'control': +25 % relative lift (+5 pp, 95 % CI +", r.Reason, StringComparison.Ordinal);
        var c = Assert.Single(r.Comparisons);
        Assert.True(c.ProbabilityToBeatControl > 0.999);
        Assert.Equal(c.PValue, c.AdjustedPValue);
    }

    [Fact]
    public void Keeps_control_when_the_variant_is_worse()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(5000, 1250, 5000, 1000));
        Assert.Equal(ExperimentDecision.KeepControl, r.Decision);
        Assert.StartsWith("keep 'control': variant 'emoji' is worse (-20 % relative lift", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_no_difference_at_the_planned_sample()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(5000, 1000, 5000, 1010));
        Assert.Equal(ExperimentDecision.NoSignificantDifference, r.Decision);
        Assert.StartsWith("no significant difference at the planned sample: smallest adjusted p = 0.8", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_ratio_mismatch_overrides_everything()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(10_300, 2000, 9_700, 2500));
        Assert.Equal(ExperimentDecision.SampleRatioMismatch, r.Decision);
        Assert.StartsWith("sample-ratio mismatch: observed 10,300 / 9,700 units, χ² = 18, p = ", r.Reason, StringComparison.Ordinal);
        Assert.True(r.SampleRatio!.IsMismatch);
    }

    [Fact]
    public void Holm_correction_is_applied_across_treatments()
    {
        var three = Subject with { Variants = [new() { Key = "control" }, new() { Key = "emoji" }, new() { Key = "question" }] };
        var data = new Dictionary<string, ConversionCounts> { ["control"] = new(5000, 1000), ["emoji"] = new(5000, 1080), ["question"] = new(5000, 1110) };
        var r = new ExperimentAnalyzer().AnalyzeConversions(three, data);
        var raw = r.Comparisons.Select(c => c.PValue).ToArray();
        Assert.Equal(MultipleComparisons.Holm(raw), r.Comparisons.Select(c => c.AdjustedPValue));
        Assert.All(r.Comparisons, c => Assert.True(c.AdjustedPValue >= c.PValue));
    }

    [Fact]
    public void Sequential_analysis_keeps_running_without_evidence_and_ships_with_it()
    {
        var analyzer = new ExperimentAnalyzer(new AnalysisOptions { Method = AnalysisMethod.Sequential });
        var early = analyzer.AnalyzeConversions(Subject, Data(800, 160, 800, 170));
        Assert.Equal(ExperimentDecision.KeepRunning, early.Decision);
        Assert.Contains("16 % of planned sample", early.Reason, StringComparison.Ordinal);
        var late = analyzer.AnalyzeConversions(Subject, Data(3000, 600, 3000, 780));
        Assert.Equal(ExperimentDecision.ShipTreatment, late.Decision);
        Assert.Equal(AnalysisMethod.Sequential, late.Method);
    }

    [Fact]
    public void Means_use_welch()
    {
        var revenue = Subject with { PlannedSampleSizePerVariant = null };
        var data = new Dictionary<string, SampleSummary> { ["control"] = new(4000, 31.2, 900), ["emoji"] = new(4000, 33.9, 1000) };
        var r = new ExperimentAnalyzer().AnalyzeMeans(revenue, data);
        var welch = WelchTest.Compute(data["control"], data["emoji"]);
        Assert.Equal(welch.PValue, Assert.Single(r.Comparisons).PValue);
        Assert.Equal(ExperimentDecision.ShipTreatment, r.Decision);
        Assert.Null(r.Comparisons[0].ProbabilityToBeatControl);
    }

    [Fact]
    public void Empty_groups_are_not_enough_data()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(120, 10, 0, 0));
        Assert.Equal(ExperimentDecision.NotEnoughData, r.Decision);
        Assert.Equal("not enough data: variant 'emoji' has 0 units (at least 1 needed)", r.Reason);
    }

    [Fact]
    public void Bad_input_gets_typed_errors()
    {
        var analyzer = new ExperimentAnalyzer();
        var tooMany = Assert.Throws<MarketingValidationException>(() => analyzer.AnalyzeConversions(Subject, Data(10, 11, 10, 1)));
        Assert.Equal(("data[control].conversions", ValidationReason.Inconsistent), (tooMany.Field, tooMany.Reason));
        Assert.Equal(ValidationReason.Negative, Assert.Throws<MarketingValidationException>(() => analyzer.AnalyzeConversions(Subject, Data(-5, 0, 10, 1))).Reason);
        var missing = Assert.Throws<MarketingValidationException>(() => analyzer.AnalyzeConversions(Subject, new Dictionary<string, ConversionCounts> { ["control"] = new(5, 1) }));
        Assert.Equal(ValidationReason.Missing, missing.Reason);
        var extra = Data(10, 1, 10, 1);
        extra["zzz"] = new(1, 0);
        Assert.Equal(ValidationReason.Inconsistent, Assert.Throws<MarketingValidationException>(() => analyzer.AnalyzeConversions(Subject, extra)).Reason);
        Assert.Equal(ValidationReason.Missing, Assert.Throws<MarketingValidationException>(() => analyzer.AnalyzeConversions(Subject with { Variants = [] }, Data(1, 1, 1, 1))).Reason);
        Assert.Throws<MarketingValidationException>(() => new ExperimentAnalyzer(new AnalysisOptions { Alpha = 2 }));
    }

    [Fact]
    public void Result_serialises_with_the_source_generated_context()
    {
        var r = new ExperimentAnalyzer().AnalyzeConversions(Subject, Data(5000, 1000, 5000, 1250));
        var json = JsonSerializer.Serialize(r, ExperimentationJsonContext.Default.ExperimentResult);
        Assert.Contains("\"decision\":\"ShipTreatment\"", json, StringComparison.Ordinal);
        Assert.Contains("\"winningVariant\":\"emoji\"", json, StringComparison.Ordinal);
    }
}
