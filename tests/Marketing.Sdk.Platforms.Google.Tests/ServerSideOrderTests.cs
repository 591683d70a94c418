using Marketing.Sdk.Platforms.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class ServerSideOrderTests
{
    [Fact]
    public async Task The_readme_order_without_browser_data_is_delivered()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var customerId = new CustomerId("cust-readme");
        await env.GrantAllAsync(customerId);
        await env.Provider.GetRequiredService<IConversionPublisher>().PublishAsync([new ConversionRequest
        {
            EventId = "order-1001", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            CustomerId = customerId, Value = new Money(99.90m, "CNY"), OrderId = "order-1001",
            Customer = new CustomerMatchData { Email = "li.wei@example.com", Phone = "+86 138 0013 8000", Country = "CN" },
        }]);
        var round = await env.Provider.GetRequiredService<PlatformDeliveryWorker>().DeliverOnceAsync("google.conversions");
        Assert.Equal((1, 1, 0), (round.Claimed, round.Delivered, round.DeadLettered));
        Assert.Single(env.Emulator.AcceptedEvents);
    }
}
