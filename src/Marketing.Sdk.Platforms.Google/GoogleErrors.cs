using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Marketing.Sdk.Platforms.Google.Wire;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.Google;

/// <summary>One field-level violation Google reported for a request (Data Manager <c>BadRequest.fieldViolations</c>).</summary>
/// <param name="Field">The path, e.g. <c>events[3].userData.userIdentifiers[0].emailAddress</c>.</param>
/// <param name="Reason">The reason, e.g. <c>INVALID_SHA256_FORMAT</c>.</param>
/// <param name="Description">Google's description.</param>
internal sealed record GoogleViolation(string Field, string? Reason, string? Description);

/// <summary>
/// Classifies Google answers (google.rpc.Status bodies, shared by the Data Manager API and the
/// Google Ads API) into <see cref="PlatformApiException"/>: UNAUTHENTICATED → refresh and retry once;
/// PERMISSION_DENIED → unauthorized; RESOURCE_EXHAUSTED → rate limited with the <c>RetryInfo</c> or
/// quota-error <c>retryDelay</c>; UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, UNKNOWN and
/// <c>InternalError.TRANSIENT_ERROR</c> → transient; anything else (INVALID_ARGUMENT…) → permanent.
/// </summary>
internal static partial class GoogleErrors
{
    public const string Platform = "google";

    /// <summary>The key under which field violations are attached to <see cref="Exception.Data"/>.</summary>
    public const string ViolationsKey = "google.field_violations";

    private const string TypePrefix = "type.googleapis.com/";

    /// <summary>The error for an answer, or <see langword="null"/> for a well-formed success.</summary>
    public static PlatformApiException? Classify(PlatformResponse response)
    {
        var requestId = Header(response, "request-id") ?? Header(response, "x-goog-request-id");
        if ((int)response.StatusCode is >= 200 and < 300)
        {
            if (IsWellFormedJson(response.Body.Span))
            {
                return null;
            }
            return new PlatformApiException(Platform, PlatformErrorClass.Transient, response.StatusCode,
                "the answer could not be read (truncated or malformed body); the request may have been processed", requestId: requestId);
        }
        RpcStatus? status = null;
        try
        {
            status = JsonSerializer.Deserialize(response.Body.Span, GoogleJsonContext.Default.RpcErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            // a non-JSON error page: classified by the HTTP status below
        }
        return FromStatus(status, response.StatusCode, requestId, RetryAfterHeader(response));
    }

    /// <summary>The exception for a google.rpc.Status (a top-level error, a stream error or a partial failure).</summary>
    public static PlatformApiException FromStatus(RpcStatus? status, HttpStatusCode? http, string? headerRequestId = null, TimeSpan? headerRetryAfter = null)
    {
        var details = Parse(status?.Details);
        var name = status?.Status ?? CanonicalName(status?.Code, http);
        var transientAds = details.Failure?.Errors?.Any(e => e.ErrorCode is { } c && c.TryGetValue("internalError", out var v) && v == "TRANSIENT_ERROR") == true;
        var errorClass = name switch
        {
            "UNAUTHENTICATED" => PlatformErrorClass.AuthenticationExpired,
            "PERMISSION_DENIED" => PlatformErrorClass.Unauthorized,
            "RESOURCE_EXHAUSTED" => PlatformErrorClass.RateLimited,
            "UNAVAILABLE" or "INTERNAL" or "DEADLINE_EXCEEDED" or "UNKNOWN" or "ABORTED" => PlatformErrorClass.Transient,
            _ when transientAds => PlatformErrorClass.Transient,
            null => http is { } h ? StatusClass(h) : PlatformErrorClass.Transient,
            _ => PlatformErrorClass.Permanent,
        };
        var firstAdsError = details.Failure?.Errors is { Count: > 0 } adsErrors ? adsErrors[0] : null;
        var subCode = firstAdsError?.ErrorCode is { Count: > 0 } code ? FormatErrorCode(code.First()) : details.ErrorInfo?.Reason;
        var retryAfter = details.RetryDelay
            ?? details.Failure?.Errors?.Select(e => ParseDuration(e.Details?.QuotaErrorDetails?.RetryDelay)).FirstOrDefault(d => d is not null)
            ?? headerRetryAfter;
        var requestId = details.Failure?.RequestId ?? details.RequestId ?? headerRequestId;
        var message = status?.Message ?? (http is null ? "the request failed" : $"HTTP {(int)http}");
        if (firstAdsError?.Message is { } adsMessage && !string.Equals(adsMessage, message, StringComparison.Ordinal))
        {
            message = $"{message} ({adsMessage})";
        }
        var exception = new PlatformApiException(Platform, errorClass, http, message, name, subCode, requestId, retryAfter);
        if (details.Violations.Count > 0)
        {
            exception.Data[ViolationsKey] = details.Violations;
        }
        return exception;
    }

    /// <summary>The field violations attached to an exception, if any.</summary>
    public static IReadOnlyList<GoogleViolation> Violations(PlatformApiException exception) =>
        exception.Data[ViolationsKey] as IReadOnlyList<GoogleViolation> ?? [];

    /// <summary>The index of the repeated <paramref name="collection"/> element a violation path starts with (<c>events[3].…</c> → 3).</summary>
    public static int? IndexIn(string field, string collection)
    {
        var match = IndexedPath().Match(field);
        return match.Success && string.Equals(match.Groups[1].Value, collection, StringComparison.Ordinal)
            ? int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>The details of a partial failure, for per-operation mapping.</summary>
    public static GoogleAdsFailure? Failure(RpcStatus? status) => Parse(status?.Details).Failure;

    /// <summary><c>{"quotaError": "RESOURCE_EXHAUSTED"}</c> → <c>QuotaError.RESOURCE_EXHAUSTED</c>.</summary>
    public static string FormatErrorCode(KeyValuePair<string, string> code) =>
        code.Key.Length == 0 ? code.Value : $"{char.ToUpperInvariant(code.Key[0])}{code.Key[1..]}.{code.Value}";

    /// <summary>Parses a protobuf JSON duration (<c>"30s"</c>, <c>"1.5s"</c>).</summary>
    public static TimeSpan? ParseDuration(string? value)
    {
        if (string.IsNullOrEmpty(value) || !value.EndsWith('s'))
        {
            return null;
        }
        if (!double.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds))
        {
            return null;
        }
        // A hostile or broken hint ("99999999999999999999s", "-5s") is clamped, never an overflow.
        return PlatformApiClient.ClampRetryAfter(seconds >= PlatformApiClient.MaxRetryAfter.TotalSeconds ? PlatformApiClient.MaxRetryAfter : TimeSpan.FromSeconds(Math.Max(0, seconds)));
    }

    private static PlatformErrorClass StatusClass(HttpStatusCode status) => (int)status switch
    {
        408 or >= 500 => PlatformErrorClass.Transient,
        429 => PlatformErrorClass.RateLimited,
        401 => PlatformErrorClass.AuthenticationExpired,
        403 => PlatformErrorClass.Unauthorized,
        _ => PlatformErrorClass.Permanent,
    };

    private static string? CanonicalName(int? code, HttpStatusCode? http)
    {
        // Inside partialFailureError the code is the gRPC code; at the top level it is the HTTP status.
        if (code is { } c && http is null)
        {
            return c switch
            {
                1 => "CANCELLED", 2 => "UNKNOWN", 3 => "INVALID_ARGUMENT", 4 => "DEADLINE_EXCEEDED", 5 => "NOT_FOUND",
                6 => "ALREADY_EXISTS", 7 => "PERMISSION_DENIED", 8 => "RESOURCE_EXHAUSTED", 9 => "FAILED_PRECONDITION",
                10 => "ABORTED", 11 => "OUT_OF_RANGE", 12 => "UNIMPLEMENTED", 13 => "INTERNAL", 14 => "UNAVAILABLE",
                15 => "DATA_LOSS", 16 => "UNAUTHENTICATED", _ => null,
            };
        }
        return null;
    }

    private sealed record ParsedDetails(GoogleAdsFailure? Failure, TimeSpan? RetryDelay, ErrorInfo? ErrorInfo, string? RequestId, IReadOnlyList<GoogleViolation> Violations);

    private static ParsedDetails Parse(IReadOnlyList<JsonElement>? details)
    {
        GoogleAdsFailure? failure = null;
        TimeSpan? retry = null;
        ErrorInfo? info = null;
        string? requestId = null;
        var violations = new List<GoogleViolation>();
        foreach (var detail in details ?? [])
        {
            if (detail.ValueKind != JsonValueKind.Object || !detail.TryGetProperty("@type", out var typeElement) || typeElement.GetString() is not { } type)
            {
                continue;
            }
            type = type.StartsWith(TypePrefix, StringComparison.Ordinal) ? type[TypePrefix.Length..] : type;
            try
            {
                if (type.EndsWith(".errors.GoogleAdsFailure", StringComparison.Ordinal))
                {
                    failure ??= detail.Deserialize(GoogleJsonContext.Default.GoogleAdsFailure);
                }
                else if (type == "google.rpc.RetryInfo")
                {
                    retry ??= ParseDuration(detail.Deserialize(GoogleJsonContext.Default.RetryInfo)?.RetryDelay);
                }
                else if (type == "google.rpc.ErrorInfo")
                {
                    info ??= detail.Deserialize(GoogleJsonContext.Default.ErrorInfo);
                }
                else if (type == "google.rpc.RequestInfo")
                {
                    requestId ??= detail.Deserialize(GoogleJsonContext.Default.RequestInfo)?.RequestId;
                }
                else if (type == "google.rpc.BadRequest")
                {
                    foreach (var v in detail.Deserialize(GoogleJsonContext.Default.BadRequest)?.FieldViolations ?? [])
                    {
                        if (v.Field is not null)
                        {
                            violations.Add(new GoogleViolation(v.Field, v.Reason, v.Description));
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // an unreadable detail does not hide the status itself
            }
        }
        return new ParsedDetails(failure, retry, info, requestId, violations);
    }

    private static bool IsWellFormedJson(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return true;
        }
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
            }
            return reader.BytesConsumed == body.Length || body[(int)reader.BytesConsumed..].Trim(" \r\n\t"u8).IsEmpty;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Header(PlatformResponse response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static TimeSpan? RetryAfterHeader(PlatformResponse response)
    {
        var header = response.Headers.RetryAfter;
        return PlatformApiClient.ClampRetryAfter(header?.Delta);
    }

    [GeneratedRegex(@"^([A-Za-z_]+)\[([0-9]+)\]")]
    private static partial Regex IndexedPath();
}
