using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Meta.Tests;

/// <summary>The README's order snippet, as a server-side order without browser data.</summary>
public sealed class ServerSideOrderTests
{
    private static ServiceProvider Build(MetaEmulator emulator)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddPlatforms(o => o.RunInBackground = false)
            .AddMetaPlatform(o =>
            {
                o.AccessToken = emulator.AccessToken;
                o.PixelId = MetaScope.Pixel;
                o.BaseAddress = emulator.BaseAddress;
                o.MaxRetryAttempts = 0;
            }));
        return services.BuildServiceProvider();
    }

    private static ConversionRequest ReadmeOrder(CustomerId customerId) => new()
    {
        EventId = "order-1001", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-5),
        CustomerId = customerId, Value = new Money(99.90m, "CNY"), OrderId = "order-1001",
        Customer = new CustomerMatchData { Email = "li.wei@example.com", Phone = "+86 138 0013 8000", Country = "CN" },
    };

    [Fact]
    public async Task The_readme_order_without_browser_data_is_delivered_as_action_source_other()
    {
        await using var emulator = new MetaEmulator();
        emulator.AddPixel(MetaScope.Pixel);
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var customer = new CustomerId("cust-readme");
        await provider.GetRequiredService<ConsentLedger>().RecordAsync(customer, Conversions.MetaPurposes, true, Conversions.Web);
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([ReadmeOrder(customer)]);

        var round = await provider.GetRequiredService<PlatformDeliveryWorker>().DeliverOnceAsync("meta.conversions");

        Assert.Equal((1, 1, 0), (round.Claimed, round.Delivered, round.DeadLettered));
        Assert.Equal("order-1001", Assert.Single(emulator.AcceptedEvents).EventId);
        Assert.Equal(0, (await provider.GetRequiredService<IOutboxStore>().CountAsync()).DeadLettered);
    }

    [Theory]
    [InlineData(false, true, "Clicks.UserAgent")]
    [InlineData(true, false, "SourceUrl")]
    public async Task A_website_conversion_without_the_browser_fields_meta_requires_fails_at_publish_time(bool userAgent, bool url, string field)
    {
        await using var emulator = new MetaEmulator();
        await using var provider = Build(emulator);
        var order = ReadmeOrder(new CustomerId("cust-web")) with
        {
            Source = ConversionSource.Website,
            Clicks = new ClickIdentifiers { UserAgent = userAgent ? "Mozilla/5.0" : null },
            SourceUrl = url ? new Uri("https://shop.example/done") : null,
        };
        var ex = await Assert.ThrowsAsync<MarketingValidationException>(() => provider.GetRequiredService<IConversionPublisher>().PublishAsync([order]).AsTask());
        Assert.Equal(field, ex.Field);
        Assert.Equal(0, ex.Index);
        Assert.Equal(0, (await provider.GetRequiredService<IOutboxStore>().CountAsync()).Pending);
    }

    [Fact]
    public void A_conversion_request_defaults_to_a_source_that_needs_no_browser_fields() =>
        Assert.Equal(ConversionSource.Other, ReadmeOrder(new CustomerId("c")).Source);
}
