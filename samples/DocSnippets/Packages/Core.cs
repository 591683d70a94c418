#region usings
using Marketing.Sdk;
using Marketing.Sdk.Ingestion;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk (docs/how-to).</summary>
public static class CoreSnippets
{
    /// <summary>Marketing.Sdk, example 1 (from src/Marketing.Sdk/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IEventCollector collector)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .ConfigureIngestion(o => o.DefaultPhoneRegion = "CN")
            .ConfigureIdentityResolution(o => o.MaxPeoplePerSharedIdentity = 3));

        var result = await collector.TrackAsync(new MarketingEvent
        {
            Id = "order-1001:purchase", Type = EventType.Purchase, OccurredAt = DateTimeOffset.Now,
            Identities = [Identity.Member("m-1001"), Identity.Phone("138 0013 8000")],
            Order = new Order { OrderId = "1001", PlacedAt = DateTimeOffset.Now,
                Lines = [new OrderLine { ProductId = "sku-1", Quantity = 1, UnitPrice = new Money(199m, "CNY") }] },
        });
        #endregion
        await Task.CompletedTask;
    }
}
