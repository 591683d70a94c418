using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Attribution.Tests;

/// <summary>ChannelAttribution's variants: with or without <c>var_null</c>, with or without self-loops.</summary>
public class MarkovOptionsTests
{
    private static PathSet Copy(PathSet set, bool keepNulls, bool collapse)
    {
        var builder = new PathSetBuilder();
        for (var p = 0; p < set.Count; p++)
        {
            var steps = set.GetSteps(p).ToArray().Select(i => set.Channels[i]).ToList();
            if (collapse)
            {
                steps = steps.Where((c, i) => i == 0 || steps[i - 1] != c).ToList();
            }
            var nulls = keepNulls ? set.GetNulls(p) : 0;
            if (set.GetConversions(p) + nulls > 0)
            {
                builder.Add(steps.ToArray(), set.GetConversions(p), set.GetValue(p), nulls);
            }
        }
        return builder.Build();
    }

    private static void Same(AttributionResult expected, AttributionResult actual)
    {
        foreach (var c in expected.Channels)
        {
            var a = actual.Channels.Single(x => x.Channel == c.Channel);
            Assert.Equal(c.Conversions, a.Conversions, 9);
            Assert.Equal(c.Value, a.Value, 9);
            Assert.Equal(c.RemovalEffect!.Value, a.RemovalEffect!.Value, 12);
        }
        Assert.Equal(expected.ConversionProbability!.Value, actual.ConversionProbability!.Value, 12);
    }

    [Property(MaxTest = 40)]
    public void Ignoring_nulls_is_the_model_of_the_converting_journeys_alone(PositiveInt seed, bool secondOrder)
    {
        var set = TestData.Random(seed.Get, 4, 30);
        var order = secondOrder ? 2 : 1;
        var ignoring = new MarkovChainModel(new MarkovOptions { Order = order, NullHandling = MarkovNullHandling.Ignore }).Attribute(set);
        var reference = new MarkovChainModel(new MarkovOptions { Order = order }).Attribute(Copy(set, keepNulls: false, collapse: false));
        Same(reference, ignoring);
        // All conversions are still attributed, and every observed path converts in the fitted chain.
        Assert.Equal(set.TotalConversions, ignoring.Channels.Sum(c => c.Conversions), 6);
        Assert.Equal(1, ignoring.ConversionProbability!.Value, 9);
    }

    [Fact]
    public void Nulls_change_the_removal_effects_unless_ignored()
    {
        var builder = new PathSetBuilder();
        builder.Add([new Channel("search"), new Channel("email")], 10, 100, 0);
        builder.Add([new Channel("display")], 1, 10, 50);
        builder.Add([new Channel("display"), new Channel("email")], 5, 50, 5);
        var set = builder.Build();
        var observed = new MarkovChainModel().Attribute(set);
        var ignored = new MarkovChainModel(new MarkovOptions { NullHandling = MarkovNullHandling.Ignore }).Attribute(set);
        Assert.True(observed.ConversionProbability < 0.5);
        Assert.Equal(1, ignored.ConversionProbability!.Value, 12);
        Assert.NotEqual(observed.Channels.Single(c => c.Channel == new Channel("display")).Conversions,
            ignored.Channels.Single(c => c.Channel == new Channel("display")).Conversions, 6);
        Assert.Equal("markov(order=1,no-nulls)", ignored.Model);
    }

    [Property(MaxTest = 40)]
    public void Removing_self_loops_is_the_model_of_the_collapsed_paths_and_does_not_change_order_one(PositiveInt seed)
    {
        // Random paths over two channels repeat channels often.
        var set = TestData.Random(seed.Get, 2, 25, maxLength: 6);
        var collapsedReference = new MarkovChainModel(new MarkovOptions { Order = 2 }).Attribute(Copy(set, keepNulls: true, collapse: true));
        var withoutLoops = new MarkovChainModel(new MarkovOptions { Order = 2, RemoveSelfLoops = true }).Attribute(set);
        Same(collapsedReference, withoutLoops);
        Same(new MarkovChainModel().Attribute(set), new MarkovChainModel(new MarkovOptions { RemoveSelfLoops = true }).Attribute(set));
    }

    [Fact]
    public void Variant_names_say_which_options_were_used()
    {
        var builder = new PathSetBuilder();
        builder.Add([new Channel("a"), new Channel("a"), new Channel("b")], 4, 0, 1);
        var set = builder.Build();
        Assert.Equal("markov(order=2,no-self-loops)", new MarkovChainModel(new MarkovOptions { Order = 2, RemoveSelfLoops = true }).Attribute(set).Model);
        Assert.Equal("markov(order=1,simulated,no-nulls)", new MarkovChainModel(new MarkovOptions { Solver = MarkovSolver.Simulation, Simulations = 1000, NullHandling = MarkovNullHandling.Ignore }).Attribute(set).Model);
    }
}
