using Marketing.Sdk.Recommendations.Evaluation;

namespace Marketing.Sdk.Recommendations.Tests;

public class DataSplitRoundingTests
{
    private static IEnumerable<Interaction> User(string user, int items) =>
        Enumerable.Range(0, items).Select(i => new Interaction(user, "i" + i, DateTimeOffset.UnixEpoch, 1));

    [Theory]
    // 0.25 · 10 = 2.5 and 0.75 · 10 = 7.5 are the midpoints the conventions disagree on.
    [InlineData(0.25, SplitRounding.AwayFromZero, 3)]
    [InlineData(0.25, SplitRounding.ToEven, 2)]
    [InlineData(0.75, SplitRounding.AwayFromZero, 8)]
    [InlineData(0.75, SplitRounding.ToEven, 8)]
    [InlineData(0.45, SplitRounding.ToEven, 4)]
    [InlineData(0.45, SplitRounding.Down, 4)]
    [InlineData(0.45, SplitRounding.Up, 5)]
    [InlineData(0.7, SplitRounding.Down, 7)] // 0.7 · 10 is 7.000000000000001 in binary: still 7
    public void The_rounding_convention_decides_the_training_size(double ratio, SplitRounding rounding, int expectedTrain)
    {
        var split = DataSplitter.RandomStratified(User("u", 10), ratio, seed: 7, rounding);
        Assert.Equal(expectedTrain, split.Train.Count);
        Assert.Equal(10 - expectedTrain, split.Test.Count);
    }

    [Fact]
    public void The_default_stays_half_away_from_zero_and_the_seed_still_decides_which_items()
    {
        var data = User("u", 10).Concat(User("v", 6)).ToList();
        var byDefault = DataSplitter.RandomStratified(data, 0.25, 3);
        Assert.Equal(DataSplitter.RandomStratified(data, 0.25, 3, SplitRounding.AwayFromZero).Train, byDefault.Train);
        Assert.Equal(3 + 2, byDefault.Train.Count); // 2.5 → 3, 1.5 → 2
        Assert.Equal(2 + 2, DataSplitter.RandomStratified(data, 0.25, 3, SplitRounding.ToEven).Train.Count); // 2.5 → 2, 1.5 → 2
    }
}
