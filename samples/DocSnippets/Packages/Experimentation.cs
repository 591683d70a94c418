#region usings
using Marketing.Sdk;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Experimentation.Statistics;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Experimentation (docs/how-to).</summary>
public static class ExperimentationSnippets
{
    /// <summary>Marketing.Sdk.Experimentation, example 1 (from src/Marketing.Sdk.Experimentation/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IExperimentClient client, ExperimentAnalyzer analyzer, IExperimentAssigner assigner, string memberId, IReadOnlyDictionary<string, ConversionCounts> counts)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddExperimentation(o => o.Analysis.Method = AnalysisMethod.Sequential)
            .AddExperiment(new ExperimentDefinition
            {
                Key = "welcome_email_subject",
                Variants = [new() { Key = "control" }, new() { Key = "emoji" }],
                PlannedSampleSizePerVariant = PowerAnalysis.ProportionsSampleSize(0.20, 0.22).Control,
            })
            .AddCatalogJson(File.ReadAllText("experiments.json"))      // or definitions in JSON
            .AddExposureSink<MyCollectorExposureSink>());             // experiment_exposure events → your event pipeline

        // at the point the variant is shown
        var assignment = await client.GetAssignmentAsync("welcome_email_subject", Identity.Member(memberId));

        // later, with the counts from your warehouse
        var result = analyzer.AnalyzeConversions(assigner.GetExperiment("welcome_email_subject"), counts);
        Console.WriteLine($"{result.Decision}: {result.Reason}");   // "NotEnoughData: not enough data: 38 % of planned sample (…)"
        #endregion
        await Task.CompletedTask;
    }
}

#region types1
/// <summary>Your sink: forwards experiment_exposure events into your event pipeline.</summary>
sealed class MyCollectorExposureSink : IExposureEventSink
{
    public ValueTask WriteAsync(MarketingEvent exposureEvent, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
#endregion
