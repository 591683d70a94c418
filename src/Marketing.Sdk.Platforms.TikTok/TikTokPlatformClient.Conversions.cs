using System.Globalization;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.TikTok;

public sealed partial class TikTokPlatformClient
{
    /// <summary>The <see cref="ItemResult.Code"/> of conversions refused by the pre-send checks.</summary>
    public const string PreSendRejectionCode = "client_validation";

    /// <summary>
    /// Sends conversions to <c>POST /open_api/v1.3/event/track/</c>. Because TikTok fails the whole
    /// batch for one invalid row, every item is checked first (event mapping, event source, event id,
    /// 64-hex lower-case hashes, at least one identifier, event time neither in the future nor older
    /// than <see cref="TikTokPlatformOptions.MaxEventAge"/>, ISO 4217 currency, contents) and invalid ones
    /// are returned as <see cref="DeliveryOutcome.Rejected"/> without being sent. Items are grouped per
    /// event source (web, app, offline, crm); a code 40002 that the checks did not foresee is isolated
    /// by splitting the batch, so the valid rows still get through; a 20001 partial success marks the
    /// rows the answer names.
    /// </summary>
    /// <param name="batch">The conversions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new ItemResult?[batch.Count];
        var now = _time.GetUtcNow();
        var groups = new Dictionary<(string Source, string SourceId), List<Pending>>();
        for (var i = 0; i < batch.Count; i++)
        {
            var (pending, key, rejection) = Build(batch[i], i, now);
            if (rejection is not null)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, rejection, PreSendRejectionCode);
                continue;
            }
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
            }
            list.Add(pending!);
        }
        var rejected = batch.Count - groups.Values.Sum(g => g.Count);
        if (rejected > 0)
        {
            LogPreRejected(Logger, rejected, batch.Count);
        }
        var requests = groups.Values.Sum(g => (g.Count + MaxBatchSize - 1) / MaxBatchSize);
        string? requestId = null;
        var context = new TrackContext(results);
        foreach (var ((source, sourceId), items) in groups)
        {
            foreach (var chunk in items.Chunk(MaxBatchSize))
            {
                requestId = await TrackAsync(source, sourceId, chunk, context, rethrow: requests == 1, cancellationToken).ConfigureAwait(false) ?? requestId;
            }
        }
        return new BatchResult([.. results.Select((r, i) => r ?? new ItemResult(i, DeliveryOutcome.Retry, "no result", null))], requestId);
    }

    private sealed record Pending(int Index, TrackEvent Event);

    /// <summary>The results being filled and the number of extra requests splitting may still make.</summary>
    private sealed class TrackContext(ItemResult?[] results)
    {
        public ItemResult?[] Results { get; } = results;
        public int SplitRequestsLeft { get; set; } = MaxSplitRequests;
    }

    /// <summary>The most extra requests made to isolate rows of a batch refused with 40002 (enough for a few bad rows in 1 000; a refusal of every row, e.g. a wrong pixel code, stops there).</summary>
    private const int MaxSplitRequests = 40;

    private async Task<string?> TrackAsync(string source, string sourceId, IReadOnlyList<Pending> items, TrackContext context, bool rethrow, CancellationToken cancellationToken)
    {
        var results = context.Results;
        var request = new TrackRequest(source, sourceId, string.IsNullOrWhiteSpace(_options.TestEventCode) ? null : _options.TestEventCode, [.. items.Select(p => p.Event)]);
        PlatformResponse response;
        try
        {
            response = await PostAsync("conversions.send", "event/track/", request, TikTokJsonContext.Default.TrackRequest, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (ex.ErrorClass == PlatformErrorClass.Permanent && ex.PlatformCode == "40002" && items.Count > 1 && context.SplitRequestsLeft >= 2)
        {
            LogBisecting(Logger, items.Count);
            context.SplitRequestsLeft -= 2;
            var half = items.Count / 2;
            await TrackAsync(source, sourceId, [.. items.Take(half)], context, rethrow: false, cancellationToken).ConfigureAwait(false);
            return await TrackAsync(source, sourceId, [.. items.Skip(half)], context, rethrow: false, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (!rethrow || ex.ErrorClass == PlatformErrorClass.Permanent)
        {
            // One request of several failed (or a permanent refusal): record it per item so the results
            // of the requests that did succeed are kept.
            var outcome = ex.ErrorClass == PlatformErrorClass.Permanent ? DeliveryOutcome.Rejected : DeliveryOutcome.Retry;
            foreach (var p in items)
            {
                results[p.Index] = new ItemResult(p.Index, outcome, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString(), ex.RetryAfter);
            }
            return ex.RequestId;
        }
        var envelope = Envelope(response);
        foreach (var p in items)
        {
            results[p.Index] = ItemResult.Accepted(p.Index);
        }
        if (envelope.Code == TikTokErrorCodes.PartialSuccess && Data(envelope, TikTokJsonContext.Default.TrackPartialData)?.FailedEvents is { } failed)
        {
            foreach (var f in failed)
            {
                var p = f.Index is { } at && at >= 0 && at < items.Count ? items[at]
                    : f.EventId is not null ? items.FirstOrDefault(x => x.Event.EventId == f.EventId) : null;
                if (p is not null)
                {
                    results[p.Index] = new ItemResult(p.Index, DeliveryOutcome.Rejected, f.Message ?? "not taken by TikTok",
                        (f.Code ?? TikTokErrorCodes.PartialSuccess).ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        return envelope.RequestId;
    }

    private (Pending? Pending, (string, string) Key, string? Rejection) Build(PreparedConversion c, int index, DateTimeOffset now)
    {
        if (c is null)
        {
            return (null, default, "the conversion is missing");
        }
        if (string.IsNullOrWhiteSpace(c.EventId))
        {
            return (null, default, "event_id is required (TikTok deduplicates on it)");
        }
        var name = TikTokEvents.Map(c.EventType, _options);
        if (name is null)
        {
            return (null, default, $"the event type '{c.EventType}' has no TikTok event; map it in TikTokPlatformOptions.EventNames");
        }
        var (source, sourceId) = c.Source switch
        {
            ConversionSource.App => ("app", _options.AppId),
            ConversionSource.PhysicalStore => ("offline", _options.OfflineEventSetId),
            ConversionSource.Crm or ConversionSource.Chat or ConversionSource.PhoneCall => ("crm", _options.CrmEventSetId),
            _ => ("web", _options.PixelCode),
        };
        if (string.IsNullOrWhiteSpace(sourceId))
        {
            return (null, default, $"no TikTok event source id is configured for '{source}' events");
        }
        if (c.OccurredAt > now + _options.FutureTolerance)
        {
            return (null, default, "event_time lies in the future");
        }
        if (now - c.OccurredAt > _options.MaxEventAge)
        {
            return (null, default, $"event_time is older than TikTok accepts ({_options.MaxEventAge.TotalDays.ToString(CultureInfo.InvariantCulture)} days)");
        }
        var email = c.Get(MatchField.Email);
        var phone = c.Get(MatchField.Phone);
        var externalId = c.Get(MatchField.ExternalId);
        foreach (var (field, hashed) in new[] { ("email", email), ("phone", phone), ("external_id", externalId) })
        {
            if (hashed is not null && !IsLowerSha256(hashed))
            {
                return (null, default, $"user.{field} must be a SHA-256 digest in 64 lower-case hex characters");
            }
        }
        var clicks = c.Clicks ?? new ClickIdentifiers();
        if (email is null && phone is null && externalId is null && string.IsNullOrWhiteSpace(clicks.Ttclid) && string.IsNullOrWhiteSpace(clicks.Ttp)
            && (string.IsNullOrWhiteSpace(clicks.ClientIpAddress) || string.IsNullOrWhiteSpace(clicks.UserAgent)))
        {
            return (null, default, "no customer identifier (email, phone, external_id, ttclid, ttp, or ip with user agent)");
        }
        if (c.Value < 0)
        {
            return (null, default, "properties.value cannot be negative");
        }
        string? currency = null;
        if (c.Value is not null || c.Currency is not null)
        {
            if (!Currencies.IsKnown(c.Currency))
            {
                return (null, default, "properties.currency must be an ISO 4217 code (required with a value)");
            }
            currency = c.Currency.ToUpperInvariant();
        }
        var contents = new List<TrackContent>(c.Items.Count);
        foreach (var item in c.Items)
        {
            if (string.IsNullOrWhiteSpace(item.ProductId) || item.Quantity <= 0 || item.UnitPrice < 0)
            {
                return (null, default, "properties.contents needs a content_id, a positive quantity and a non-negative price");
            }
            contents.Add(new TrackContent(item.ProductId, item.Quantity, item.UnitPrice));
        }
        TrackPage? page = null;
        if (c.SourceUrl is not null)
        {
            if (!Uri.TryCreate(c.SourceUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                return (null, default, "page.url must be an absolute http(s) address");
            }
            page = new TrackPage(url.ToString());
        }
        var properties = c.Value is null && currency is null && contents.Count == 0 && c.OrderId is null ? null
            : new TrackProperties(c.Value, currency, contents.Count == 0 ? null : contents, contents.Count == 0 ? null : "product", c.OrderId);
        var user = new TrackUser(email, phone, externalId, Blank(clicks.Ttclid), Blank(clicks.Ttp), Blank(clicks.ClientIpAddress), Blank(clicks.UserAgent));
        var ev = new TrackEvent(name, c.OccurredAt.ToUnixTimeSeconds(), c.EventId, user, properties, page);
        return (new Pending(index, ev), (source, sourceId), null);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static bool IsLowerSha256(string value) =>
        PlatformHasher.IsSha256Hex(value) && !value.AsSpan().ContainsAnyInRange('A', 'F');
}
