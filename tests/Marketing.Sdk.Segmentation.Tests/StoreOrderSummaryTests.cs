using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>Order summaries read straight from a store equal those summarised from the same events as objects.</summary>
public sealed class StoreOrderSummaryTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task Order_summaries_from_the_store_equal_summaries_from_the_events(int seed)
    {
        await using var data = await StoredEventsData.CreateAsync(seed);
        // In time order, as the event store reads them (where an order id repeats, its first event counts).
        var expected = RfmAnalysis.SummariseOrders(data.Events.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id, StringComparer.Ordinal));
        Assert.NotEmpty(expected);

        foreach (var (store, _) in data.Stores)
        {
            var actual = await RfmAnalysis.SummariseOrdersAsync(store);
            Assert.Equal(expected, actual);
            var asOf = StoredEventsData.Start.AddDays(200);
            Assert.Equal(RfmAnalysis.Score(expected, asOf), RfmAnalysis.Score(actual, asOf));
        }
    }

    [Fact]
    public async Task Orders_in_two_currencies_are_refused_as_from_events()
    {
        await using var data = await StoredEventsData.CreateAsync(seed: 13, customers: 30);
        await data.AppendAsync([new MarketingEvent
        {
            Id = "usd-1", Type = EventType.Purchase, OccurredAt = StoredEventsData.Start, CustomerId = new CustomerId("zz-last"), Value = new Money(5, "USD"),
        }]);

        foreach (var (store, _) in data.Stores)
        {
            await Assert.ThrowsAsync<CurrencyMismatchException>(() => RfmAnalysis.SummariseOrdersAsync(store));
        }
    }
}
