namespace Marketing.Sdk.Recommendations.Evaluation;

/// <summary>A train/test split of interactions.</summary>
/// <param name="Train">Interactions to fit on.</param>
/// <param name="Test">Interactions to evaluate against.</param>
public sealed record DataSplit(IReadOnlyList<Interaction> Train, IReadOnlyList<Interaction> Test);

/// <summary>How <see cref="DataSplitter.RandomStratified"/> turns ratio · n into a whole number of training items.</summary>
public enum SplitRounding
{
    /// <summary>Round half away from zero (2.5 → 3). Default.</summary>
    AwayFromZero = 0,
    /// <summary>
    /// Round half to even (2.5 → 2, 3.5 → 4): Python's <c>round</c>, which Microsoft Recommenders'
    /// <c>python_stratified_split</c> uses — choose it to reproduce that library's splits' sizes.
    /// </summary>
    ToEven,
    /// <summary>Round down (2.9 → 2): never more training items than the ratio.</summary>
    Down,
    /// <summary>Round up (2.1 → 3): never fewer training items than the ratio.</summary>
    Up,
}

/// <summary>Splits interactions for offline evaluation.</summary>
public static class DataSplitter
{
    /// <summary>Chronological split: interactions before <paramref name="cutoff"/> train, the rest test.</summary>
    /// <param name="interactions">The interactions.</param>
    /// <param name="cutoff">The first instant of the test period.</param>
    public static DataSplit Chronological(IEnumerable<Interaction> interactions, DateTimeOffset cutoff)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var train = new List<Interaction>();
        var test = new List<Interaction>();
        foreach (var x in interactions)
        {
            (x.OccurredAt < cutoff ? train : test).Add(x);
        }
        return new DataSplit(train, test);
    }

    /// <summary>
    /// Random split stratified by user: each user's distinct items are shuffled (seeded) and the
    /// first <c>round(ratio · n)</c> go to train (rounded as <paramref name="rounding"/> says, then
    /// kept within 1 … n − 1), the rest to test; every interaction of a (user, item) pair lands on
    /// the same side. Users with one item stay in train.
    /// </summary>
    /// <param name="interactions">The interactions.</param>
    /// <param name="trainRatio">Share of each user's items for training, in (0, 1); e.g. 0.75.</param>
    /// <param name="seed">Random seed; the same seed and data give the same split.</param>
    /// <param name="rounding">How ratio · n is rounded; default half away from zero.</param>
    public static DataSplit RandomStratified(IEnumerable<Interaction> interactions, double trainRatio, int seed, SplitRounding rounding = SplitRounding.AwayFromZero)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if (!(trainRatio > 0 && trainRatio < 1))
        {
            throw new MarketingValidationException("trainRatio", ValidationReason.OutOfRange, "The train ratio lies strictly between 0 and 1.");
        }
        var random = new Random(seed);
        var train = new List<Interaction>();
        var test = new List<Interaction>();
        foreach (var user in interactions.GroupBy(x => x.UserId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var byItem = user.GroupBy(x => x.ItemId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToArray();
            random.Shuffle(byItem);
            var exact = trainRatio * byItem.Length;
            var rounded = rounding switch
            {
                SplitRounding.ToEven => Math.Round(exact, MidpointRounding.ToEven),
                SplitRounding.Down => Math.Floor(exact + 1e-9),
                SplitRounding.Up => Math.Ceiling(exact - 1e-9),
                _ => Math.Round(exact, MidpointRounding.AwayFromZero),
            };
            var keep = byItem.Length == 1 ? 1 : Math.Clamp((int)rounded, 1, byItem.Length - 1);
            for (var k = 0; k < byItem.Length; k++)
            {
                (k < keep ? train : test).AddRange(byItem[k]);
            }
        }
        return new DataSplit(train, test);
    }
}
