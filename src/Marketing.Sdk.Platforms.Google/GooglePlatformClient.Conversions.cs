using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Google.Wire;

namespace Marketing.Sdk.Platforms.Google;

public sealed partial class GooglePlatformClient
{
    /// <summary>
    /// Sends conversions with Data Manager <c>events:ingest</c> (at most 2 000): one destination per
    /// conversion action (from <see cref="GooglePlatformOptions.ConversionActions"/> by event type),
    /// <c>transactionId</c> = order id or else event id (Google deduplicates on it, so a retried batch
    /// never double-counts), hashed identifiers declared as <c>encoding: HEX</c>, click ids, value and
    /// currency, and <c>consent</c> granted for the items the delivery worker's consent gate allowed.
    /// Items without a conversion action, without any identifier, or too old are rejected without
    /// being sent; when Google rejects the request for fields of particular events, those events are
    /// rejected and the rest is sent again.
    /// </summary>
    /// <param name="batch">The conversions (prepared with <see cref="HashingProfile.Google"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count > MaxEventsPerRequest)
        {
            throw new PlatformRequestException(GoogleErrors.Platform, "events", $"at most {MaxEventsPerRequest} events per events:ingest request (got {batch.Count})");
        }
        var results = new ItemResult?[batch.Count];
        var events = new DmEvent?[batch.Count];
        var actions = new string?[batch.Count];
        var pending = new List<int>(batch.Count);
        var now = _time.GetUtcNow();
        for (var i = 0; i < batch.Count; i++)
        {
            var conversion = batch[i];
            var action = _options.ConversionActionFor(conversion.EventType);
            if (action is null)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, $"no conversion action is configured for event type '{conversion.EventType}'", "NO_CONVERSION_ACTION");
                continue;
            }
            if (now - conversion.OccurredAt > _options.MaxConversionAge)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, $"the conversion is older than {_options.MaxConversionAge.TotalDays:0} days", "EXPIRED_EVENT");
                continue;
            }
            if (conversion.OccurredAt - now > TimeSpan.FromMinutes(10))
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, "the conversion time lies in the future", "FUTURE_EVENT");
                continue;
            }
            var evt = ToEvent(conversion, Reference(action));
            if (evt.UserData is null && evt.AdIdentifiers is null)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, "the conversion has neither user identifiers nor click ids", "NO_IDENTIFIERS_PROVIDED");
                continue;
            }
            events[i] = evt;
            actions[i] = action;
            pending.Add(i);
        }
        var rejectedEarly = batch.Count - pending.Count;
        if (rejectedEarly > 0)
        {
            LogRejectedBeforeSending(Logger, rejectedEarly, "configuration, age or identifiers");
        }

        string? requestId = null;
        for (var round = 0; pending.Count > 0 && round < 3; round++)
        {
            var destinations = pending.Select(i => actions[i]!).Distinct(StringComparer.Ordinal)
                .Select(a => NewDestination(a, Reference(a))).ToList();
            var request = new IngestEventsRequest(destinations, [.. pending.Select(i => events[i]!)], _options.ValidateOnly ? true : null, HexEncoding);
            var body = JsonSerializer.SerializeToUtf8Bytes(request, GoogleJsonContext.Default.IngestEventsRequest);
            try
            {
                var response = await SendAsync("conversions.ingest", Post(DataManagerUri("events:ingest"), body), cancellationToken).ConfigureAwait(false);
                requestId = ReadIngest("conversions.ingest", response).RequestId ?? requestId;
                foreach (var i in pending)
                {
                    results[i] = ItemResult.Accepted(i);
                }
                pending.Clear();
            }
            catch (PlatformApiException ex) when (ex.ErrorClass == PlatformErrorClass.Permanent && RejectByField(ex, "events", pending, results) is > 0 and var rejected)
            {
                LogFieldRejections(Logger, rejected, "events:ingest");
                pending.RemoveAll(i => results[i] is not null);
            }
        }
        foreach (var i in pending)
        {
            results[i] = new ItemResult(i, DeliveryOutcome.Retry, "not sent: the request kept being rejected for other events", "RESEND_LIMIT");
        }
        return new BatchResult([.. results.Select((r, i) => r ?? new ItemResult(i, DeliveryOutcome.Retry))], requestId);
    }

    /// <summary>Marks the items a field violation points at as rejected; returns how many (0 when the violations do not name items, and the exception should propagate).</summary>
    private static int RejectByField(PlatformApiException ex, string collection, List<int> sent, ItemResult?[] results)
    {
        var rejected = 0;
        foreach (var (position, violation) in ViolationsByPosition(ex, collection, sent.Count))
        {
            var original = sent[position];
            results[original] = new ItemResult(original, DeliveryOutcome.Rejected, Describe(violation), violation.Reason ?? ex.PlatformSubCode);
            rejected++;
        }
        return rejected;
    }

    /// <summary>The first violation per element of <paramref name="collection"/> (by position in the request).</summary>
    private static Dictionary<int, GoogleViolation> ViolationsByPosition(PlatformApiException ex, string collection, int count)
    {
        var byPosition = new Dictionary<int, GoogleViolation>();
        foreach (var violation in GoogleErrors.Violations(ex))
        {
            if (GoogleErrors.IndexIn(violation.Field, collection) is { } position && position < count)
            {
                byPosition.TryAdd(position, violation);
            }
        }
        return byPosition;
    }

    private static string Describe(GoogleViolation violation)
    {
        var field = violation.Field[(violation.Field.IndexOf(']', StringComparison.Ordinal) + 1)..].TrimStart('.');
        return $"{field}: {violation.Description ?? "invalid"}".Trim();
    }

    private static string Reference(string conversionActionId) => "ca_" + conversionActionId;

    private DmEvent ToEvent(PreparedConversion c, string reference)
    {
        var identifiers = new List<DmUserIdentifier>(3);
        if (Hashed(c.Get(MatchField.Email)) is { } email)
        {
            identifiers.Add(new DmUserIdentifier(EmailAddress: email));
        }
        if (Hashed(c.Get(MatchField.Phone)) is { } phone)
        {
            identifiers.Add(new DmUserIdentifier(PhoneNumber: phone));
        }
        if (Address(Hashed(c.Get(MatchField.FirstName)), Hashed(c.Get(MatchField.LastName)), c.Get(MatchField.Country), c.Get(MatchField.Zip)) is { } address)
        {
            identifiers.Add(new DmUserIdentifier(Address: address));
        }
        var clicks = c.Clicks;
        var hasClick = !string.IsNullOrWhiteSpace(clicks.Gclid) || !string.IsNullOrWhiteSpace(clicks.Gbraid) || !string.IsNullOrWhiteSpace(clicks.Wbraid);
        return new DmEvent
        {
            DestinationReferences = [reference],
            TransactionId = string.IsNullOrWhiteSpace(c.OrderId) ? c.EventId : c.OrderId,
            EventTimestamp = c.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            UserData = identifiers.Count > 0 ? new DmUserData(identifiers) : null,
            AdIdentifiers = hasClick ? new DmAdIdentifiers(NullIfBlank(clicks.Gclid), NullIfBlank(clicks.Gbraid), NullIfBlank(clicks.Wbraid)) : null,
            Consent = new DmConsent(Granted, _options.ConversionsGrantAdPersonalization ? Granted : Denied),
            ConversionValue = c.Value is { } value ? (double)value : null,
            Currency = c.Value is null ? null : c.Currency?.ToUpperInvariant(),
            EventSource = c.Source switch
            {
                ConversionSource.Website => "WEB",
                ConversionSource.App => "APP",
                ConversionSource.PhysicalStore => "IN_STORE",
                ConversionSource.PhoneCall => "PHONE",
                _ => "OTHER",
            },
        };
    }

    private static DmAddressInfo? Address(string? givenName, string? familyName, string? region, string? postalCode) =>
        givenName is null || familyName is null || string.IsNullOrWhiteSpace(region) || string.IsNullOrWhiteSpace(postalCode)
            ? null
            : new DmAddressInfo(givenName, familyName, region.Trim().ToUpperInvariant(), postalCode.Trim());

    private static string? Hashed(string? value) =>
        value is not null && PlatformHasher.IsSha256Hex(value) ? value.ToLowerInvariant() : null;

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
