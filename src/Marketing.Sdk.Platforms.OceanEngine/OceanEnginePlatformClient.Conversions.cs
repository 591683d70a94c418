using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.OceanEngine;

public sealed partial class OceanEnginePlatformClient
{
    /// <summary>
    /// Sends each conversion as one call to <c>POST https://analytics.oceanengine.com/api/v2/conversion</c>: <c>event_type</c>
    /// mapped from the SDK event type (<see cref="OceanEngineEventTypes"/>), <c>context.ad.callback</c> from
    /// <see cref="ClickIdentifiers.OceanEngineCallback"/>, <c>timestamp</c> in milliseconds, the value as <c>event_weight</c> in
    /// yuan and <c>properties.pay_amount</c> in fen (both exact: a value that is not whole fen, or not CNY, is refused before
    /// sending), and the phone's SHA-256 as <c>context.device.phone_num_blurred</c>. The API has no de-duplication key: the
    /// outbox stores each conversion once per destination (keyed by the event id) and the call is not retried inside the
    /// HTTP pipeline, so a conversion is sent again only after a failure the outbox retries. A conversion without a callback
    /// cannot be attributed by Ocean Engine; publishing skips it (<see cref="SkipReason"/>), and one that reaches this method
    /// anyway is rejected with <see cref="NotAttributableCode"/>.
    /// </summary>
    /// <param name="batch">The conversions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new ItemResult[batch.Count];
        string? requestId = null;
        var target = new Uri(_options.ConversionAddress ?? OceanEnginePlatformOptions.DefaultConversionAddress, "api/v2/conversion");
        for (var i = 0; i < batch.Count; i++)
        {
            var (body, rejection, code) = Build(batch[i]);
            if (body is null)
            {
                LogPreRejected(Logger, code!);
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, rejection, code);
                continue;
            }
            try
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(body, OceanEngineJsonContext.Default.ConversionRequestBody);
                // Not retried inside the call: the API has no de-duplication key, so only the outbox decides to send again.
                var response = await PostJsonAsync("conversions.send", target, bytes, retriable: false, anonymous: true, cancellationToken).ConfigureAwait(false);
                requestId = Envelope("conversions.send", response).RequestId ?? requestId;
                results[i] = ItemResult.Accepted(i);
            }
            catch (PlatformApiException ex) when (ex.PlatformCode == OceanEngineErrorCodes.ConversionNonFatal.ToString(CultureInfo.InvariantCulture))
            {
                // bububa/oceanengine treats 128 as not an error (meaning UNVERIFIED): counted as accepted.
                results[i] = ItemResult.Accepted(i);
            }
            catch (PlatformApiException ex) when (ex.ErrorClass == PlatformErrorClass.Permanent)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, ex.Message, ex.PlatformCode ?? "http");
                requestId = ex.RequestId ?? requestId;
            }
            catch (PlatformApiException ex) when (batch.Count > 1)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Retry, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString(), ex.RetryAfter);
            }
        }
        return new BatchResult(results, requestId);
    }

    private (ConversionRequestBody? Body, string? Rejection, string? Code) Build(PreparedConversion c)
    {
        if (c is null)
        {
            return (null, "the conversion is missing", PreSendRejectionCode);
        }
        var callback = c.Clicks?.OceanEngineCallback;
        if (string.IsNullOrWhiteSpace(callback))
        {
            return (null, "no Ocean Engine callback (clickid): Ocean Engine cannot attribute the conversion", NotAttributableCode);
        }
        var type = OceanEngineEventTypes.Map(c.EventType, _options);
        if (type is null)
        {
            return (null, $"the event type '{c.EventType}' has no Ocean Engine event_type; map it in OceanEnginePlatformOptions.EventTypes", PreSendRejectionCode);
        }
        var ms = c.OccurredAt.ToUnixTimeMilliseconds();
        if (ms <= 0)
        {
            return (null, "timestamp is out of range", PreSendRejectionCode);
        }
        decimal? weight = null;
        ConversionProperties? properties = null;
        if (c.Value is { } value)
        {
            if (!string.Equals(c.Currency, "CNY", StringComparison.OrdinalIgnoreCase))
            {
                return (null, "the value must be in CNY (Ocean Engine counts in yuan)", PreSendRejectionCode);
            }
            if (!OceanEngineMoney.TryToFen(value, out var fen))
            {
                return (null, "the value must be a non-negative amount in whole fen", PreSendRejectionCode);
            }
            weight = value;
            properties = new ConversionProperties(fen);
        }
        var phone = c.Get(MatchField.Phone);
        if (phone is not null && !OceanEngineHashing.IsLowerSha256(phone))
        {
            return (null, "the phone must be a SHA-256 digest in 64 lower-case hex characters", PreSendRejectionCode);
        }
        var device = phone is null ? null : new ConversionDevice(phone);
        return (new ConversionRequestBody(type, new ConversionContext(new ConversionAd(callback.Trim()), device), ms, weight, properties), null, null);
    }
}
