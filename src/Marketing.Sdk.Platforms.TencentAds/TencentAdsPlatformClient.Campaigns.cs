using System.Globalization;
using System.Text.Json;

namespace Marketing.Sdk.Platforms.TencentAds;

public sealed partial class TencentAdsPlatformClient
{
    /// <summary>Ad groups per batch update request.</summary>
    private const int MaxIdsPerUpdate = 20;

    /// <summary>The smallest ad group daily budget Tencent accepts, in fen (50 yuan; 0 = unlimited is not offered here).</summary>
    public const long MinDailyBudgetFen = 5_000;

    /// <summary>The largest ad group daily budget Tencent accepts, in fen (4 000 000 yuan).</summary>
    public const long MaxDailyBudgetFen = 400_000_000;

    /// <summary>
    /// Pauses (<c>AD_STATUS_SUSPEND</c>) and resumes (<c>AD_STATUS_NORMAL</c>) ad groups through
    /// <c>/adgroups/update_configured_status</c>, and sets their daily budgets through <c>/adgroups/update_daily_budget</c>
    /// (<c>daily_budget</c> in fen, converted exactly from a CNY amount; between <see cref="MinDailyBudgetFen"/> and <see cref="MaxDailyBudgetFen"/>). Tencent
    /// Ads v3.0 controls delivery at ad group level: a campaign-level change is reported as not applied. Each change gets
    /// its own result from the answer's per-ad-group <c>list[{adgroup_id, code, message}]</c>.
    /// </summary>
    /// <param name="changes">The changes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var results = new CampaignChangeResult?[changes.Count];
        var sendable = new List<(CampaignChange Change, int Index, long Id, long? Fen)>();
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            if (change.Level != CampaignObjectLevel.AdSet)
            {
                results[i] = new CampaignChangeResult(change, false, "Tencent Ads v3.0 pauses and budgets ad groups; pass CampaignObjectLevel.AdSet", PreSendRejectionCode);
                continue;
            }
            if (!long.TryParse(change.ObjectId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0
                || !long.TryParse(change.AccountId, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                results[i] = new CampaignChangeResult(change, false, "Tencent Ads account and ad group ids are positive integers", PreSendRejectionCode);
                continue;
            }
            long? fen = null;
            if (change.Kind == CampaignChangeKind.SetDailyBudget)
            {
                if (change.DailyBudget is not { } budget || !string.Equals(budget.Currency, "CNY", StringComparison.Ordinal))
                {
                    results[i] = new CampaignChangeResult(change, false, "a Tencent Ads daily budget is a CNY amount", PreSendRejectionCode);
                    continue;
                }
                if (!TencentAdsMoney.TryToFen(budget.Amount, out var f) || f is < MinDailyBudgetFen or > MaxDailyBudgetFen)
                {
                    results[i] = new CampaignChangeResult(change, false, "the daily budget must be whole fen between 50 and 4 000 000 CNY", PreSendRejectionCode);
                    continue;
                }
                fen = f;
            }
            else if (change.Kind is not (CampaignChangeKind.Pause or CampaignChangeKind.Resume))
            {
                results[i] = new CampaignChangeResult(change, false, $"Tencent Ads has no operation for {change.Kind}", PreSendRejectionCode);
                continue;
            }
            sendable.Add((change, i, id, fen));
        }
        foreach (var group in sendable.GroupBy(x => (x.Change.AccountId, Budget: x.Change.Kind == CampaignChangeKind.SetDailyBudget)))
        {
            foreach (var chunk in group.Chunk(MaxIdsPerUpdate))
            {
                await ApplyChunkAsync(Id(group.Key.AccountId, "account_id"), group.Key.Budget, chunk, results, cancellationToken).ConfigureAwait(false);
            }
        }
        return [.. results.Select((r, i) => r ?? new CampaignChangeResult(changes[i], false, "not applied"))];
    }

    private async Task ApplyChunkAsync(long account, bool budget, (CampaignChange Change, int Index, long Id, long? Fen)[] chunk, CampaignChangeResult?[] results, CancellationToken cancellationToken)
    {
        var operation = budget ? "campaigns.budget" : "campaigns.status";
        var body = budget
            ? JsonSerializer.SerializeToUtf8Bytes(new BudgetUpdateRequest(account, [.. chunk.Select(x => new BudgetSpec(x.Id, x.Fen!.Value))]), TencentAdsJsonContext.Default.BudgetUpdateRequest)
            : JsonSerializer.SerializeToUtf8Bytes(new StatusUpdateRequest(account, [.. chunk.Select(x => new StatusSpec(x.Id, x.Change.Kind == CampaignChangeKind.Pause ? "AD_STATUS_SUSPEND" : "AD_STATUS_NORMAL"))]), TencentAdsJsonContext.Default.StatusUpdateRequest);
        try
        {
            var response = await PostAsync(operation, budget ? "adgroups/update_daily_budget" : "adgroups/update_configured_status", body, cancellationToken).ConfigureAwait(false);
            var data = Data(Envelope(operation, response), TencentAdsJsonContext.Default.BatchUpdateData);
            var byId = (data?.List ?? [])
                .Where(e => e?.AdgroupId is not null)
                .GroupBy(e => e!.AdgroupId!.Value)
                .ToDictionary(g => g.Key, g => g.First()!);
            foreach (var (change, index, id, _) in chunk)
            {
                // An ad group the answer does not list was applied (the list names the outcome of each; a missing entry
                // in a code-0 answer means no error for it).
                results[index] = !byId.TryGetValue(id, out var item) || item.Code is null or 0
                    ? new CampaignChangeResult(change, true)
                    : new CampaignChangeResult(change, false, ShortenMessage(item.Message) ?? "refused by Tencent Ads", item.Code.Value.ToString(CultureInfo.InvariantCulture));
            }
        }
        catch (PlatformApiException ex)
        {
            foreach (var (change, index, _, _) in chunk)
            {
                results[index] = new CampaignChangeResult(change, false, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString());
            }
        }
    }
}
