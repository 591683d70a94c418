namespace Marketing.Sdk.Platforms.TikTok;

public sealed partial class TikTokPlatformClient
{
    /// <summary>Campaign or ad group ids per status request (TikTok allows 1–20).</summary>
    private const int MaxIdsPerStatusRequest = 20;

    /// <summary>
    /// Pauses (<c>DISABLE</c>) and resumes (<c>ENABLE</c>) campaigns and ad groups through
    /// <c>/campaign/status/update/</c> and <c>/adgroup/status/update/</c> (up to 20 ids per call), and sets
    /// budgets through <c>/campaign/update/</c> and <c>/adgroup/update/</c> (<c>budget</c> in the account
    /// currency, as a decimal). Each change gets its own result: an id the answer does not list as
    /// updated, a budget in another currency than <see cref="TikTokPlatformOptions.AccountCurrency"/>, or a
    /// refused request is reported as not applied with TikTok's reason and code; the others go ahead.
    /// </summary>
    /// <param name="changes">The changes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var results = new CampaignChangeResult?[changes.Count];
        var statusGroups = changes
            .Select((change, index) => (change, index))
            .Where(x => x.change.Kind is CampaignChangeKind.Pause or CampaignChangeKind.Resume)
            .GroupBy(x => (x.change.AccountId, x.change.Level, x.change.Kind));
        foreach (var group in statusGroups)
        {
            foreach (var chunk in group.Chunk(MaxIdsPerStatusRequest))
            {
                await ApplyStatusAsync(group.Key.AccountId, group.Key.Level, group.Key.Kind, chunk, results, cancellationToken).ConfigureAwait(false);
            }
        }
        for (var i = 0; i < changes.Count; i++)
        {
            if (changes[i].Kind == CampaignChangeKind.SetDailyBudget)
            {
                results[i] = await ApplyBudgetAsync(changes[i], cancellationToken).ConfigureAwait(false);
            }
        }
        return [.. results.Select((r, i) => r ?? new CampaignChangeResult(changes[i], false, $"TikTok has no operation for {changes[i].Kind}"))];
    }

    private async Task ApplyStatusAsync(string advertiserId, CampaignObjectLevel level, CampaignChangeKind kind, (CampaignChange Change, int Index)[] chunk, CampaignChangeResult?[] results, CancellationToken cancellationToken)
    {
        var campaigns = level == CampaignObjectLevel.Campaign;
        var ids = chunk.Select(x => x.Change.ObjectId).Distinct(StringComparer.Ordinal).ToList();
        var request = new StatusUpdateRequest(advertiserId, campaigns ? ids : null, campaigns ? null : ids, kind == CampaignChangeKind.Pause ? "DISABLE" : "ENABLE");
        try
        {
            var response = await PostAsync("campaigns.status", campaigns ? "campaign/status/update/" : "adgroup/status/update/", request, TikTokJsonContext.Default.StatusUpdateRequest, cancellationToken).ConfigureAwait(false);
            var envelope = Envelope(response);
            var data = Data(envelope, TikTokJsonContext.Default.StatusUpdateData);
            var listed = campaigns ? data?.CampaignIds : data?.AdgroupIds;
            // A full success may leave the list out; a partial success (20001) names what was updated.
            var updated = listed is null && envelope.Code == TikTokErrorCodes.Ok ? null : new HashSet<string>(listed ?? [], StringComparer.Ordinal);
            var errors = (data?.Errors ?? [])
                .Select(e => (Id: campaigns ? e.CampaignId : e.AdgroupId, e.ErrorMessage))
                .Where(e => e.Id is not null)
                .GroupBy(e => e.Id!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().ErrorMessage, StringComparer.Ordinal);
            foreach (var (change, index) in chunk)
            {
                var applied = updated is null || updated.Contains(change.ObjectId);
                results[index] = applied
                    ? new CampaignChangeResult(change, true)
                    : new CampaignChangeResult(change, false, errors.GetValueOrDefault(change.ObjectId) ?? "TikTok did not update it", TikTokErrorCodes.PartialSuccess.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        catch (PlatformApiException ex)
        {
            foreach (var (change, index) in chunk)
            {
                results[index] = new CampaignChangeResult(change, false, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString());
            }
        }
    }

    private async Task<CampaignChangeResult> ApplyBudgetAsync(CampaignChange change, CancellationToken cancellationToken)
    {
        if (change.DailyBudget is not { } budget)
        {
            return new CampaignChangeResult(change, false, "a budget change needs a budget");
        }
        if (!string.Equals(budget.Currency, Currencies.Normalize(_options.AccountCurrency, nameof(TikTokPlatformOptions.AccountCurrency)), StringComparison.Ordinal))
        {
            return new CampaignChangeResult(change, false, $"the budget is in {budget.Currency} but the TikTok account bills in {_options.AccountCurrency.ToUpperInvariant()}", PreSendRejectionCode);
        }
        var campaigns = change.Level == CampaignObjectLevel.Campaign;
        var request = new BudgetUpdateRequest(change.AccountId, campaigns ? change.ObjectId : null, campaigns ? null : change.ObjectId, budget.Round().Amount);
        try
        {
            await PostAsync("campaigns.budget", campaigns ? "campaign/update/" : "adgroup/update/", request, TikTokJsonContext.Default.BudgetUpdateRequest, cancellationToken).ConfigureAwait(false);
            return new CampaignChangeResult(change, true);
        }
        catch (PlatformApiException ex)
        {
            return new CampaignChangeResult(change, false, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString());
        }
    }
}
