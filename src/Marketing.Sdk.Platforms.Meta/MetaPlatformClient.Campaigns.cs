using System.Globalization;

namespace Marketing.Sdk.Platforms.Meta;

public sealed partial class MetaPlatformClient
{
    /// <summary>Budget changes counted for an ad set within the last hour (the limit is <see cref="MetaPlatformOptions.MaxBudgetChangesPerAdSetPerHour"/>).</summary>
    /// <param name="adSetId">The ad set id.</param>
    public int BudgetChangesInLastHour(string adSetId) => _budgets.Count(adSetId);

    /// <inheritdoc />
    /// <remarks>
    /// Status changes send <c>status=PAUSED|ACTIVE</c>; budget changes send <c>daily_budget</c> in the
    /// currency's minor units. An ad set's fifth budget change within an hour is refused here, without a
    /// call, with the time the next one is allowed.
    /// </remarks>
    public async ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var results = new List<CampaignChangeResult>(changes.Count);
        foreach (var change in changes)
        {
            results.Add(await ApplyOneAsync(change, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    private async Task<CampaignChangeResult> ApplyOneAsync(CampaignChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!IsGraphId(change.ObjectId))
        {
            return new CampaignChangeResult(change, false, "the object id is not a numeric Graph id", "invalid_id");
        }
        var fields = new List<KeyValuePair<string, string>>(1);
        switch (change.Kind)
        {
            case CampaignChangeKind.Pause:
                fields.Add(new("status", "PAUSED"));
                break;
            case CampaignChangeKind.Resume:
                fields.Add(new("status", "ACTIVE"));
                break;
            case CampaignChangeKind.SetDailyBudget when change.DailyBudget is { } budget:
                if (_options.AccountCurrency is { } accountCurrency && !string.Equals(budget.Currency, accountCurrency, StringComparison.OrdinalIgnoreCase))
                {
                    return new CampaignChangeResult(change, false, $"the budget is in {budget.Currency} but the ad account bills in {accountCurrency}", "currency_mismatch");
                }
                var minor = budget.ToMinorUnits();
                if (minor <= 0)
                {
                    return new CampaignChangeResult(change, false, "the budget rounds to zero minor units", "invalid_budget");
                }
                fields.Add(new("daily_budget", minor.ToString(CultureInfo.InvariantCulture)));
                break;
            default:
                return new CampaignChangeResult(change, false, "a budget change needs a budget", "invalid_change");
        }

        var limited = change.Kind == CampaignChangeKind.SetDailyBudget && change.Level == CampaignObjectLevel.AdSet;
        DateTimeOffset slot = default;
        if (limited && !_budgets.TryAcquire(change.ObjectId, out slot, out var nextAllowed))
        {
            LogBudgetLimit(Logger, change.ObjectId, _options.MaxBudgetChangesPerAdSetPerHour);
            return new CampaignChangeResult(change, false,
                string.Create(CultureInfo.InvariantCulture, $"Meta allows {_options.MaxBudgetChangesPerAdSetPerHour} budget changes per ad set per hour; ad set {change.ObjectId} has had them, the next is allowed at {nextAllowed:O}"),
                "budget_change_limit");
        }
        var path = Path(change.ObjectId);
        try
        {
            var response = await SendAsync("campaigns.update", () => Form(HttpMethod.Post, path, fields), MetaJsonContext.Default.GraphSuccess, cancellationToken).ConfigureAwait(false);
            if (!response.Success)
            {
                if (limited)
                {
                    _budgets.Release(change.ObjectId, slot);
                }

                return new CampaignChangeResult(change, false, "Meta answered success=false", "not_applied");
            }
            return new CampaignChangeResult(change, true);
        }
        catch (PlatformApiException ex)
        {
            if (limited)
            {
                _budgets.Release(change.ObjectId, slot);
            }

            return new CampaignChangeResult(change, false, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString());
        }
    }
}
