using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>A sink that takes only conversions carrying a TikTok click id (standing in for Ocean Engine's callback).</summary>
internal sealed class ClickOnlySink(string destination) : IConversionSink, IConversionApplicability
{
    public string Destination => destination;
    public Channel Platform => Channel.OceanEngine;
    public HashingProfile Hashing => HashingProfile.OceanEngine;
    public int MaxBatchSize => 1;

    public ConversionSkipReason? SkipReason(ConversionRequest conversion) =>
        string.IsNullOrEmpty(conversion.Clicks.Ttclid) ? ConversionSkipReason.NotAttributable : null;

    public ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(BatchResult.AllAccepted(batch.Count));
}

public sealed class ConversionApplicabilityTests
{
    private static ConversionRequest Conversion(string id, string? click) => new()
    {
        EventId = id,
        EventType = EventType.Purchase,
        OccurredAt = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero),
        CustomerId = new CustomerId("c1"),
        Clicks = new ClickIdentifiers { Ttclid = click },
    };

    [Fact]
    public async Task A_destination_that_cannot_use_a_conversion_skips_it_with_a_reason_while_the_others_store_it()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConversionSink>(new ScriptedSink("meta.conversions", Channel.Meta));
        services.AddSingleton<IConversionSink>(new ClickOnlySink("ocean_engine.conversions"));
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.RunInBackground = false));
        await using var provider = services.BuildServiceProvider();
        var publisher = provider.GetRequiredService<IConversionPublisher>();

        var result = await publisher.PublishAsync([Conversion("a", "click"), Conversion("b", null), Conversion("c", null)]);

        Assert.Equal(4, result.Enqueued); // a, b, c for Meta; only a for the click-only destination
        Assert.Equal([(1, "ocean_engine.conversions", ConversionSkipReason.NotAttributable), (2, "ocean_engine.conversions", ConversionSkipReason.NotAttributable)],
            result.Skipped.Select(s => (s.Index, s.Destination, s.Reason)));
        var outbox = provider.GetRequiredService<IOutboxStore>();
        var claimed = await outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1), "ocean_engine.conversions");
        Assert.Equal("a", Assert.Single(claimed).Message.IdempotencyKey);
    }

    [Fact]
    public async Task Nothing_is_skipped_when_no_destination_declines()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConversionSink>(new ScriptedSink("meta.conversions", Channel.Meta));
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.RunInBackground = false));
        await using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<IConversionPublisher>().PublishAsync([Conversion("a", null)]);

        Assert.Equal(1, result.Enqueued);
        Assert.Empty(result.Skipped);
    }
}
