using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Attribution.Tests;

/// <summary>Compact aggregation: the hashed builder against a plain string-keyed aggregation.</summary>
public class PathSetBuilderTests
{
    /// <summary>Aggregates journeys by their text key, the obvious way.</summary>
    private static Dictionary<string, (double Conv, double Value, double Nulls)> Reference(IEnumerable<(int[] Steps, double Conv, double Value, double Nulls)> journeys)
    {
        var result = new Dictionary<string, (double, double, double)>();
        foreach (var (steps, conv, value, nulls) in journeys)
        {
            var key = string.Join(" > ", steps.Select(s => "ch" + s));
            result.TryGetValue(key, out var acc);
            result[key] = (acc.Item1 + conv, acc.Item2 + value, acc.Item3 + nulls);
        }
        return result;
    }

    private static List<(int[] Steps, double Conv, double Value, double Nulls)> Journeys(int seed, int channels, int count, int maxLength)
    {
        var random = new Random(seed);
        var list = new List<(int[], double, double, double)>(count);
        for (var j = 0; j < count; j++)
        {
            var steps = new int[random.Next(1, maxLength + 1)];
            for (var i = 0; i < steps.Length; i++)
            {
                steps[i] = random.Next(channels);
            }
            var conv = random.Next(0, 3);
            list.Add((steps, conv, conv * 10.0, random.Next(0, 3)));
        }
        return list;
    }

    private static void AssertMatches(Dictionary<string, (double Conv, double Value, double Nulls)> expected, PathSet set)
    {
        Assert.Equal(expected.Count, set.Count);
        var seen = new HashSet<string>();
        for (var p = 0; p < set.Count; p++)
        {
            var key = set.Describe(p);
            Assert.True(seen.Add(key), $"path {key} stored twice");
            Assert.True(expected.TryGetValue(key, out var e), $"path {key} not expected");
            Assert.Equal(e.Conv, set.GetConversions(p));
            Assert.Equal(e.Value, set.GetValue(p));
            Assert.Equal(e.Nulls, set.GetNulls(p));
        }
        Assert.Equal(expected.Values.Sum(v => v.Conv), set.TotalConversions);
    }

    [Property(MaxTest = 40)]
    public void Index_and_channel_ingestion_merge_identical_paths_like_a_string_keyed_aggregation(PositiveInt seed, PositiveInt channels, PositiveInt count)
    {
        var n = 1 + (channels.Get % 5);
        var journeys = Journeys(seed.Get, n, 1 + (count.Get % 300), 4);
        var byIndex = new PathSetBuilder();
        var byChannel = new PathSetBuilder();
        var names = Enumerable.Range(0, n).Select(i => new Channel("ch" + i)).ToArray();
        foreach (var c in names)
        {
            byIndex.AddChannel(c);
        }
        foreach (var (steps, conv, value, nulls) in journeys)
        {
            byIndex.Add(steps, conv, value, nulls);
            byChannel.Add(steps.Select(s => names[s]).ToArray(), conv, value, nulls);
        }
        var expected = Reference(journeys);
        AssertMatches(expected, byIndex.Build());
        AssertMatches(expected, byChannel.Build());
    }

    [Fact]
    public void Many_distinct_paths_survive_table_growth()
    {
        // 12 channels, up to 7 touches: tens of thousands of distinct paths, each added twice.
        var journeys = Journeys(7, 12, 60_000, 7);
        var builder = new PathSetBuilder();
        for (var c = 0; c < 12; c++)
        {
            builder.AddChannel(new Channel("ch" + c));
        }
        foreach (var (steps, conv, value, nulls) in journeys.Concat(journeys))
        {
            builder.Add(steps, conv, value, nulls);
        }
        var expected = Reference(journeys.Concat(journeys));
        Assert.True(expected.Count > 30_000, $"{expected.Count} distinct paths");
        AssertMatches(expected, builder.Build());
    }

    [Fact]
    public void Paths_with_campaigns_or_ages_stay_apart_from_plain_paths_with_the_same_channels()
    {
        var a = new Channel("a");
        var b = new Channel("b");
        var set = new PathSetBuilder()
            .Add([a, b], 1, 10)
            .Add([new Touch(a, "c1"), new Touch(b)], 2, 20)
            .Add([new Touch(a, AgeHours: 5), new Touch(b, AgeHours: 0)], 4, 40)
            .Add([a, b], 8, 80)
            .Add([new Touch(a, "c1"), new Touch(b)], 16, 160)
            .Add([new Touch(a, AgeHours: 5), new Touch(b, AgeHours: 0)], 32, 320)
            .Add([new Touch(a, AgeHours: 6), new Touch(b, AgeHours: 0)], 64, 640)
            .Build();
        Assert.Equal(4, set.Count);
        Assert.Equal([9.0, 18, 36, 64], Enumerable.Range(0, 4).Select(set.GetConversions));
        Assert.True(set.HasCampaigns);
        Assert.Equal([-1, -1], set.GetCampaigns(0).ToArray());
        Assert.Equal("c1", set.Campaigns[set.GetCampaigns(1)[0]]);
        Assert.False(set.HasTouchAges);
    }

    [Fact]
    public void Ages_are_kept_when_every_path_has_them()
    {
        var a = new Channel("a");
        var set = new PathSetBuilder()
            .Add([new Touch(a, AgeHours: 3), new Touch(a, AgeHours: 1)], 1)
            .Add([new Touch(a, AgeHours: 3), new Touch(a, AgeHours: 1)], 1)
            .Add([new Touch(a, AgeHours: 2)], 1)
            .Build();
        Assert.Equal(2, set.Count);
        Assert.True(set.HasTouchAges);
        Assert.Equal([3.0, 1.0], set.GetTouchAges(0).ToArray());
        Assert.Equal(2, set.GetConversions(0));
    }

    [Fact]
    public void Index_ingestion_rejects_undeclared_channels()
    {
        var builder = new PathSetBuilder();
        builder.AddChannel(new Channel("a"));
        Assert.Equal(1, builder.ChannelCount);
        var ex = Assert.Throws<MarketingValidationException>(() => builder.Add([0, 1], 1));
        Assert.Equal("channelIndexes[1]", ex.Field);
        Assert.Throws<MarketingValidationException>(() => builder.Add([-1], 1));
        Assert.Throws<MarketingValidationException>(() => builder.Add(ReadOnlySpan<int>.Empty, 1));
        Assert.Equal(0, builder.Count);
    }

    [Property(MaxTest = 25)]
    public void Markov_flat_transition_counts_fit_the_same_chain_as_the_dictionary_counts(PositiveInt seed, PositiveInt order)
    {
        var set = TestData.Random(seed.Get, 4, 60, maxLength: 6);
        var k = 1 + (order.Get % 3);
        var flat = MarkovChainModel.Chain.Fit(set, k, flatCounts: true, CancellationToken.None);
        var dictionary = MarkovChainModel.Chain.Fit(set, k, flatCounts: false, CancellationToken.None);
        Assert.Equal(dictionary.StateCount, flat.StateCount);
        Assert.Equal(dictionary.RowStart, flat.RowStart);
        Assert.Equal(dictionary.Targets, flat.Targets);
        Assert.Equal(dictionary.Probabilities, flat.Probabilities);
        Assert.Equal(dictionary.ToConversion, flat.ToConversion);
        Assert.Equal(dictionary.ToNull, flat.ToNull);
        Assert.Equal(dictionary.MeanValue, flat.MeanValue);
        Assert.Equal(dictionary.StartProbabilities, flat.StartProbabilities);
    }
}
