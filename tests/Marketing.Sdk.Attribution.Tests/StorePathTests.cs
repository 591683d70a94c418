using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Attribution.Tests;

/// <summary>Paths built straight from a store equal the paths built from the same events as objects.</summary>
public sealed class StorePathTests
{
    public static TheoryData<int> Options() => [0, 1, 2, 3];

    private static PathBuilderOptions Variant(int variant) => variant switch
    {
        1 => new PathBuilderOptions { KeepTouchAges = true, MaxTouchesPerPath = 3 },
        2 => new PathBuilderOptions { DeduplicateSessions = false, IncludeNonConverting = false, KeepCampaigns = false },
        3 => new PathBuilderOptions { LookbackWindow = TimeSpan.FromDays(7), TouchEventTypes = [EventType.AdClick], ConversionEventTypes = [EventType.Purchase, EventType.AddToCart] },
        _ => new PathBuilderOptions(),
    };

    [Theory]
    [MemberData(nameof(Options))]
    public async Task Paths_from_the_store_equal_paths_from_the_events(int variant)
    {
        await using var data = await StoredEventsData.CreateAsync(seed: 40 + variant);
        var builder = new PathBuilder(Variant(variant));
        var asOf = StoredEventsData.Start.AddDays(200);

        foreach (var (store, name) in data.Stores)
        {
            AssertSame(builder.Build(data.Events), await builder.BuildAsync(store), name);
            AssertSame(builder.Build(data.Events, asOf), await builder.BuildAsync(store, asOf: asOf), name);
            var from = StoredEventsData.Start.AddDays(20);
            var to = StoredEventsData.Start.AddDays(60);
            AssertSame(builder.Build(data.Events.Where(e => e.OccurredAt >= from && e.OccurredAt < to)), await builder.BuildAsync(store, from, to), name);
        }
    }

    [Fact]
    public async Task Conversion_values_in_two_currencies_are_refused_as_from_events()
    {
        await using var cny = await StoredEventsData.CreateAsync(seed: 7, customers: 30);
        var store = cny.Stores[0].Store;
        var other = new MarketingEvent
        {
            Id = "usd-1", Type = EventType.Purchase, OccurredAt = StoredEventsData.Start, CustomerId = new CustomerId("zz-last"),
            Value = new Money(5, "USD"),
        };
        await cny.AppendAsync([other]);

        await Assert.ThrowsAsync<CurrencyMismatchException>(() => new PathBuilder().BuildAsync(store));
        Assert.Throws<CurrencyMismatchException>(() => new PathBuilder().Build([.. cny.Events, other]));
    }

    private static void AssertSame(PathSet expected, PathSet actual, string store)
    {
        Assert.True(expected.Count > 0, "the data has paths");
        Assert.Equal(expected.Channels, actual.Channels);
        Assert.Equal(expected.Campaigns, actual.Campaigns);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.HasCampaigns, actual.HasCampaigns);
        Assert.Equal(expected.HasTouchAges, actual.HasTouchAges);
        for (var p = 0; p < expected.Count; p++)
        {
            Assert.True(expected.GetSteps(p).SequenceEqual(actual.GetSteps(p)), $"{store}: steps of path {p}");
            Assert.True(expected.GetCampaigns(p).SequenceEqual(actual.GetCampaigns(p)), $"{store}: campaigns of path {p}");
            Assert.True(expected.GetTouchAges(p).SequenceEqual(actual.GetTouchAges(p)), $"{store}: ages of path {p}");
            Assert.Equal((expected.GetConversions(p), expected.GetValue(p), expected.GetNulls(p)), (actual.GetConversions(p), actual.GetValue(p), actual.GetNulls(p)));
        }
        Assert.Equal((expected.TotalConversions, expected.TotalValue, expected.TotalNulls), (actual.TotalConversions, actual.TotalValue, actual.TotalNulls));
    }
}
