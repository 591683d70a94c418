namespace Marketing.Sdk.Platforms;

/// <summary>What a campaign change does.</summary>
public enum CampaignChangeKind
{
    /// <summary>Pause delivery.</summary>
    Pause = 1,
    /// <summary>Resume delivery.</summary>
    Resume = 2,
    /// <summary>Set the daily budget.</summary>
    SetDailyBudget = 3,
}

/// <summary>Whether the change applies to a campaign or an ad set (ad group).</summary>
public enum CampaignObjectLevel
{
    /// <summary>A campaign (Google: the campaign's budget resource for budget changes).</summary>
    Campaign = 1,
    /// <summary>An ad set / ad group.</summary>
    AdSet = 2,
}

/// <summary>
/// A change to apply to a platform campaign. Build one with <see cref="Pause"/>, <see cref="Resume"/>
/// or <see cref="SetDailyBudget"/>; the attribution package's budget proposals map one to one
/// (<c>BudgetAction.Pause</c> → <see cref="Pause"/>, <c>BudgetAction.SetBudget</c> → <see cref="SetDailyBudget"/>
/// with the account currency).
/// </summary>
/// <param name="AccountId">The ad account.</param>
/// <param name="ObjectId">The campaign or ad set id (Google budget changes: the campaign budget id).</param>
/// <param name="Kind">What to do.</param>
/// <param name="DailyBudget">The new daily budget, for <see cref="CampaignChangeKind.SetDailyBudget"/>.</param>
/// <param name="Level">Campaign or ad set.</param>
public sealed record CampaignChange(string AccountId, string ObjectId, CampaignChangeKind Kind, Money? DailyBudget = null, CampaignObjectLevel Level = CampaignObjectLevel.Campaign)
{
    /// <summary>Pauses a campaign or ad set.</summary>
    /// <param name="accountId">The ad account.</param>
    /// <param name="objectId">The campaign or ad set id.</param>
    /// <param name="level">Campaign or ad set.</param>
    public static CampaignChange Pause(string accountId, string objectId, CampaignObjectLevel level = CampaignObjectLevel.Campaign) => new(accountId, objectId, CampaignChangeKind.Pause, null, level);

    /// <summary>Resumes a campaign or ad set.</summary>
    /// <param name="accountId">The ad account.</param>
    /// <param name="objectId">The campaign or ad set id.</param>
    /// <param name="level">Campaign or ad set.</param>
    public static CampaignChange Resume(string accountId, string objectId, CampaignObjectLevel level = CampaignObjectLevel.Campaign) => new(accountId, objectId, CampaignChangeKind.Resume, null, level);

    /// <summary>Sets a daily budget (converted to the platform's unit — minor units or micros — at the edge).</summary>
    /// <param name="accountId">The ad account.</param>
    /// <param name="objectId">The campaign, ad set or budget id.</param>
    /// <param name="dailyBudget">The budget, positive.</param>
    /// <param name="level">Campaign or ad set.</param>
    public static CampaignChange SetDailyBudget(string accountId, string objectId, Money dailyBudget, CampaignObjectLevel level = CampaignObjectLevel.Campaign)
    {
        if (dailyBudget.Amount <= 0)
        {
            throw new MarketingValidationException(nameof(DailyBudget), ValidationReason.OutOfRange, "a daily budget must be positive");
        }
        return new(accountId, objectId, CampaignChangeKind.SetDailyBudget, dailyBudget, level);
    }
}

/// <summary>The outcome of one campaign change.</summary>
/// <param name="Change">The change.</param>
/// <param name="Applied">Whether the platform applied it.</param>
/// <param name="Reason">Why not, when not applied (the platform's message or a client-side limit).</param>
/// <param name="Code">The platform's error code, if any.</param>
public sealed record CampaignChangeResult(CampaignChange Change, bool Applied, string? Reason = null, string? Code = null);

/// <summary>Pauses, resumes and re-budgets campaigns on a platform.</summary>
public interface ICampaignControl
{
    /// <summary>The platform.</summary>
    Channel Platform { get; }

    /// <summary>
    /// Applies changes and reports each one's outcome (a refused change does not stop the others).
    /// Platform limits are respected client-side (e.g. Meta's four budget changes per ad set per hour).
    /// </summary>
    /// <param name="changes">The changes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default);
}
