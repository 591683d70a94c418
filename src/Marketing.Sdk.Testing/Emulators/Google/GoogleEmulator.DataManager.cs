using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Marketing.Sdk.Testing.Emulators;

public sealed partial class GoogleEmulator
{
    private static readonly string[] IdentifierKinds = ["emailAddress", "phoneNumber", "address"];
    private static readonly string[] ConsentKinds = ["adUserData", "adPersonalization"];
    private static readonly string[] HashedKinds = ["emailAddress", "phoneNumber"];

    private sealed record Violation(string Field, string Reason, string Description);

    private sealed record Destination(string? Reference, string OperatingAccountId, string ProductDestinationId, string? LoginAccountId);

    private async Task IngestEventsAsync(HttpContext context, JsonObject body)
    {
        var requestId = NextRequestId();
        var violations = new List<Violation>();
        var destinations = ReadDestinations(body, violations);
        var events = body["events"] as JsonArray;
        if (events is null || events.Count == 0)
        {
            violations.Add(new("events", "REQUIRED_FIELD_MISSING", "At least one event is required."));
        }
        else if (events.Count > MaxEvents)
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", $"Maximum number of events allowed per request is {MaxEvents}.",
                ErrorInfo("TOO_MANY_EVENTS"), RequestInfo(requestId)).ConfigureAwait(false);
            return;
        }
        var encoding = Str(body["encoding"]);
        var now = _time.GetUtcNow();
        var parsed = new List<(JsonObject Event, DateTimeOffset At, IReadOnlyList<Destination> Targets)>();
        for (var i = 0; events is not null && i < events.Count; i++)
        {
            var path = $"events[{i}]";
            if (events[i] is not JsonObject evt)
            {
                violations.Add(new(path, "INVALID_EVENT", "An event must be an object."));
                continue;
            }
            DateTimeOffset at = default;
            if (!DateTimeOffset.TryParse(Str(evt["eventTimestamp"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at))
            {
                violations.Add(new($"{path}.eventTimestamp", Str(evt["eventTimestamp"]) is null ? "REQUIRED_FIELD_MISSING" : "INVALID_FORMAT", "The event timestamp is missing or not RFC 3339."));
            }
            else if (now - at > MaxEventAge)
            {
                violations.Add(new($"{path}.eventTimestamp", "INVALID_EVENT", $"The event is older than {MaxEventAge.TotalDays:0} days."));
            }
            else if (at - now > TimeSpan.FromMinutes(10))
            {
                violations.Add(new($"{path}.eventTimestamp", "INVALID_EVENT", "The event timestamp is in the future."));
            }
            var targets = new List<Destination>();
            if (evt["destinationReferences"] is JsonArray references && references.Count > 0)
            {
                foreach (var reference in references)
                {
                    var found = destinations.FirstOrDefault(d => d.Reference == Str(reference));
                    if (found is null)
                    {
                        violations.Add(new($"{path}.destinationReferences", "INVALID_DESTINATION", "The destination reference matches no destination."));
                    }
                    else
                    {
                        targets.Add(found);
                    }
                }
            }
            else
            {
                targets.AddRange(destinations);
            }
            var identifiers = ValidateUserData(evt["userData"], $"{path}.userData", encoding, violations);
            var ads = evt["adIdentifiers"] as JsonObject;
            var hasClick = ads is not null && (Str(ads["gclid"]) ?? Str(ads["gbraid"]) ?? Str(ads["wbraid"])) is not null;
            if (identifiers == 0 && !hasClick)
            {
                violations.Add(new(path, "NO_IDENTIFIERS_PROVIDED", "The event contains no user identifiers or ad identifiers."));
            }
            if (evt["conversionValue"] is not null && !CurrencyCode().IsMatch(Str(evt["currency"]) ?? ""))
            {
                violations.Add(new($"{path}.currency", "INVALID_CURRENCY_CODE", "The currency code is not supported."));
            }
            ValidateConsent(evt["consent"], $"{path}.consent", violations);
            parsed.Add((evt, at, targets));
        }
        if (violations.Count > 0)
        {
            await WriteViolationsAsync(context, violations, requestId).ConfigureAwait(false);
            return;
        }
        if (body["validateOnly"]?.GetValue<bool>() == true)
        {
            await WriteJsonAsync(context, 200, new JsonObject()).ConfigureAwait(false);
            return;
        }
        lock (_lock)
        {
            foreach (var (evt, at, targets) in parsed)
            {
                var transactionId = Str(evt["transactionId"]);
                foreach (var target in targets)
                {
                    if (transactionId is not null && !_transactionKeys.Add($"{target.OperatingAccountId}/{target.ProductDestinationId}/{transactionId}"))
                    {
                        _duplicates++;
                        continue;
                    }
                    var ids = (evt["userData"]?["userIdentifiers"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
                    _events.Add(new GoogleIngestedEvent(
                        target.OperatingAccountId,
                        target.ProductDestinationId,
                        transactionId,
                        at,
                        evt["conversionValue"]?.GetValue<double>(),
                        Str(evt["currency"]),
                        Str(evt["adIdentifiers"]?["gclid"]),
                        Str(evt["consent"]?["adUserData"]),
                        Str(evt["consent"]?["adPersonalization"]),
                        ids.Count,
                        [.. ids.Select(o => Str(o["emailAddress"])).OfType<string>()],
                        [.. ids.Select(o => Str(o["phoneNumber"])).OfType<string>()],
                        target.LoginAccountId));
                }
            }
        }
        await WriteJsonAsync(context, 200, new JsonObject { ["requestId"] = requestId }).ConfigureAwait(false);
    }

    private async Task AudienceAsync(HttpContext context, JsonObject body, bool add)
    {
        var requestId = NextRequestId();
        var violations = new List<Violation>();
        var destinations = ReadDestinations(body, violations);
        var members = body["audienceMembers"] as JsonArray;
        if (members is null || members.Count == 0)
        {
            violations.Add(new("audienceMembers", "REQUIRED_FIELD_MISSING", "At least one audience member is required."));
        }
        else if (members.Count > MaxAudienceMembers)
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", $"Maximum number of audience members allowed per request is {MaxAudienceMembers:N0}.",
                ErrorInfo("TOO_MANY_AUDIENCE_MEMBERS"), RequestInfo(requestId)).ConfigureAwait(false);
            return;
        }
        if (add && Str(body["termsOfService"]?["customerMatchTermsOfServiceStatus"]) != "ACCEPTED")
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", "Required terms and conditions are not accepted.",
                ErrorInfo("TERMS_AND_CONDITIONS_NOT_SIGNED"), RequestInfo(requestId)).ConfigureAwait(false);
            return;
        }
        var encoding = Str(body["encoding"]);
        var keys = new List<(List<string> Keys, bool Consented)>();
        for (var i = 0; members is not null && i < members.Count; i++)
        {
            var path = $"audienceMembers[{i}]";
            if (members[i] is not JsonObject member || member["userData"] is null)
            {
                violations.Add(new(path, "INVALID_AUDIENCE_MEMBER", "This audience member is not valid."));
                continue;
            }
            if (ValidateUserData(member["userData"], $"{path}.userData", encoding, violations) == 0)
            {
                violations.Add(new($"{path}.userData.userIdentifiers", "REQUIRED_FIELD_MISSING", "At least one user identifier is required."));
            }
            ValidateConsent(member["consent"], $"{path}.consent", violations);
            var memberKeys = new List<string>();
            foreach (var id in (member["userData"]?["userIdentifiers"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (Str(id["emailAddress"]) is { } email)
                {
                    memberKeys.Add("email:" + email);
                }

                if (Str(id["phoneNumber"]) is { } phone)
                {
                    memberKeys.Add("phone:" + phone);
                }

                if (id["address"] is JsonObject a)
                {
                    memberKeys.Add($"address:{Str(a["givenName"])}:{Str(a["familyName"])}:{Str(a["regionCode"])}:{Str(a["postalCode"])}");
                }
            }
            keys.Add((memberKeys, Str(member["consent"]?["adUserData"]) == "CONSENT_GRANTED"));
        }
        if (violations.Count > 0)
        {
            await WriteViolationsAsync(context, violations, requestId).ConfigureAwait(false);
            return;
        }
        if (body["validateOnly"]?.GetValue<bool>() == true)
        {
            await WriteJsonAsync(context, 200, new JsonObject()).ConfigureAwait(false);
            return;
        }
        lock (_lock)
        {
            foreach (var destination in destinations)
            {
                if (!_audiences.TryGetValue(destination.ProductDestinationId, out var set))
                {
                    _audiences[destination.ProductDestinationId] = set = new HashSet<string>(StringComparer.Ordinal);
                }
                foreach (var (memberKeys, consented) in keys)
                {
                    if (add)
                    {
                        if (!consented)
                        {
                            _audienceWithoutConsent++;
                        }
                        set.UnionWith(memberKeys);
                    }
                    else
                    {
                        set.ExceptWith(memberKeys);
                    }
                }
            }
        }
        await WriteJsonAsync(context, 200, new JsonObject { ["requestId"] = requestId }).ConfigureAwait(false);
    }

    private static List<Destination> ReadDestinations(JsonObject body, List<Violation> violations)
    {
        var list = new List<Destination>();
        if (body["destinations"] is not JsonArray destinations || destinations.Count == 0)
        {
            violations.Add(new("destinations", "REQUIRED_FIELD_MISSING", "At least one destination is required."));
            return list;
        }
        if (destinations.Count > 10)
        {
            violations.Add(new("destinations", "TOO_MANY_DESTINATIONS", "Maximum number of destinations allowed per request is 10."));
        }
        for (var i = 0; i < destinations.Count; i++)
        {
            var d = destinations[i] as JsonObject;
            var account = Str(d?["operatingAccount"]?["accountId"]);
            var type = Str(d?["operatingAccount"]?["accountType"]) ?? Str(d?["operatingAccount"]?["product"]);
            var product = Str(d?["productDestinationId"]);
            if (account is null || !Digits().IsMatch(account) || type != "GOOGLE_ADS")
            {
                violations.Add(new($"destinations[{i}].operatingAccount", "INVALID_DESTINATION", "This Destination is not valid."));
                continue;
            }
            if (product is null || !Digits().IsMatch(product))
            {
                violations.Add(new($"destinations[{i}].productDestinationId", "INVALID_DESTINATION", "The product destination id is missing or not numeric."));
                continue;
            }
            var reference = Str(d?["reference"]);
            if (reference is not null && list.Any(x => x.Reference == reference))
            {
                violations.Add(new($"destinations[{i}].reference", "DUPLICATE_DESTINATION_REFERENCE", "Two or more destinations in the request have the same reference."));
                continue;
            }
            var login = Str(d?["loginAccount"]?["accountId"]);
            if (login is not null && !Digits().IsMatch(login))
            {
                violations.Add(new($"destinations[{i}].loginAccount", "INVALID_DESTINATION", "The login account id is not numeric."));
                continue;
            }
            list.Add(new Destination(reference, account, product, login));
        }
        return list;
    }

    /// <summary>Validates <c>userData.userIdentifiers</c>; returns how many identifiers there are.</summary>
    private static int ValidateUserData(JsonNode? userData, string path, string? encoding, List<Violation> violations)
    {
        if (userData is null)
        {
            return 0;
        }
        if (userData["userIdentifiers"] is not JsonArray identifiers)
        {
            violations.Add(new($"{path}.userIdentifiers", "REQUIRED_FIELD_MISSING", "Required field is missing."));
            return 0;
        }
        if (identifiers.Count > MaxUserIdentifiers)
        {
            violations.Add(new($"{path}.userIdentifiers", "TOO_MANY_USER_IDENTIFIERS", $"Maximum number of user identifiers is {MaxUserIdentifiers}."));
        }
        if (identifiers.Count > 0 && encoding is not ("HEX" or "BASE64"))
        {
            violations.Add(new("encoding", "REQUIRED_FIELD_MISSING", "The encoding is required for UserData uploads."));
            return identifiers.Count;
        }
        for (var j = 0; j < identifiers.Count; j++)
        {
            var idPath = $"{path}.userIdentifiers[{j}]";
            var id = identifiers[j] as JsonObject;
            var present = IdentifierKinds.Count(k => id?[k] is not null);
            if (present != 1)
            {
                violations.Add(new(idPath, "INVALID_FORMAT", "Exactly one of emailAddress, phoneNumber or address must be set."));
                continue;
            }
            foreach (var key in HashedKinds)
            {
                if (id![key] is not null)
                {
                    CheckHash(Str(id[key]), $"{idPath}.{key}", encoding!, violations);
                }
            }
            if (id!["address"] is JsonObject address)
            {
                CheckHash(Str(address["givenName"]), $"{idPath}.address.givenName", encoding!, violations);
                CheckHash(Str(address["familyName"]), $"{idPath}.address.familyName", encoding!, violations);
                if (!RegionCode().IsMatch(Str(address["regionCode"]) ?? ""))
                {
                    violations.Add(new($"{idPath}.address.regionCode", "INVALID_COUNTRY_CODE", "Country code is not valid."));
                }
                if (string.IsNullOrWhiteSpace(Str(address["postalCode"])))
                {
                    violations.Add(new($"{idPath}.address.postalCode", "INVALID_POSTAL_CODE", "Postal code is not valid."));
                }
            }
        }
        return identifiers.Count;
    }

    private static void CheckHash(string? value, string path, string encoding, List<Violation> violations)
    {
        if (encoding == "HEX")
        {
            if (value is null || value.Length != 64)
            {
                violations.Add(new(path, "INVALID_SHA256_FORMAT", "The SHA256 encoded value is malformed."));
            }
            else if (!LowerHex().IsMatch(value))
            {
                violations.Add(new(path, "INVALID_HEX_ENCODING", "The HEX encoded value is malformed."));
            }
            return;
        }
        Span<byte> digest = stackalloc byte[48];
        if (value is null || !Convert.TryFromBase64String(value, digest, out var written))
        {
            violations.Add(new(path, "INVALID_BASE64_ENCODING", "The base64 encoded value is malformed."));
        }
        else if (written != 32)
        {
            violations.Add(new(path, "INVALID_SHA256_FORMAT", "The SHA256 encoded value is malformed."));
        }
    }

    private static void ValidateConsent(JsonNode? consent, string path, List<Violation> violations)
    {
        foreach (var key in ConsentKinds)
        {
            var value = Str(consent?[key]);
            if (value is not null and not ("CONSENT_GRANTED" or "CONSENT_DENIED" or "CONSENT_STATUS_UNSPECIFIED"))
            {
                violations.Add(new($"{path}.{key}", "INVALID_ENUM_VALUE", "Enum value cannot be used."));
            }
        }
    }

    private static Task WriteViolationsAsync(HttpContext context, List<Violation> violations, string requestId)
    {
        var badRequest = new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.BadRequest",
            ["fieldViolations"] = new JsonArray([.. violations.Select(v => (JsonNode)new JsonObject
            {
                ["field"] = v.Field,
                ["description"] = v.Description,
                ["reason"] = v.Reason,
            })]),
        };
        return WriteErrorAsync(context, 400, "INVALID_ARGUMENT", "There was a problem with the request.",
            ErrorInfo(violations[0].Reason), badRequest, RequestInfo(requestId));
    }

    private static string? Str(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial System.Text.RegularExpressions.Regex LowerHex();

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Z]{2}$")]
    private static partial System.Text.RegularExpressions.Regex RegionCode();

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Z]{3}$")]
    private static partial System.Text.RegularExpressions.Regex CurrencyCode();
}
