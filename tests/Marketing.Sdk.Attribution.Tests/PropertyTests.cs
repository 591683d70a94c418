using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Attribution.Tests;

public class PropertyTests
{
    private static AttributionModel[] Models() =>
    [
        new FirstTouchModel(), new LastTouchModel(), new LastNonDirectModel(new Channel("ch0")), new LinearModel(),
        new TimeDecayModel(halfLifeTouches: 1.5), new PositionBasedModel(0.3, 0.3),
        new MarkovChainModel(), new MarkovChainModel(new MarkovOptions { Order = 2 }),
        new ShapleyModel(), new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Simplified }),
        new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Ordered }),
        new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Sampled, Samples = 50 }),
    ];

    [Property(MaxTest = 40)]
    public void Credits_are_non_negative_and_sum_to_totals(PositiveInt seed, PositiveInt channels, PositiveInt paths)
    {
        var set = TestData.Random(seed.Get, 1 + (channels.Get % 7), 1 + (paths.Get % 40));
        foreach (var model in Models())
        {
            var result = model.Attribute(set);
            TestData.AssertSums(result);
            Assert.All(result.Channels, c => Assert.True(c.Conversions >= -1e-9 && c.Value >= -1e-9, model.Name));
        }
    }

    [Property(MaxTest = 30)]
    public void Credits_are_invariant_to_channel_renaming(PositiveInt seed)
    {
        var set = TestData.Random(seed.Get, 5, 25);
        // Rename ch<i> → zz<4−i>, which also reverses the channel order in the set.
        var renamed = new PathSetBuilder();
        for (var i = set.Channels.Count - 1; i >= 0; i--)
        {
            renamed.AddChannel(Rename(set.Channels[i]));
        }
        for (var p = 0; p < set.Count; p++)
        {
            var steps = set.GetSteps(p).ToArray().Select(s => Rename(set.Channels[s])).ToArray();
            renamed.Add(steps, set.GetConversions(p), set.GetValue(p), set.GetNulls(p));
        }
        var other = renamed.Build();
        foreach (var model in Models().Where(m => m is not LastNonDirectModel && !m.Name.Contains("sampled", StringComparison.Ordinal)))
        {
            var a = model.Attribute(set);
            var b = model.Attribute(other);
            foreach (var c in a.Channels)
            {
                var d = b.For(Rename(c.Channel))!;
                Assert.Equal(c.Conversions, d.Conversions, 9);
                Assert.Equal(c.Value, d.Value, 7);
            }
        }
    }

    private static Channel Rename(Channel c) => new("zz" + (4 - int.Parse(c.Value[2..], System.Globalization.CultureInfo.InvariantCulture)));

    [Property(MaxTest = 40)]
    public void Shapley_exact_equals_simplified_and_satisfies_symmetry_and_null_player(PositiveInt seed)
    {
        var random = new Random(seed.Get);
        var set = TestData.Random(seed.Get, 2 + random.Next(5), 1 + random.Next(30));
        // Add a null player (only on non-converting journeys) and a twin of ch0 that always travels with it.
        var builder = new PathSetBuilder();
        var nullPlayer = new Channel("nobody");
        var twin = new Channel("twin");
        for (var p = 0; p < set.Count; p++)
        {
            var steps = set.GetSteps(p).ToArray().Select(s => set.Channels[s]).ToList();
            if (steps.Contains(new Channel("ch0")))
            {
                steps.Add(twin);
            }
            builder.Add(steps.ToArray(), set.GetConversions(p), set.GetValue(p), set.GetNulls(p));
        }
        builder.Add([nullPlayer, new Channel("ch1")], 0, 0, 3);
        var game = builder.Build();
        var exact = new ShapleyModel().Attribute(game);
        var simplified = new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Simplified }).Attribute(game);
        TestData.AssertSums(exact);
        foreach (var c in exact.Channels)
        {
            Assert.Equal(c.Conversions, simplified.For(c.Channel)!.Conversions, 8);
        }
        Assert.Equal(0, exact.For(nullPlayer)!.Conversions, 12);
        if (exact.For(new Channel("ch0")) is { } ch0 && exact.For(twin) is { } t)
        {
            Assert.Equal(ch0.Conversions, t.Conversions, 9);
            Assert.Equal(ch0.Value, t.Value, 7);
        }
        // The rate game satisfies efficiency and the null player too.
        var rate = new ShapleyModel(new ShapleyOptions { ValueFunction = ShapleyValueFunction.ConversionRate }).Attribute(game);
        TestData.AssertSums(rate);
    }

    [Property(MaxTest = 15)]
    public void Markov_exact_removal_effects_match_brute_force_simulation(PositiveInt seed)
    {
        var set = TestData.Random(seed.Get, 3, 12, maxLength: 4);
        var exact = new MarkovChainModel().Attribute(set);
        var simulated = new MarkovChainModel(new MarkovOptions { Solver = MarkovSolver.Simulation, Simulations = 120_000, Seed = seed.Get }).Attribute(set);
        Assert.True(Math.Abs(exact.ConversionProbability!.Value - simulated.ConversionProbability!.Value) < 0.01);
        foreach (var c in exact.Channels)
        {
            Assert.True(Math.Abs(c.RemovalEffect!.Value - simulated.For(c.Channel)!.RemovalEffect!.Value) < 0.02,
                $"{c.Channel}: exact {c.RemovalEffect} simulated {simulated.For(c.Channel)!.RemovalEffect}");
        }
    }

    [Fact]
    public void Aggregation_merges_identical_paths()
    {
        var a = new Channel("a");
        var b = new Channel("b");
        var set = new PathSetBuilder().Add([a, b], 1, 10).Add([a, b], 2, 5, 4).Add([b, a], 1, 1).Build();
        Assert.Equal(2, set.Count);
        Assert.Equal(3, set.GetConversions(0));
        Assert.Equal(15, set.GetValue(0));
        Assert.Equal(4, set.GetNulls(0));
        Assert.Equal("a > b", set.Describe(0));
    }

    [Fact]
    public void Exact_Shapley_refuses_too_many_channels()
    {
        var set = TestData.Random(1, 22, 60);
        Assert.Throws<AttributionException>(() => new ShapleyModel().Attribute(set));
        TestData.AssertSums(new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Sampled, Samples = 20 }).Attribute(set));
    }
}
