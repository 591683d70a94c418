using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Attribution;
using Marketing.Sdk.AspNetCore.Tracking;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Recommendations;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.AspNetCore.Http;

namespace Marketing.Sdk.AspNetCore.Problems;

/// <summary>
/// Maps every library exception family to a <see cref="MarketingProblem"/>. Details are written here
/// from the exceptions' typed properties (field, reason, platform, codes); exception messages are not
/// passed on, except the library's own value-free validation details.
/// </summary>
public static class MarketingProblemMapper
{
    /// <summary>Maps an exception; unknown exceptions become a 500 <see cref="MarketingProblemTypes.Internal"/> problem without detail.</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="defaultRetryAfter">The <c>Retry-After</c> for 503 answers when the exception carries none.</param>
    public static MarketingProblem Map(Exception exception, TimeSpan defaultRetryAfter)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return TryMap(exception, defaultRetryAfter)
            ?? new MarketingProblem(StatusCodes.Status500InternalServerError, MarketingProblemTypes.Internal, MarketingProblem.TitleOf(MarketingProblemTypes.Internal),
                "The server failed to process the request; the trace id identifies it in the server's logs.", "internal");
    }

    /// <summary>Maps a library (or JSON body) exception, or returns <see langword="null"/> for anything else.</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="defaultRetryAfter">The <c>Retry-After</c> for 503 answers when the exception carries none.</param>
    public static MarketingProblem? TryMap(Exception exception, TimeSpan defaultRetryAfter)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case MarketingValidationException v:
                return Field(MarketingProblemTypes.Validation, v.Index is { } i ? $"[{i.ToString(CultureInfo.InvariantCulture)}].{v.Field}" : v.Field, v.Reason.ToString(), v.Detail);
            case CurrencyMismatchException:
                return Field(MarketingProblemTypes.Validation, "currency", nameof(ValidationReason.InvalidCurrency), "Amounts in different currencies cannot be combined.");
            case SegmentParseException p:
                return new MarketingProblem(StatusCodes.Status400BadRequest, MarketingProblemTypes.SegmentRule, MarketingProblem.TitleOf(MarketingProblemTypes.SegmentRule),
                    string.Create(CultureInfo.InvariantCulture, $"The rule cannot be parsed at line {p.Line}, column {p.Column}; expected {(p.Expected.Count == 0 ? "something else" : string.Join(", ", p.Expected))}."),
                    "segment_rule.parse", "rule", nameof(ValidationReason.InvalidFormat));
            case SegmentReferenceException r:
                // The three cases share one exception type; its (library-owned, value-free) message tells them apart.
                return r.Message.Contains("cycle", StringComparison.Ordinal)
                    ? Field(MarketingProblemTypes.SegmentRule, "rule", nameof(ValidationReason.Inconsistent), "Segment references form a cycle.")
                    : r.Message.Contains("is referenced by", StringComparison.Ordinal)
                        ? Simple(MarketingProblemTypes.Conflict, "segment.referenced", "The segment is referenced by another segment's rule; change that rule first.")
                        : Simple(MarketingProblemTypes.NotFound, "segment.not_found", "No segment with this id is defined.", "segmentId");
            case ExperimentNotFoundException:
                return Simple(MarketingProblemTypes.NotFound, "experiment.not_found", "No experiment with this key is registered.", "experimentKey");
            case ConcurrencyConflictException c:
                return Simple(MarketingProblemTypes.Conflict, "concurrency.conflict", $"The {c.Entity} was changed by another writer; read it again and retry.");
            case StoreProviderException s when s.IsTransient:
                return Simple(MarketingProblemTypes.StoreUnavailable, "store.transient", $"The {s.Provider} {s.Store} store is temporarily unavailable.") with { RetryAfter = defaultRetryAfter };
            case StoreProviderException s:
                return Simple(MarketingProblemTypes.StoreFailure, "store.failure", $"The {s.Provider} {s.Store} store failed to {s.Operation}{(s.ErrorCode is null ? "" : $" (error {s.ErrorCode})")}.");
            case MarketingStoreException:
                return Simple(MarketingProblemTypes.StoreFailure, "store.failure", "The store failed.");
            case PlatformApiException a when a.IsRetryable:
                return Simple(MarketingProblemTypes.PlatformUnavailable, "platform." + a.ErrorClass.ToString().ToLowerInvariant(),
                    $"The {a.Platform} platform answered {a.ErrorClass}{(a.PlatformCode is null ? "" : $" (code {a.PlatformCode})")}{(a.RequestId is null ? "" : $", request {a.RequestId}")}.")
                    with { RetryAfter = a.RetryAfter is { } hint && hint > TimeSpan.Zero ? hint : defaultRetryAfter };
            case PlatformApiException a:
                return Simple(MarketingProblemTypes.PlatformRejected, "platform.permanent",
                    $"The {a.Platform} platform refused the request{(a.PlatformCode is null ? "" : $" (code {a.PlatformCode})")}{(a.RequestId is null ? "" : $", request {a.RequestId}")}.");
            case PlatformRequestException q:
                return Field(MarketingProblemTypes.Validation, q.Field, nameof(ValidationReason.OutOfRange), $"The value cannot be sent to {q.Platform} as given.");
            case PlatformException p:
                return Simple(MarketingProblemTypes.PlatformUnavailable, "platform.failure", $"The {p.Platform} platform could not be reached.") with { RetryAfter = defaultRetryAfter };
            case RecommendationException { Reason: RecommendationErrorReason.ModelNotReady }:
                return Simple(MarketingProblemTypes.NotReady, "recommendations.not_ready", "The recommendation model is not trained yet.") with { RetryAfter = defaultRetryAfter };
            case RecommendationException:
                return Simple(MarketingProblemTypes.Unprocessable, "recommendations.invalid_data", "The recommendation data cannot be used.");
            case TcStringFormatException:
                return Field(MarketingProblemTypes.Validation, "tcString", nameof(ValidationReason.InvalidFormat), "The IAB TCF consent string cannot be decoded.");
            case MatchNormalizationException m:
                return Field(MarketingProblemTypes.Validation, m.Field, nameof(ValidationReason.InvalidFormat), "The value cannot be normalised for matching.");
            case ComplianceException c when c.Message.Contains("does not exist", StringComparison.Ordinal):
                return Simple(MarketingProblemTypes.NotFound, "profile.not_found", "The customer profile does not exist.", "customerId");
            case ComplianceException:
                return Simple(MarketingProblemTypes.Unprocessable, "compliance.unprocessable", "The compliance operation cannot be processed.");
            case SegmentationException:
                return Simple(MarketingProblemTypes.Unprocessable, "segmentation.unprocessable", "The segmentation operation cannot be processed.");
            case LifecycleException:
                return Simple(MarketingProblemTypes.Unprocessable, "lifecycle.unprocessable", "The lifecycle operation cannot be processed (e.g. a model cannot be fitted to the data).");
            case AttributionException:
                return Simple(MarketingProblemTypes.Unprocessable, "attribution.unprocessable", "The attribution operation cannot be processed.");
            case ExperimentationException:
                return Simple(MarketingProblemTypes.Unprocessable, "experimentation.unprocessable", "The experimentation operation cannot be processed.");
            case MarketingException:
                return Simple(MarketingProblemTypes.Unprocessable, "marketing.unprocessable", "The operation cannot be processed.");
            case BadHttpRequestException { InnerException: JsonException json }:
                return Json(json);
            case JsonException json:
                return Json(json);
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return new MarketingProblem(StatusCodes.Status413PayloadTooLarge, MarketingProblemTypes.RequestTooLarge, MarketingProblem.TitleOf(MarketingProblemTypes.RequestTooLarge),
                    "The request body is larger than allowed.", "validation.too_large", "body", nameof(ValidationReason.TooLarge));
            case BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType }:
                return new MarketingProblem(StatusCodes.Status415UnsupportedMediaType, MarketingProblemTypes.UnsupportedMediaType, MarketingProblem.TitleOf(MarketingProblemTypes.UnsupportedMediaType),
                    "The body must be application/json.", "validation.invalid_format", "Content-Type", nameof(ValidationReason.InvalidFormat));
            case BadHttpRequestException b:
                // Parameter binding (route values, query strings, missing body): the framework's message names the parameter, not its value.
                return new MarketingProblem(b.StatusCode is >= 400 and < 500 ? b.StatusCode : StatusCodes.Status400BadRequest, MarketingProblemTypes.Validation,
                    MarketingProblem.TitleOf(MarketingProblemTypes.Validation), "A request parameter is missing or has the wrong format.", "validation.invalid_format",
                    ParameterName(b.Message) ?? "$", nameof(ValidationReason.InvalidFormat));
            default:
                return null;
        }
    }

    private static MarketingProblem Json(JsonException json)
    {
        var error = TrackingErrors.From(json);
        return MarketingProblem.ForField(StatusCodes.Status400BadRequest, MarketingProblemTypes.InvalidJson, error.Field, error.Reason, error.Code, error.Detail);
    }

    private static MarketingProblem Field(string type, string field, string reason, string detail) =>
        MarketingProblem.ForField(MarketingProblem.StatusOf(type), type, field, reason, TrackingErrors.Create(field, reason, detail).Code, detail);

    private static MarketingProblem Simple(string type, string code, string detail, string? field = null) =>
        new(MarketingProblem.StatusOf(type), type, MarketingProblem.TitleOf(type), detail, code, field);

    private static string? ParameterName(string message)
    {
        // e.g. Failed to bind parameter "int id" from "abc". — only the declared name is kept, never the value.
        var start = message.IndexOf('"', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('"', start + 1);
        if (end <= start + 1)
        {
            return null;
        }
        var declared = message[(start + 1)..end];
        var name = declared[(declared.LastIndexOf(' ') + 1)..];
        return TrackingErrors.IsSafeName(name) ? name : null;
    }
}
