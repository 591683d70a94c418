namespace Marketing.Sdk.Segmentation.Tests;

public class LayerAndLookalikeTests
{
    private static readonly DateTimeOffset Now = TestData.Now;

    [Theory]
    [InlineData(0, null, null, 0, ValueLayer.Potential)]
    [InlineData(1, 3, 10, 1, ValueLayer.New)]
    [InlineData(1, 100, 100, 1, ValueLayer.Churned)]
    [InlineData(1, 10, 60, 1, ValueLayer.Dormant)]
    [InlineData(4, 1, 300, 4, ValueLayer.Loyal)]
    [InlineData(2, 1, 300, 2, ValueLayer.Active)]
    public void Layers_follow_the_documented_rules(int orders, int? daysSinceActivity, int? daysSinceFirstOrder, int inWindow, ValueLayer expected)
    {
        var activity = new CustomerActivity(TestData.Id(1),
            daysSinceActivity is { } a ? Now.AddDays(-a) : null,
            daysSinceFirstOrder is { } f ? Now.AddDays(-f) : null,
            daysSinceActivity is { } l ? Now.AddDays(-l) : null,
            orders, inWindow);
        Assert.Equal(expected, ValueLayers.Classify(activity, Now, new ValueLayerOptions()));
    }

    [Fact]
    public void Thresholds_are_configurable_and_activity_types_are_honoured()
    {
        var options = new ValueLayerOptions { DormantAfter = TimeSpan.FromDays(30) };
        options.ActivityEventTypes.Add(EventType.Login);
        var events = new[]
        {
            TestData.Purchase(1, "o1", Now.AddDays(-60), 10m),
            TestData.Event(1, EventType.Login, Now.AddDays(-10)),
            TestData.Event(1, EventType.PageView, Now.AddDays(-1)), // not activity under these options
        };
        var activity = Assert.Single(ValueLayers.Summarise(events, Now, options));
        Assert.Equal(Now.AddDays(-10), activity.LastActivity);
        Assert.Equal(ValueLayer.Active, ValueLayers.Classify(activity, Now, options));
        Assert.Equal(ValueLayer.Dormant, ValueLayers.Classify(activity, Now, new ValueLayerOptions()));
        Assert.NotEmpty(new ValueLayerOptions { LoyalMinimumOrders = 1 }.Validate());
    }

    [Fact]
    public void Lookalike_recovers_a_planted_cluster()
    {
        var random = new Random(42);
        var inputs = new List<LookalikeInput>();
        var planted = new HashSet<CustomerId>();
        for (var i = 0; i < 2000; i++)
        {
            var inCluster = i % 10 == 0; // 200 planted customers
            var age = inCluster ? 30 + random.Next(-2, 3) : random.Next(18, 70);
            var region = inCluster ? "sh" : new[] { "bj", "gd", "sh", "zj", "sc" }[random.Next(5)];
            var views = inCluster ? 20 + random.Next(10) : random.Next(0, 6);
            var profile = new CustomerProfile
            {
                Id = TestData.Id(i),
                Traits = new Dictionary<string, PropertyValue> { ["age"] = age, ["region"] = region, ["income"] = random.Next(1000, 50000) },
            };
            inputs.Add(new LookalikeInput(profile, new Dictionary<EventType, int> { [EventType.ProductView] = views, [EventType.Search] = random.Next(0, 5) }));
            if (inCluster)
            {
                planted.Add(profile.Id);
            }
        }
        var seed = planted.Order().Take(50).ToHashSet();
        var hidden = planted.Except(seed).ToHashSet();

        foreach (var method in Enum.GetValues<LookalikeMethod>())
        {
            var options = new LookalikeOptions { TopN = hidden.Count, Method = method };
            options.NumericTraits.Add("age");
            options.NumericTraits.Add("income");
            options.CategoricalTraits.Add("region");
            options.BehaviourEventTypes.Add(EventType.ProductView);
            options.BehaviourEventTypes.Add(EventType.Search);

            var result = LookalikeExpander.Expand(inputs, seed, options);

            Assert.Equal(50, result.SeedSize);
            Assert.Equal(1950, result.Scored);
            Assert.Equal(hidden.Count, result.Candidates.Count);
            var recall = result.Candidates.Count(c => hidden.Contains(c.CustomerId)) / (double)hidden.Count;
            Assert.True(recall >= 0.9, $"{method}: recall {recall:P1}");
            Assert.True(result.Candidates.Zip(result.Candidates.Skip(1)).All(p => p.First.Score >= p.Second.Score));
            Assert.DoesNotContain(result.Candidates, c => seed.Contains(c.CustomerId));
        }
    }

    [Fact]
    public void Top_fraction_rounds_up_and_features_are_named()
    {
        var inputs = Enumerable.Range(0, 11).Select(i => new LookalikeInput(
            new CustomerProfile { Id = TestData.Id(i), Traits = new Dictionary<string, PropertyValue> { ["g"] = i % 2 == 0 ? "a" : "b" } },
            new Dictionary<EventType, int>())).ToList();
        var options = new LookalikeOptions { TopFraction = 0.25 };
        options.CategoricalTraits.Add("g");
        var result = LookalikeExpander.Expand(inputs, new HashSet<CustomerId> { TestData.Id(0) }, options);
        Assert.Equal(3, result.Candidates.Count); // ceil(0.25 × 10)
        Assert.Equal(["g=a", "g=b"], result.Features);
        Assert.All(result.Candidates, c => Assert.Equal(0, int.Parse(c.CustomerId.Value[1..]) % 2));
    }
}
