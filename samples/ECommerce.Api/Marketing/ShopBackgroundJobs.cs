using System.Collections.Concurrent;
using ECommerce.Api.Shop;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Recommendations;
using Marketing.Sdk.Segmentation;
using Microsoft.Extensions.Options;

namespace ECommerce.Api.Marketing;

/// <summary>How often the shop's marketing jobs run (section <c>Shop:Jobs</c>).</summary>
public sealed class ShopJobOptions
{
    /// <summary>Whether the segment refresh and recommendation training run in the background (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often every segment is re-evaluated (default 15 minutes).</summary>
    public TimeSpan SegmentRefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the recommendation model is retrained from the stored events (default 1 hour).</summary>
    public TimeSpan RecommendationTrainingInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Defines the shop's segments at start, then re-evaluates every segment on an interval.</summary>
internal sealed partial class SegmentRefreshService(IServiceProvider services, IOptions<ShopJobOptions> options, TimeProvider time, ILogger<SegmentRefreshService> logger) : BackgroundService
{
    public static readonly (string Id, string Rule)[] Defaults =
    [
        ("cart_abandoners", "count(add_to_cart) within 7d >= 1 and count(purchase) within 7d = 0"),
        ("buyers_30d", "count(purchase) within 30d >= 1"),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var segments = services.GetRequiredService<ISegmentService>();
        foreach (var (id, rule) in Defaults)
        {
            if (await segments.GetAsync(id, stoppingToken) is null)
            {
                await segments.DefineAsync(SegmentDefinition.Parse(id, rule), stoppingToken);
            }
        }
        if (!options.Value.Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.SegmentRefreshInterval, time);
        do
        {
            try
            {
                await foreach (var definition in segments.ListAsync(stoppingToken))
                {
                    var result = await segments.EvaluateAsync(definition.Id, stoppingToken);
                    SegmentEvaluated(logger, definition.Id, result.Members);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RefreshFailed(logger, ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Segment {SegmentId} evaluated: {Members} members")]
    private static partial void SegmentEvaluated(ILogger logger, string segmentId, long members);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Segment refresh failed: {ExceptionType}")]
    private static partial void RefreshFailed(ILogger logger, string exceptionType);
}

/// <summary>Retrains the recommendation model from the stored events on an interval.</summary>
internal sealed partial class RecommendationTrainingService(RecommendationTrainer trainer, ShopStore shop, IOptions<ShopJobOptions> options, TimeProvider time, ILogger<RecommendationTrainingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.RecommendationTrainingInterval, time);
        do
        {
            try
            {
                await trainer.TrainAsync(shop.Products, cancellationToken: stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                TrainingFailed(logger, ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Recommendation training failed: {ExceptionType}")]
    private static partial void TrainingFailed(ILogger logger, string exceptionType);
}

/// <summary>Performs the journeys' coupons for the demo: they are recorded (a real shop calls its coupon service). Messages go through Marketing.Sdk.Messaging's own handler.</summary>
internal sealed partial class ShopJourneyActions(ILogger<ShopJourneyActions> logger) : IJourneyActionHandler
{
    private readonly ConcurrentDictionary<string, JourneyActionRequest> _performed = new(StringComparer.Ordinal);

    public IReadOnlyCollection<JourneyActionRequest> Performed => [.. _performed.Values];

    public bool CanHandle(JourneyAction action) => action.Kind is JourneyActionKinds.IssueCoupon;

    public ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default)
    {
        if (_performed.TryAdd(request.IdempotencyKey, request))
        {
            ActionPerformed(logger, request.JourneyId, request.Action.Kind, request.CustomerId.Value);
        }
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Journey {JourneyId}: {ActionKind} for {CustomerId}")]
    private static partial void ActionPerformed(ILogger logger, string journeyId, string actionKind, string customerId);
}
