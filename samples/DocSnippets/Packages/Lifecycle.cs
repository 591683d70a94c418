#region usings
using Marketing.Sdk;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Lifecycle.Churn;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Models;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Lifecycle (docs/how-to).</summary>
public static class LifecycleSnippets
{
    /// <summary>Marketing.Sdk.Lifecycle, example 1 (from src/Marketing.Sdk.Lifecycle/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IReadOnlyList<PurchaseRecord> purchases)
    {
        #region example1
        services.AddMarketingSdk(m => m.AddLifecycle(o =>
        {
            o.Journeys.Add("cart_abandoned", j => j
                .OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase)
                .Wait(TimeSpan.FromHours(1)).IssueCoupon("CART10", Channel.Email));
            o.Journeys.Add("recall", j => j.OnInactivity(TimeSpan.FromDays(7), EventType.Login).SendMessage(Channel.Sms, "we_miss_you"));
            o.Journeys.Add("birthday", j => j.OnAnniversary("birthday").SendMessage(Channel.WeCom, "happy_birthday"));
            o.Journeys.AddJson(File.ReadAllText("journeys/review.json"));
        }));
        services.AddSingleton<IJourneyActionHandler, MyCouponService>(); // performs actions, idempotent per IdempotencyKey

        // Models (weekly units):
        var rows = CustomerSummaryBuilder.Build(purchases, new CustomerSummaryOptions { CalibrationEnd = new DateOnly(2025, 6, 30) });
        var summaries = rows.Select(r => r.Calibration).ToList();
        var bgnbd = BgNbdModel.Fit(summaries).Model;
        var spend = GammaGammaModel.Fit(summaries).Model;
        var scores = CustomerLifetimeValue.ScoreAll(bgnbd, spend, summaries, new ClvOptions { Horizon = 52, DiscountRate = 0.01 });
        var risk = new ChurnRiskScorer(bgnbd).Assess(summaries[0]);
        #endregion
        await Task.CompletedTask;
    }
}

#region types1
/// <summary>Your handler: issues coupons and sends messages (idempotent per request.IdempotencyKey).</summary>
sealed class MyCouponService : IJourneyActionHandler
{
    public bool CanHandle(JourneyAction action) => true;

    public ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
#endregion
