using System.Globalization;
using System.Text.Json;

namespace Marketing.Sdk.Platforms.OceanEngine;

public sealed partial class OceanEnginePlatformClient
{
    /// <summary>Objects per batch update request (a conservative size; the documented maximum is UNVERIFIED).</summary>
    public const int MaxIdsPerUpdate = 10;

    /// <summary>The <see cref="CampaignChangeResult.Code"/> of a change Ocean Engine refused in <c>data.errors</c>.</summary>
    public const string ItemErrorCode = "item_error";

    /// <summary>
    /// Pauses (<c>DISABLE</c>), resumes (<c>ENABLE</c>) and sets daily budgets (yuan, <c>budget_mode = BUDGET_MODE_DAY</c>).
    /// For <see cref="OceanEngineProduct.Ads"/>: projects (<see cref="CampaignObjectLevel.Campaign"/>) through
    /// <c>/open_api/v3.0/project/status/update/</c> and <c>/project/budget/update/</c>, promotions
    /// (<see cref="CampaignObjectLevel.AdSet"/>) through <c>/promotion/status/update/</c> and <c>/promotion/budget/update/</c>.
    /// For <see cref="OceanEngineProduct.Qianchuan"/>: ad plans (ad set level only) through
    /// <c>/open_api/v1.0/qianchuan/ad/status/update/</c> and <c>/qianchuan/ad/budget/update/</c>. Budgets are CNY amounts in
    /// whole fen, sent as yuan exactly. Each change gets its own result: an id listed in the answer's
    /// <c>data.errors[{…_id, error_message}]</c> failed with <see cref="ItemErrorCode"/>, the others were applied.
    /// </summary>
    /// <param name="changes">The changes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var qianchuan = _options.Product == OceanEngineProduct.Qianchuan;
        var results = new CampaignChangeResult?[changes.Count];
        var sendable = new List<Pending>();
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            if (change is null)
            {
                continue;
            }
            if (qianchuan && change.Level != CampaignObjectLevel.AdSet)
            {
                results[i] = new CampaignChangeResult(change, false, "Qianchuan pauses and budgets ad plans; pass CampaignObjectLevel.AdSet", PreSendRejectionCode);
                continue;
            }
            if (!long.TryParse(change.ObjectId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0
                || !long.TryParse(change.AccountId, NumberStyles.None, CultureInfo.InvariantCulture, out var advertiser) || advertiser <= 0)
            {
                results[i] = new CampaignChangeResult(change, false, "Ocean Engine advertiser and object ids are positive integers", PreSendRejectionCode);
                continue;
            }
            decimal? budget = null;
            if (change.Kind == CampaignChangeKind.SetDailyBudget)
            {
                if (change.DailyBudget is not { } money || !string.Equals(money.Currency, "CNY", StringComparison.Ordinal))
                {
                    results[i] = new CampaignChangeResult(change, false, "an Ocean Engine budget is a CNY amount", PreSendRejectionCode);
                    continue;
                }
                if (money.Amount <= 0 || !OceanEngineMoney.IsWholeFen(money.Amount))
                {
                    results[i] = new CampaignChangeResult(change, false, "the daily budget must be a positive amount in whole fen", PreSendRejectionCode);
                    continue;
                }
                budget = money.Amount;
            }
            else if (change.Kind is not (CampaignChangeKind.Pause or CampaignChangeKind.Resume))
            {
                results[i] = new CampaignChangeResult(change, false, $"Ocean Engine has no operation for {change.Kind}", PreSendRejectionCode);
                continue;
            }
            sendable.Add(new Pending(change, i, advertiser, id, budget));
        }
        var groups = sendable.GroupBy(p => (p.Advertiser, p.Change.Level, p.Change.Kind));
        foreach (var group in groups)
        {
            foreach (var chunk in group.Chunk(MaxIdsPerUpdate))
            {
                await ApplyChunkAsync(group.Key.Advertiser, group.Key.Level, group.Key.Kind, qianchuan, chunk, results, cancellationToken).ConfigureAwait(false);
            }
        }
        return [.. results.Select((r, i) => r ?? new CampaignChangeResult(changes[i], false, "not applied"))];
    }

    private sealed record Pending(CampaignChange Change, int Index, long Advertiser, long Id, decimal? Budget);

    private async Task ApplyChunkAsync(long advertiser, CampaignObjectLevel level, CampaignChangeKind kind, bool qianchuan, Pending[] chunk, CampaignChangeResult?[] results, CancellationToken cancellationToken)
    {
        var budget = kind == CampaignChangeKind.SetDailyBudget;
        var status = kind == CampaignChangeKind.Pause ? "DISABLE" : "ENABLE";
        var operation = budget ? "campaigns.budget" : "campaigns.status";
        var ctx = OceanEngineJsonContext.Default;
        string path, idField;
        byte[] body;
        if (qianchuan)
        {
            idField = "ad_id";
            path = budget ? "open_api/v1.0/qianchuan/ad/budget/update/" : "open_api/v1.0/qianchuan/ad/status/update/";
            body = budget
                ? JsonSerializer.SerializeToUtf8Bytes(new StatusUpdateRequest(advertiser, [.. chunk.Select(p => Item(idField, p.Id, null, p.Budget, null))]), ctx.StatusUpdateRequest)
                : JsonSerializer.SerializeToUtf8Bytes(new QianchuanStatusRequest(advertiser, [.. chunk.Select(p => p.Id)], status), ctx.QianchuanStatusRequest);
        }
        else
        {
            var noun = level == CampaignObjectLevel.Campaign ? "project" : "promotion";
            idField = noun + "_id";
            path = $"open_api/v3.0/{noun}/{(budget ? "budget" : "status")}/update/";
            body = JsonSerializer.SerializeToUtf8Bytes(new StatusUpdateRequest(advertiser,
                [.. chunk.Select(p => budget ? Item(idField, p.Id, null, p.Budget, "BUDGET_MODE_DAY") : Item(idField, p.Id, status, null, null))]), ctx.StatusUpdateRequest);
        }
        try
        {
            // Absolute values: sending the same status or budget twice changes nothing, so the call may be retried.
            var response = await PostJsonAsync(operation, new Uri(path, UriKind.Relative), body, retriable: true, anonymous: false, cancellationToken).ConfigureAwait(false);
            var data = Data(Envelope(operation, response), ctx.BatchUpdateData);
            var errors = new Dictionary<long, string>();
            foreach (var error in data?.Errors ?? [])
            {
                if (error is not null && ReadId(error, idField) is { } failed)
                {
                    errors.TryAdd(failed, error.TryGetValue("error_message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : "");
                }
            }
            if (errors.Count > 0)
            {
                LogItemErrors(Logger, errors.Count, chunk.Length, operation);
            }
            foreach (var p in chunk)
            {
                results[p.Index] = errors.TryGetValue(p.Id, out var message)
                    ? new CampaignChangeResult(p.Change, false, ShortenMessage(message) is { Length: > 0 } text ? text : "refused by Ocean Engine", ItemErrorCode)
                    : new CampaignChangeResult(p.Change, true);
            }
        }
        catch (PlatformApiException ex)
        {
            foreach (var p in chunk)
            {
                results[p.Index] = new CampaignChangeResult(p.Change, false, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString());
            }
        }
    }

    private static Dictionary<string, JsonElement> Item(string idField, long id, string? status, decimal? budget, string? budgetMode)
    {
        var ctx = OceanEngineJsonContext.Default;
        var item = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { [idField] = JsonSerializer.SerializeToElement(id, ctx.Int64) };
        if (status is not null)
        {
            item["opt_status"] = JsonSerializer.SerializeToElement(status, ctx.String);
        }
        if (budget is { } b)
        {
            item["budget"] = JsonSerializer.SerializeToElement(b, ctx.Decimal);
        }
        if (budgetMode is not null)
        {
            item["budget_mode"] = JsonSerializer.SerializeToElement(budgetMode, ctx.String);
        }
        return item;
    }

    private static long? ReadId(Dictionary<string, JsonElement> error, string field) =>
        error.TryGetValue(field, out var v) ? v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) => s,
            _ => null,
        } : null;
}
