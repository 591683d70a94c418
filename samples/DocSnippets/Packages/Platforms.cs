#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms (docs/how-to).</summary>
public static class PlatformsSnippets
{
    /// <summary>Marketing.Sdk.Platforms, example 1 (from src/Marketing.Sdk.Platforms/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration, IConversionPublisher publisher, Order order, CustomerId customerId)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")
            .AddCompliance()
            .AddMetaPlatform(o => configuration.GetSection("Meta").Bind(o)));

        // on every order:
        await publisher.PublishAsync([new ConversionRequest
        {
            EventId = order.OrderId, EventType = EventType.Purchase, OccurredAt = order.PlacedAt,
            CustomerId = customerId, Value = order.Total, OrderId = order.OrderId,
        }]);
        #endregion
        await Task.CompletedTask;
    }
}
