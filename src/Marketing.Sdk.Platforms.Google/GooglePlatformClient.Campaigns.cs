using System.Text.Json;
using Marketing.Sdk.Platforms.Google.Wire;

namespace Marketing.Sdk.Platforms.Google;

public sealed partial class GooglePlatformClient
{
    private enum MutateKind
    {
        Budget,
        Campaign,
        AdGroup,
    }

    /// <summary>
    /// Applies campaign changes with Google Ads mutates, one request per account and resource kind,
    /// all with <c>partialFailure: true</c>: budgets with <c>campaignBudgets:mutate</c>
    /// (<c>amountMicros</c>, <c>updateMask: amountMicros</c>; the change's object id is the campaign
    /// budget id), campaign status with <c>campaigns:mutate</c> and ad group status with
    /// <c>adGroups:mutate</c> (<c>PAUSED</c> / <c>ENABLED</c>). Each operation's failure in the
    /// <c>partialFailureError</c> (GoogleAdsFailure errors located at <c>operations[i]</c>) is reported on
    /// its own change; the others are applied. With <see cref="GooglePlatformOptions.ValidateOnly"/> nothing is applied.
    /// </summary>
    /// <param name="changes">The changes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">A whole request failed (authentication, quota, unavailable); changes of earlier requests may have been applied.</exception>
    public async ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var results = new CampaignChangeResult?[changes.Count];
        var groups = new Dictionary<(string Customer, MutateKind Kind), List<int>>();
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var customer = (change.AccountId ?? "").Replace("-", "", StringComparison.Ordinal).Trim();
            if (!GooglePlatformOptions.Digits().IsMatch(customer))
            {
                results[i] = new CampaignChangeResult(change, false, "the account id is not a Google Ads customer id", "INVALID_CUSTOMER_ID");
                continue;
            }
            if (!GooglePlatformOptions.Digits().IsMatch(change.ObjectId ?? ""))
            {
                results[i] = new CampaignChangeResult(change, false, "the object id is not a Google Ads id (digits)", "INVALID_RESOURCE_ID");
                continue;
            }
            MutateKind kind;
            if (change.Kind == CampaignChangeKind.SetDailyBudget)
            {
                if (change.Level != CampaignObjectLevel.Campaign || change.DailyBudget is null)
                {
                    results[i] = new CampaignChangeResult(change, false, "Google budgets belong to campaign budgets: use the campaign level with the campaign budget id", "BUDGET_LEVEL");
                    continue;
                }
                kind = MutateKind.Budget;
            }
            else
            {
                kind = change.Level == CampaignObjectLevel.AdSet ? MutateKind.AdGroup : MutateKind.Campaign;
            }
            if (!groups.TryGetValue((customer, kind), out var list))
            {
                groups[(customer, kind)] = list = [];
            }
            list.Add(i);
        }

        foreach (var ((customer, kind), indices) in groups)
        {
            var (method, body) = kind switch
            {
                MutateKind.Budget => ("campaignBudgets:mutate", JsonSerializer.SerializeToUtf8Bytes(
                    new MutateRequest<BudgetUpdate>([.. indices.Select(i => new MutateOperation<BudgetUpdate>(
                        new BudgetUpdate($"customers/{customer}/campaignBudgets/{changes[i].ObjectId}", changes[i].DailyBudget!.Value.ToMicros()), "amountMicros"))],
                        true, _options.ValidateOnly ? true : null),
                    GoogleJsonContext.Default.MutateRequestBudgetUpdate)),
                _ => (kind == MutateKind.AdGroup ? "adGroups:mutate" : "campaigns:mutate", JsonSerializer.SerializeToUtf8Bytes(
                    new MutateRequest<StatusUpdate>([.. indices.Select(i => new MutateOperation<StatusUpdate>(
                        new StatusUpdate($"customers/{customer}/{(kind == MutateKind.AdGroup ? "adGroups" : "campaigns")}/{changes[i].ObjectId}",
                            changes[i].Kind == CampaignChangeKind.Pause ? "PAUSED" : "ENABLED"), "status"))],
                        true, _options.ValidateOnly ? true : null),
                    GoogleJsonContext.Default.MutateRequestStatusUpdate)),
            };
            var operation = $"campaigns.{kind.ToString().ToLowerInvariant()}_mutate";
            var response = await SendAsync(operation, Post(GoogleAdsUri(customer, method), body, AddGoogleAdsHeaders), cancellationToken).ConfigureAwait(false);
            // A mutate answer has one result per operation (empty for failed ones; none at all for a validate-only
            // request); anything else is not a success.
            var parsed = Read(operation, response, GoogleJsonContext.Default.MutateResponse,
                r => r.Results?.Count == indices.Count || (_options.ValidateOnly && r.Results is null or { Count: 0 }));
            var failed = FailuresByOperation(parsed.PartialFailureError);
            if (parsed.PartialFailureError is { } whole && failed.Count == 0)
            {
                // a partial failure that names no operation concerns them all
                for (var position = 0; position < indices.Count; position++)
                {
                    failed[position] = (whole.Message ?? "the operation failed", whole.Status);
                }
            }
            for (var position = 0; position < indices.Count; position++)
            {
                var change = changes[indices[position]];
                results[indices[position]] = failed.TryGetValue(position, out var error)
                    ? new CampaignChangeResult(change, false, error.Message, error.Code)
                    : _options.ValidateOnly
                        ? new CampaignChangeResult(change, false, "validated only (GooglePlatformOptions.ValidateOnly): the change is valid but was not applied", "VALIDATE_ONLY")
                        : new CampaignChangeResult(change, true);
            }
        }
        return [.. results.Select(r => r!)];
    }

    /// <summary>Maps a partial failure's GoogleAdsFailure errors to operation positions (<c>location.fieldPathElements</c> <c>operations[i]</c>).</summary>
    private static Dictionary<int, (string Message, string? Code)> FailuresByOperation(RpcStatus? partialFailure)
    {
        var failed = new Dictionary<int, (string Message, string? Code)>();
        if (partialFailure is null)
        {
            return failed;
        }
        foreach (var error in GoogleErrors.Failure(partialFailure)?.Errors ?? [])
        {
            var index = error.Location?.FieldPathElements?.FirstOrDefault(e => e.FieldName == "operations")?.Index;
            if (index is { } position)
            {
                var code = error.ErrorCode is { Count: > 0 } c ? GoogleErrors.FormatErrorCode(c.First()) : null;
                failed.TryAdd(position, (error.Message ?? "the operation failed", code));
            }
        }
        return failed;
    }
}
