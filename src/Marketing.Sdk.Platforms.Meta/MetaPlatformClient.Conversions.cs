using System.Text.Json;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.Meta;

public sealed partial class MetaPlatformClient
{
    /// <inheritdoc />
    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new ItemResult?[batch.Count];
        var now = _time.GetUtcNow();
        var sendable = new List<int>(batch.Count);
        var events = new CapiEvent?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var refusal = CheckConversion(batch[i], now);
            if (refusal is not null)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, refusal.Value.Reason, refusal.Value.Code);
            }
            else
            {
                events[i] = ToEvent(batch[i]);
                sendable.Add(i);
            }
        }
        var state = new SendState(results, events);
        foreach (var chunk in sendable.Chunk(_options.ConversionBatchSize))
        {
            await SendEventsAsync(chunk, state, cancellationToken).ConfigureAwait(false);
        }
        return new BatchResult([.. results.Select(r => r!)], state.TraceId);
    }

    private sealed class SendState(ItemResult?[] results, CapiEvent?[] events)
    {
        public ItemResult?[] Results { get; } = results;
        public CapiEvent?[] Events { get; } = events;
        public string? TraceId { get; set; }
        public bool AnyDecided => Results.Any(r => r is not null);
    }

    /// <summary>
    /// Sends a set of events. Meta rejects the whole request for one invalid event, so a permanent
    /// rejection of the events (not of the request itself) is narrowed down by halving until the
    /// invalid ones stand alone; the valid ones go through. Other failures fail the call when nothing has been decided yet (the
    /// delivery worker retries the batch) and otherwise mark the remaining events for retry.
    /// </summary>
    private async Task SendEventsAsync(int[] indices, SendState state, CancellationToken cancellationToken)
    {
        var data = new List<CapiEvent>(indices.Length);
        foreach (var i in indices)
        {
            data.Add(state.Events[i]!);
        }
        var testEventCode = _options.TestEventCode;
        void WriteBody(Utf8JsonWriter writer)
        {
            writer.WritePropertyName("data");
            JsonSerializer.Serialize(writer, data, MetaJsonContext.Default.ListCapiEvent);
            if (!string.IsNullOrEmpty(testEventCode))
            {
                writer.WriteString("test_event_code", testEventCode);
            }
        }
        var path = Path(_options.PixelId, "events");
        try
        {
            var response = await SendAsync("conversions.send", () => JsonBody(path, WriteBody, (indices.Length * ExpectedEventBytes) + 1024), MetaJsonContext.Default.CapiResponse, cancellationToken).ConfigureAwait(false);
            state.TraceId = response.FbtraceId ?? state.TraceId;
            var complete = response.EventsReceived == indices.Length;
            foreach (var i in indices)
            {
                state.Results[i] = complete
                    ? ItemResult.Accepted(i)
                    : new ItemResult(i, DeliveryOutcome.Retry, $"Meta acknowledged {response.EventsReceived} of {indices.Length} events", "events_received");
            }
        }
        catch (PlatformApiException ex) when (MetaErrors.IsAboutTheEvents(ex))
        {
            state.TraceId = ex.RequestId ?? state.TraceId;
            if (indices.Length == 1)
            {
                state.Results[indices[0]] = new ItemResult(indices[0], DeliveryOutcome.Rejected, ex.Message, ex.PlatformCode);
                return;
            }
            var half = indices.Length / 2;
            await SendEventsAsync([.. indices.Take(half)], state, cancellationToken).ConfigureAwait(false);
            await SendEventsAsync([.. indices.Skip(half)], state, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (state.AnyDecided)
        {
            foreach (var i in indices)
            {
                state.Results[i] = new ItemResult(i, DeliveryOutcome.Retry, ex.Message, ex.PlatformCode, ex.RetryAfter);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The Conversions API refuses a <c>website</c> event without <c>client_user_agent</c> and <c>event_source_url</c>;
    /// such a conversion is refused at publish time. A conversion recorded by the shop's backend without the
    /// browser's data uses another <see cref="ConversionRequest.Source"/> (the default, <see cref="ConversionSource.Other"/>).
    /// </remarks>
    public void Validate(ConversionRequest conversion, int index)
    {
        ArgumentNullException.ThrowIfNull(conversion);
        if (conversion.Source != ConversionSource.Website)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(conversion.Clicks?.UserAgent))
        {
            throw new MarketingValidationException($"{nameof(ConversionRequest.Clicks)}.{nameof(ClickIdentifiers.UserAgent)}", ValidationReason.Missing,
                "Meta requires client_user_agent for website events; set it, or use a non-website Source (the default, Other) for a server-side order", index);
        }
        if (conversion.SourceUrl is null)
        {
            throw new MarketingValidationException(nameof(ConversionRequest.SourceUrl), ValidationReason.Missing,
                "Meta requires event_source_url for website events; set it, or use a non-website Source (the default, Other) for a server-side order", index);
        }
    }

    /// <summary>Checks a conversion against the Conversions API's rules before sending; returns the refusal, or <see langword="null"/>.</summary>
    private static (string Reason, string Code)? CheckConversion(PreparedConversion c, DateTimeOffset now)
    {
        var maxAge = c.Source == ConversionSource.PhysicalStore ? MaxPhysicalStoreEventAge : MaxEventAge;
        if (now - c.OccurredAt > maxAge)
        {
            return ($"event_time is more than {maxAge.TotalDays:0} days in the past; Meta would reject the whole request for it", "event_too_old");
        }
        var hasIdentifier = c.Match.Count > 0 || c.Clicks.Fbc is not null || c.Clicks.Fbp is not null
            || (c.Clicks.ClientIpAddress is not null && c.Clicks.UserAgent is not null);
        if (!hasIdentifier)
        {
            return ("user_data has no customer information parameter Meta can match on", "no_customer_information");
        }
        if ((c.Value is null || string.IsNullOrEmpty(c.Currency)) && MetaMatching.EventName(c.EventType) == "Purchase")
        {
            return ("Purchase events need a value and a currency", "missing_value");
        }
        if (c.Source == ConversionSource.Website)
        {
            if (string.IsNullOrEmpty(c.Clicks.UserAgent))
            {
                return ("client_user_agent is required for website events", "missing_client_user_agent");
            }
            if (string.IsNullOrEmpty(c.SourceUrl))
            {
                return ("event_source_url is required for website events", "missing_event_source_url");
            }
        }
        return null;
    }

    internal static CapiEvent ToEvent(PreparedConversion c)
    {
        CapiCustomData? custom = null;
        if (c.Value is not null || c.Items.Count > 0 || c.OrderId is not null)
        {
            custom = new CapiCustomData
            {
                Value = c.Value,
                Currency = c.Value is null ? null : c.Currency,
                Contents = c.Items.Count == 0 ? null : [.. c.Items.Select(i => new CapiContent(i.ProductId, i.Quantity, i.UnitPrice))],
                ContentType = c.Items.Count == 0 ? null : "product",
                NumItems = c.Items.Count == 0 ? null : c.Items.Sum(i => i.Quantity),
                OrderId = c.OrderId,
            };
        }
        return new CapiEvent
        {
            EventName = MetaMatching.EventName(c.EventType),
            EventTime = c.OccurredAt.ToUnixTimeSeconds(),
            EventId = c.EventId,
            ActionSource = ActionSource(c.Source),
            EventSourceUrl = c.SourceUrl,
            UserData = new CapiUserData
            {
                Em = c.Get(MatchField.Email),
                Ph = c.Get(MatchField.Phone),
                Fn = c.Get(MatchField.FirstName),
                Ln = c.Get(MatchField.LastName),
                Ct = c.Get(MatchField.City),
                St = c.Get(MatchField.State),
                Zp = c.Get(MatchField.Zip),
                Country = c.Get(MatchField.Country),
                Db = c.Get(MatchField.DateOfBirth),
                Ge = c.Get(MatchField.Gender),
                ExternalId = c.Get(MatchField.ExternalId),
                ClientIpAddress = c.Clicks.ClientIpAddress,
                ClientUserAgent = c.Clicks.UserAgent,
                Fbc = c.Clicks.Fbc,
                Fbp = c.Clicks.Fbp,
            },
            CustomData = custom,
        };
    }

    /// <summary>Meta's <c>action_source</c> for a conversion source.</summary>
    /// <param name="source">The source.</param>
    public static string ActionSource(ConversionSource source) => source switch
    {
        ConversionSource.Website => "website",
        ConversionSource.App => "app",
        ConversionSource.PhysicalStore => "physical_store",
        ConversionSource.Crm => "system_generated",
        ConversionSource.Chat => "chat",
        ConversionSource.PhoneCall => "phone_call",
        _ => "other",
    };
}
