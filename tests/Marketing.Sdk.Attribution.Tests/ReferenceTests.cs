using Marketing.Sdk.Attribution;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Attribution.Tests;

public class ReferenceTests
{
    private static PathSet Vignette()
    {
        // The ChannelAttribution vignette: three converting journeys, one conversion each.
        var a = new Channel("a");
        var b = new Channel("b");
        return new PathSetBuilder()
            .Add([a, b, a, b, b, a], 1, 1)
            .Add([a, b, b, a, a], 1, 1)
            .Add([a, a], 1, 1)
            .Build();
    }

    [Fact]
    public void Markov_vignette_removal_effects_are_reproduced_exactly()
    {
        var result = new MarkovChainModel().Attribute(Vignette());
        var a = result.For(new Channel("a"))!;
        var b = result.For(new Channel("b"))!;
        Assert.Equal(1.0, a.RemovalEffect!.Value, 12);
        Assert.Equal(0.5, b.RemovalEffect!.Value, 12);
        Assert.Equal(2.0, a.Conversions, 12);
        Assert.Equal(1.0, b.Conversions, 12);
        Assert.Equal(1.0, result.ConversionProbability!.Value, 12);
        TestData.AssertSums(result);
    }

    [Fact]
    public void Markov_vignette_simulation_agrees_with_the_exact_solution()
    {
        var result = new MarkovChainModel(new MarkovOptions { Solver = MarkovSolver.Simulation, Simulations = 200_000, Seed = 7 }).Attribute(Vignette());
        Assert.Equal(1.0, result.For(new Channel("a"))!.RemovalEffect!.Value, 2);
        Assert.Equal(0.5, result.For(new Channel("b"))!.RemovalEffect!.Value, 2);
        TestData.AssertSums(result);
    }

    [Fact]
    public void Markov_order_two_on_the_vignette_sums_to_totals()
    {
        var result = new MarkovChainModel(new MarkovOptions { Order = 2 }).Attribute(Vignette());
        TestData.AssertSums(result);
        Assert.Equal(1.0, result.For(new Channel("a"))!.RemovalEffect!.Value, 12);
    }

    private static PathSet ZhaoExample()
    {
        // Journeys whose channel set is exactly S: R({A}) = 10, R({B}) = 5, R({A,B}) = 9, R({A,C}) = 6, R({A,B,C}) = 3.
        var a = new Channel("a");
        var b = new Channel("b");
        var c = new Channel("c");
        return new PathSetBuilder()
            .Add([a], 10, 100)
            .Add([b], 5, 50)
            .Add([a, b], 4, 40)
            .Add([b, a, b], 5, 50)
            .Add([c, a], 6, 60)
            .Add([a, b, c], 3, 30)
            .Build();
    }

    [Theory]
    [InlineData(ShapleyMethod.Exact)]
    [InlineData(ShapleyMethod.Simplified)]
    [InlineData(ShapleyMethod.Ordered)]
    public void Shapley_reproduces_the_Zhao_example(ShapleyMethod method)
    {
        var result = new ShapleyModel(new ShapleyOptions { Method = method }).Attribute(ZhaoExample());
        Assert.Equal(18.5, result.For(new Channel("a"))!.Conversions, 10);
        Assert.Equal(10.5, result.For(new Channel("b"))!.Conversions, 10);
        Assert.Equal(4.0, result.For(new Channel("c"))!.Conversions, 10);
        Assert.Equal(185, result.For(new Channel("a"))!.Value, 8);
        TestData.AssertSums(result);
    }

    [Fact]
    public void Ordered_Shapley_positions_add_up_to_channel_credit()
    {
        var result = new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Ordered }).Attribute(ZhaoExample());
        foreach (var credit in result.Channels)
        {
            Assert.Equal(credit.Conversions, result.Positions.Where(p => p.Channel == credit.Channel).Sum(p => p.Conversions), 10);
        }
        // The single-touch journeys put A's 10 and B's 5 conversions at position 1.
        Assert.True(result.Positions.Single(p => p.Channel == new Channel("a") && p.Position == 1).Conversions > 10);
    }

    [Fact]
    public void Sampled_Shapley_covers_the_exact_values_within_its_bound()
    {
        var result = new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Sampled, Samples = 4000, Seed = 3 }).Attribute(ZhaoExample());
        var expected = new Dictionary<string, double> { ["a"] = 18.5, ["b"] = 10.5, ["c"] = 4.0 };
        foreach (var c in result.Channels)
        {
            Assert.True(c.ConversionsMargin > 0);
            Assert.InRange(c.Conversions, expected[c.Channel.Value] - 1.5 * c.ConversionsMargin!.Value, expected[c.Channel.Value] + 1.5 * c.ConversionsMargin!.Value);
        }
        TestData.AssertSums(result);
    }

    [SkippableFact]
    public void PathData_loads_with_its_published_shape()
    {
        var paths = TestData.PathData();
        // 10 000 rows, of which 5 408 distinct paths: identical paths are aggregated into one entry.
        Assert.Equal(5_408, paths.Count);
        Assert.Equal(12, paths.Channels.Count);
        Assert.True(paths.TotalConversions > 0 && paths.TotalNulls > 0 && paths.TotalValue > 0);
    }

    [SkippableFact]
    public void Every_model_on_PathData_sums_to_the_totals()
    {
        var paths = TestData.PathData();
        foreach (var model in AllModels())
        {
            var result = model.Attribute(paths);
            TestData.AssertSums(result, 1e-9);
            if (!model.Name.EndsWith("[rate]", StringComparison.Ordinal))
            {
                // The conversion-rate game is not monotone, so its Shapley values may be negative (documented).
                Assert.All(result.Channels, c => Assert.True(c.Conversions >= -1e-9 && c.Value >= -1e-9, $"{model.Name} {c.Channel}"));
            }
        }
    }

    [SkippableFact]
    public void PathData_exact_Markov_agrees_with_simulation()
    {
        var paths = TestData.PathData();
        var exact = new MarkovChainModel().Attribute(paths);
        var simulated = new MarkovChainModel(new MarkovOptions { Solver = MarkovSolver.Simulation, Simulations = 300_000, Seed = 1 }).Attribute(paths);
        Assert.Equal(exact.ConversionProbability!.Value, simulated.ConversionProbability!.Value, 2);
        foreach (var c in exact.Channels)
        {
            var s = simulated.For(c.Channel)!;
            Assert.True(Math.Abs(c.RemovalEffect!.Value - s.RemovalEffect!.Value) < 0.01, $"{c.Channel}: {c.RemovalEffect} vs {s.RemovalEffect}");
        }
    }

    [SkippableFact]
    public void PathData_exact_Markov_dense_and_iterative_solvers_agree()
    {
        var paths = TestData.PathData();
        var dense = new MarkovChainModel(new MarkovOptions { Order = 2 }).Attribute(paths);
        var iterative = new MarkovChainModel(new MarkovOptions { Order = 2, DenseStateLimit = 0 }).Attribute(paths);
        foreach (var c in dense.Channels)
        {
            Assert.Equal(c.RemovalEffect!.Value, iterative.For(c.Channel)!.RemovalEffect!.Value, 9);
        }
    }

    [SkippableFact]
    public void PathData_results_document_is_current()
    {
        var expected = PathDataReport.Render(TestData.PathData());
        var file = Path.Combine(ReferenceFiles.RepositoryRoot, "docs", "attribution-pathdata.md");
        if (Environment.GetEnvironmentVariable("UPDATE_ATTRIBUTION_DOCS") == "1")
        {
            File.WriteAllText(file, expected);
        }
        Assert.True(File.Exists(file), "docs/attribution-pathdata.md is missing; run the tests with UPDATE_ATTRIBUTION_DOCS=1.");
        Assert.Equal(expected.ReplaceLineEndings("\n"), File.ReadAllText(file).ReplaceLineEndings("\n"));
    }

    internal static AttributionModel[] AllModels() =>
    [
        new FirstTouchModel(),
        new LastTouchModel(),
        new LastNonDirectModel(),
        new LinearModel(),
        new TimeDecayModel(),
        new PositionBasedModel(0.4, 0.4),
        new PositionBasedModel(0.3, 0.3),
        new MarkovChainModel(),
        new MarkovChainModel(new MarkovOptions { Order = 2 }),
        new MarkovChainModel(new MarkovOptions { Order = 3 }),
        new ShapleyModel(),
        new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Simplified }),
        new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Ordered }),
        new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Sampled, Samples = 500 }),
        new ShapleyModel(new ShapleyOptions { ValueFunction = ShapleyValueFunction.ConversionRate }),
    ];
}
