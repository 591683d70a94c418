using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Marketing.Sdk.Testing.Emulators;

public sealed partial class GoogleEmulator
{
    private static readonly string[] KnownFields =
    [
        "customer.id", "customer.currency_code", "campaign.id", "campaign.name", "campaign.resource_name",
        "ad_group.id", "ad_group.name", "ad_group.resource_name", "segments.date", "metrics.cost_micros",
        "metrics.impressions", "metrics.clicks", "metrics.conversions", "metrics.conversions_value",
    ];

    private async Task SearchStreamAsync(HttpContext context, string customer, JsonObject body, string requestId)
    {
        var query = Str(body["query"]) ?? "";
        _queries.Enqueue(query);
        var match = Gaql().Match(query);
        if (!match.Success)
        {
            await QueryErrorAsync(context, requestId, "INVALID_ARGUMENT", "UNEXPECTED_END_OF_QUERY", "Error in query: the query is not SELECT … FROM … [WHERE …].").ConfigureAwait(false);
            return;
        }
        var fields = match.Groups["fields"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = fields.FirstOrDefault(f => !KnownFields.Contains(f, StringComparer.Ordinal));
        if (unknown is not null)
        {
            await QueryErrorAsync(context, requestId, "INVALID_ARGUMENT", "UNRECOGNIZED_FIELD", $"Error in SELECT clause: unrecognized field '{unknown}'.").ConfigureAwait(false);
            return;
        }
        var resource = match.Groups["resource"].Value;
        if (resource is not ("campaign" or "ad_group") || (resource == "campaign" && fields.Any(f => f.StartsWith("ad_group.", StringComparison.Ordinal))))
        {
            await QueryErrorAsync(context, requestId, "INVALID_ARGUMENT", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE", $"Error in query: resource '{resource}' cannot be selected with these fields.").ConfigureAwait(false);
            return;
        }
        DateOnly from = DateOnly.MinValue, to = DateOnly.MaxValue;
        var where = match.Groups["where"].Value;
        if (where.Length > 0)
        {
            var between = Between().Match(where);
            if (!between.Success
                || !DateOnly.TryParseExact(between.Groups["from"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out from)
                || !DateOnly.TryParseExact(between.Groups["to"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out to))
            {
                await QueryErrorAsync(context, requestId, "INVALID_ARGUMENT", "INVALID_VALUE_WITH_BETWEEN_OPERATOR", "Error in WHERE clause: only segments.date BETWEEN 'yyyy-MM-dd' AND 'yyyy-MM-dd' is supported.").ConfigureAwait(false);
                return;
            }
        }

        string currency;
        List<GoogleReportSeed> seeds;
        lock (_lock)
        {
            currency = _currencies[customer];
            seeds = [.. _report.Where(r => r.CustomerId == customer && r.Date >= from && r.Date <= to)];
        }
        var rows = (resource == "campaign"
                ? seeds.GroupBy(r => (r.Date, r.CampaignId)).Select(g => g.First() with
                {
                    AdGroupId = "",
                    AdGroupName = "",
                    CostMicros = g.Sum(r => r.CostMicros),
                    Impressions = g.Sum(r => r.Impressions),
                    Clicks = g.Sum(r => r.Clicks),
                    Conversions = g.Sum(r => r.Conversions),
                    ConversionsValue = g.Sum(r => r.ConversionsValue),
                })
                : seeds)
            .OrderBy(r => r.Date).ThenBy(r => r.CampaignId, StringComparer.Ordinal).ThenBy(r => r.AdGroupId, StringComparer.Ordinal)
            .Select(r => Row(r, fields, customer, currency)).ToList();

        var fieldMask = string.Join(",", fields.Select(CamelPath));
        var batches = new JsonArray();
        var size = Math.Max(1, StreamBatchSize);
        for (var start = 0; start < rows.Count || (start == 0 && rows.Count == 0); start += size)
        {
            if (FailStreamAfterBatches is { } failAfter && batches.Count >= failAfter)
            {
                batches.Add((JsonNode)new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["code"] = 500,
                        ["message"] = "Internal error encountered.",
                        ["status"] = "INTERNAL",
                        ["details"] = new JsonArray(AdsFailure(context, requestId, AdsError("internalError", "TRANSIENT_ERROR", "The request failed due to a transient error. Retry the request.", null))),
                    },
                });
                break;
            }
            var batch = new JsonObject { ["fieldMask"] = fieldMask, ["requestId"] = requestId };
            if (rows.Count > 0)
            {
                batch["results"] = new JsonArray([.. rows.Skip(start).Take(size)]);
            }
            batches.Add((JsonNode)batch);
            if (rows.Count == 0)
            {
                break;
            }
        }
        await WriteJsonAsync(context, 200, batches).ConfigureAwait(false);
    }

    private static JsonObject Row(GoogleReportSeed seed, string[] fields, string customer, string currency)
    {
        var row = new JsonObject();
        foreach (var field in fields)
        {
            var dot = field.IndexOf('.', StringComparison.Ordinal);
            var resource = Camel(field[..dot]);
            var name = Camel(field[(dot + 1)..]);
            if (row[resource] is not JsonObject holder)
            {
                row[resource] = holder = new JsonObject();
                switch (resource)
                {
                    case "customer": holder["resourceName"] = $"customers/{customer}"; break;
                    case "campaign": holder["resourceName"] = $"customers/{customer}/campaigns/{seed.CampaignId}"; break;
                    case "adGroup": holder["resourceName"] = $"customers/{customer}/adGroups/{seed.AdGroupId}"; break;
                }
            }
            holder[name] = field switch
            {
                "customer.id" => customer,
                "customer.currency_code" => currency,
                "campaign.id" => seed.CampaignId,
                "campaign.name" => seed.CampaignName,
                "ad_group.id" => seed.AdGroupId,
                "ad_group.name" => seed.AdGroupName,
                "segments.date" => seed.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                // int64 metrics are JSON strings in proto3 JSON
                "metrics.cost_micros" => seed.CostMicros.ToString(CultureInfo.InvariantCulture),
                "metrics.impressions" => seed.Impressions.ToString(CultureInfo.InvariantCulture),
                "metrics.clicks" => seed.Clicks.ToString(CultureInfo.InvariantCulture),
                "metrics.conversions" => seed.Conversions,
                "metrics.conversions_value" => seed.ConversionsValue,
                _ => holder[name]?.DeepClone(),
            };
        }
        return row;
    }

    private static Task QueryErrorAsync(HttpContext context, string requestId, string status, string code, string message) =>
        WriteErrorAsync(context, 400, status, "Request contains an invalid argument.",
            AdsFailure(context, requestId, AdsError("queryError", code, message, null)));

    private async Task MutateAsync(HttpContext context, string customer, JsonObject body, string requestId, string collection)
    {
        var operations = body["operations"] as JsonArray ?? [];
        var partialFailure = body["partialFailure"]?.GetValue<bool>() == true;
        var validateOnly = body["validateOnly"]?.GetValue<bool>() == true;
        if (operations.Count == 0 || operations.Count > 10_000)
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.",
                AdsFailure(context, requestId, AdsError("mutateError", operations.Count == 0 ? "OPERATIONS_MISSING" : "TOO_MANY_MUTATE_OPERATIONS_IN_REQUEST", "The number of operations is not between 1 and 10000.", null))).ConfigureAwait(false);
            return;
        }
        var errors = new List<JsonObject>();
        var valid = new List<(int Index, string ResourceName, long? Amount, string? Status)>();
        int minimumUnit;
        lock (_lock)
        {
            minimumUnit = (int)Math.Pow(10, 6 - Currencies.MinorUnits(_currencies[customer]));
        }
        for (var i = 0; i < operations.Count; i++)
        {
            var update = operations[i]?["update"] as JsonObject;
            var mask = (Str(operations[i]?["updateMask"]) ?? "").Split(',', StringSplitOptions.TrimEntries);
            var name = Str(update?["resourceName"]);
            if (update is null || name is null)
            {
                errors.Add(AdsError("requestError", "REQUIRED_FIELD_MISSING", "Required field was not specified.", i, null, "update", "resource_name"));
                continue;
            }
            if (!name.StartsWith($"customers/{customer}/{collection}/", StringComparison.Ordinal))
            {
                errors.Add(AdsError("requestError", "RESOURCE_NAME_MALFORMED", "Resource name is malformed.", i, null, "update", "resource_name"));
                continue;
            }
            bool exists;
            lock (_lock)
            {
                exists = collection switch
                {
                    "campaignBudgets" => _budgets.ContainsKey(name),
                    "campaigns" => _campaignStatus.ContainsKey(name),
                    _ => _adGroupStatus.ContainsKey(name),
                };
            }
            if (!exists)
            {
                errors.Add(AdsError("mutateError", "RESOURCE_NOT_FOUND", "Resource was not found.", i, null, "update", "resource_name"));
                continue;
            }
            if (collection == "campaignBudgets")
            {
                if (!mask.Contains("amountMicros") && !mask.Contains("amount_micros"))
                {
                    errors.Add(AdsError("fieldMaskError", "FIELD_NOT_FOUND", "The update mask does not name amount_micros.", i, null, "update_mask"));
                    continue;
                }
                var raw = update["amountMicros"];
                if (raw is null || !long.TryParse(raw.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
                {
                    errors.Add(AdsError("rangeError", "TOO_LOW", "Too low.", i, null, "update", "amount_micros"));
                    continue;
                }
                if (amount % minimumUnit != 0)
                {
                    errors.Add(AdsError("campaignBudgetError", "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT", "A money amount was not a multiple of a minimum unit.", i, null, "update", "amount_micros"));
                    continue;
                }
                valid.Add((i, name, amount, null));
            }
            else
            {
                var status = Str(update["status"]);
                if (!mask.Contains("status") || status is not ("ENABLED" or "PAUSED" or "REMOVED"))
                {
                    errors.Add(AdsError("requestError", "INVALID_ENUM_VALUE", "Invalid enum value or update mask.", i, null, "update", "status"));
                    continue;
                }
                valid.Add((i, name, null, status));
            }
        }
        var failure = errors.Count > 0 ? AdsFailure(context, requestId, [.. errors]) : null;
        if (failure is not null && !partialFailure)
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.", failure).ConfigureAwait(false);
            return;
        }
        if (!validateOnly)
        {
            lock (_lock)
            {
                foreach (var (_, name, amount, status) in valid)
                {
                    switch (collection)
                    {
                        case "campaignBudgets": _budgets[name] = amount!.Value; break;
                        case "campaigns": _campaignStatus[name] = status!; break;
                        default: _adGroupStatus[name] = status!; break;
                    }
                }
            }
        }
        var results = new JsonArray();
        for (var i = 0; i < operations.Count; i++)
        {
            var ok = valid.FirstOrDefault(v => v.Index == i);
            results.Add((JsonNode)(ok.ResourceName is null ? new JsonObject() : new JsonObject { ["resourceName"] = ok.ResourceName }));
        }
        var response = new JsonObject();
        if (failure is not null)
        {
            response["partialFailureError"] = new JsonObject
            {
                ["code"] = 3,
                ["message"] = string.Join(", ", errors.Select(e => Str(e["message"]))),
                ["details"] = new JsonArray(failure),
            };
        }
        if (!validateOnly)
        {
            response["results"] = results;
        }
        await WriteJsonAsync(context, 200, response).ConfigureAwait(false);
    }

    private static string CamelPath(string field) => string.Join('.', field.Split('.').Select(Camel));

    private static string Camel(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }

    [GeneratedRegex(@"^\s*SELECT\s+(?<fields>.+?)\s+FROM\s+(?<resource>[a-z_]+)(?:\s+WHERE\s+(?<where>.+?))?\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Gaql();

    [GeneratedRegex(@"segments\.date\s+BETWEEN\s+'(?<from>[0-9-]+)'\s+AND\s+'(?<to>[0-9-]+)'", RegexOptions.IgnoreCase)]
    private static partial Regex Between();
}
