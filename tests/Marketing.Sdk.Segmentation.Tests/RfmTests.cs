using System.Globalization;
using System.Text;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Segmentation.Tests;

public class RfmTests
{
    private static readonly DateTimeOffset AsOf = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static CustomerOrderSummary Summary(int id, int daysAgo, int frequency, decimal monetary) =>
        new(TestData.Id(id), AsOf.AddDays(-400), AsOf.AddDays(-daysAgo).AddHours(-1), frequency, monetary, "CNY");

    private static readonly CustomerOrderSummary[] HandExample =
    [
        Summary(1, 1, 10, 1000m),
        Summary(2, 10, 5, 500m),
        Summary(3, 30, 5, 200m),
        Summary(4, 100, 2, 100m),
        Summary(5, 300, 1, 50m),
    ];

    [Fact]
    public void Hand_computed_example_with_shared_scores()
    {
        var scores = RfmAnalysis.Score(HandExample, AsOf);
        Assert.Equal(["555", "434", "333", "222", "111"], scores.Select(s => s.Code));
        Assert.Equal(
            [RfmSegment.Champions, RfmSegment.PotentialLoyalist, RfmSegment.NeedAttention, RfmSegment.Hibernating, RfmSegment.Lost],
            scores.Select(s => s.Segment));
        Assert.Equal([1, 10, 30, 100, 300], scores.Select(s => s.RecencyDays));
    }

    [Fact]
    public void Hand_computed_example_with_ties_split_by_id()
    {
        var scores = RfmAnalysis.Score(HandExample, AsOf, RfmTieHandling.SplitByCustomerId);
        Assert.Equal(["555", "434", "343", "222", "111"], scores.Select(s => s.Code));
        Assert.Equal(RfmSegment.LoyalCustomers, scores[2].Segment);
    }

    [Fact]
    public void The_grid_names_every_cell_and_every_segment_is_reachable()
    {
        var named = new HashSet<RfmSegment>();
        for (var r = 1; r <= 5; r++)
        {
            for (var f = 1; f <= 5; f++)
            {
                named.Add(RfmAnalysis.Classify(r, f));
            }
        }
        Assert.Equal(Enum.GetValues<RfmSegment>().ToHashSet(), named);
        Assert.Equal(RfmSegment.CannotLoseThem, RfmAnalysis.Classify(1, 5));
        Assert.Equal(RfmSegment.NewCustomers, RfmAnalysis.Classify(5, 1));
        Assert.Equal("Can't Lose Them", RfmAnalysis.DisplayName(RfmSegment.CannotLoseThem));
    }

    [Fact]
    public void Orders_in_two_currencies_are_rejected()
    {
        Assert.Throws<CurrencyMismatchException>(() => RfmAnalysis.SummariseOrders(
            [TestData.Purchase(1, "a", AsOf, 1m, "CNY"), TestData.Purchase(2, "b", AsOf, 1m, "USD")]));
    }

    /// <summary>Independent check of a score column: percentile rank with ties at their lowest rank, by binary search.</summary>
    private static void AssertSharedScores(IReadOnlyList<decimal> betterIsHigher, IReadOnlyList<int> scores)
    {
        var sorted = betterIsHigher.Order().ToArray();
        for (var i = 0; i < sorted.Length; i += Math.Max(1, sorted.Length / 500))
        {
            var v = betterIsHigher[i];
            var lo = 0;
            var hi = sorted.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (sorted[mid] < v)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            Assert.Equal(1 + (int)Math.Floor(5.0 * lo / sorted.Length), scores[i]);
        }
    }

    private static void AssertQuintileProperties(IReadOnlyList<RfmScore> scores)
    {
        AssertSharedScores(scores.Select(s => -(decimal)s.RecencyDays).ToList(), scores.Select(s => s.R).ToList());
        AssertSharedScores(scores.Select(s => (decimal)s.Frequency).ToList(), scores.Select(s => s.F).ToList());
        AssertSharedScores(scores.Select(s => s.Monetary).ToList(), scores.Select(s => s.M).ToList());
    }

    private static void AssertSplitProperties(IReadOnlyList<RfmScore> split)
    {
        var n = split.Count;
        foreach (var column in new Func<RfmScore, int>[] { s => s.R, s => s.F, s => s.M })
        {
            var sizes = split.GroupBy(column).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
            Assert.Equal(5, sizes.Length);
            Assert.All(sizes, size => Assert.InRange(size, n / 5, (n / 5) + 1));
        }
        // Monotone: a strictly larger monetary value never gets a lower score.
        var byM = split.OrderBy(s => s.Monetary).ThenBy(s => s.CustomerId).ToList();
        for (var i = 1; i < byM.Count; i++)
        {
            Assert.True(byM[i].M >= byM[i - 1].M);
        }
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        Marketing.Sdk.Text.DelimitedText.Split(line, ',', fields);
        return fields;
    }

    [SkippableFact]
    public void Online_Retail_orders_give_the_published_customer_figures_and_valid_quintiles()
    {
        // Cleaning as in the usual RFM walkthroughs: customer id present, no cancellations (C…), quantity > 0, unit price > 0.
        var invoices = new Dictionary<string, (string Customer, DateTimeOffset At, decimal Total)>();
        for (var part = 1; part <= 3; part++)
        {
            foreach (var line in File.ReadLines(ReferenceFiles.Get("online_retail", $"online_retail_part{part}_of_3.csv")).Skip(1))
            {
                var f = SplitCsv(line);
                var (invoice, quantity, date, price, customer) = (f[0], int.Parse(f[3], CultureInfo.InvariantCulture), f[4], decimal.Parse(f[5], CultureInfo.InvariantCulture), f[6]);
                if (customer.Length == 0 || invoice.StartsWith('C') || quantity <= 0 || price <= 0)
                {
                    continue;
                }
                var at = DateTimeOffset.ParseExact(date, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                var current = invoices.TryGetValue(invoice, out var known) ? known : (Customer: customer, At: at, Total: 0m);
                invoices[invoice] = (customer, at, current.Total + (quantity * price));
            }
        }
        var events = invoices.Select(kv => new MarketingEvent
        {
            Id = "inv-" + kv.Key,
            Type = EventType.Purchase,
            OccurredAt = kv.Value.At,
            CustomerId = new CustomerId("r" + kv.Value.Customer.Replace(".0", "", StringComparison.Ordinal)),
            Value = new Money(kv.Value.Total, "GBP"),
        }).ToList();

        var summaries = RfmAnalysis.SummariseOrders(events);
        // Published figures for this cleaning: 18 532 invoices, 4 338 customers, revenue £8 911 407.904.
        Assert.Equal(18_532, summaries.Sum(s => s.Frequency));
        Assert.Equal(4_338, summaries.Count);
        Assert.Equal(8_911_407.904m, summaries.Sum(s => s.Monetary));

        var asOf = new DateTimeOffset(2011, 12, 10, 0, 0, 0, TimeSpan.Zero);
        var scores = RfmAnalysis.Score(summaries, asOf);
        var c12346 = scores.Single(s => s.CustomerId.Value == "r12346");
        Assert.Equal((325, 1, 77_183.60m), (c12346.RecencyDays, c12346.Frequency, c12346.Monetary));
        Assert.Equal(1, c12346.R);
        Assert.Equal(5, c12346.M);
        var c12347 = scores.Single(s => s.CustomerId.Value == "r12347");
        Assert.Equal((2, 7, 4_310.00m), (c12347.RecencyDays, c12347.Frequency, c12347.Monetary));
        Assert.Equal(RfmSegment.Champions, c12347.Segment);
        AssertQuintileProperties(scores);
        AssertSplitProperties(RfmAnalysis.Score(summaries, asOf, RfmTieHandling.SplitByCustomerId));
    }

    [Fact]
    public void Cdnow_orders_score_with_valid_quintiles()
    {
        var events = new List<MarketingEvent>();
        var row = 0;
        decimal total = 0;
        foreach (var line in File.ReadLines(ReferenceFiles.Get("cdnow", "CDNOW_master.txt")).Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var amount = decimal.Parse(f[3], CultureInfo.InvariantCulture);
            total += amount;
            events.Add(new MarketingEvent
            {
                Id = $"cd-{row++}",
                Type = EventType.Purchase,
                OccurredAt = DateTimeOffset.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                CustomerId = new CustomerId("cd" + f[0]),
                Value = new Money(amount, "USD"),
            });
        }
        var summaries = RfmAnalysis.SummariseOrders(events);
        Assert.Equal(23_570, summaries.Count); // as published for CDNOW_master
        Assert.Equal(69_659, summaries.Sum(s => s.Frequency));
        Assert.Equal(total, summaries.Sum(s => s.Monetary));
        var scores = RfmAnalysis.Score(summaries, new DateTimeOffset(1998, 7, 1, 0, 0, 0, TimeSpan.Zero));
        AssertQuintileProperties(scores);
        // Most CDNOW customers bought once and never came back: frequency ties put them all in F = 1.
        Assert.True(scores.Count(s => s.F == 1) > scores.Count / 2);
        AssertSplitProperties(RfmAnalysis.Score(summaries, new DateTimeOffset(1998, 7, 1, 0, 0, 0, TimeSpan.Zero), RfmTieHandling.SplitByCustomerId));
    }
}
