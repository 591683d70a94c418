using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.Meta;

/// <summary>One business-use-case entry of <c>X-Business-Use-Case-Usage</c>.</summary>
/// <param name="BusinessId">The ad account or business object the entry concerns.</param>
/// <param name="Type">The use case (<c>ads_management</c>, <c>ads_insights</c>, <c>custom_audience</c>…).</param>
/// <param name="CallCount">Share of the call quota used, in percent.</param>
/// <param name="TotalCpuTime">Share of the CPU-time quota used, in percent.</param>
/// <param name="TotalTime">Share of the total-time quota used, in percent.</param>
/// <param name="EstimatedTimeToRegainAccess">How long calls stay blocked, when throttled.</param>
public sealed record MetaBusinessUseCaseUsage(string BusinessId, string Type, int CallCount, int TotalCpuTime, int TotalTime, TimeSpan EstimatedTimeToRegainAccess);

/// <summary>The latest usage Meta reported in its response headers.</summary>
/// <param name="ObservedAt">When the headers were read.</param>
/// <param name="AppCallCount"><c>X-App-Usage</c> <c>call_count</c> (percent), if sent.</param>
/// <param name="AppTotalTime"><c>X-App-Usage</c> <c>total_time</c> (percent), if sent.</param>
/// <param name="AppTotalCpuTime"><c>X-App-Usage</c> <c>total_cputime</c> (percent), if sent.</param>
/// <param name="AdAccountUtilPercent"><c>X-Ad-Account-Usage</c> <c>acc_id_util_pct</c>, if sent.</param>
/// <param name="AdAccountResetTime"><c>X-Ad-Account-Usage</c> <c>reset_time_duration</c>, if sent.</param>
/// <param name="BusinessUseCases">The <c>X-Business-Use-Case-Usage</c> entries.</param>
public sealed record MetaUsageSnapshot(
    DateTimeOffset ObservedAt,
    int? AppCallCount,
    int? AppTotalTime,
    int? AppTotalCpuTime,
    double? AdAccountUtilPercent,
    TimeSpan? AdAccountResetTime,
    IReadOnlyList<MetaBusinessUseCaseUsage> BusinessUseCases)
{
    /// <summary>The highest usage percentage of any quota reported.</summary>
    public double MaxPercent => new double?[] { AppCallCount, AppTotalTime, AppTotalCpuTime, AdAccountUtilPercent }
        .Concat(BusinessUseCases.SelectMany(b => new double?[] { b.CallCount, b.TotalCpuTime, b.TotalTime }))
        .Max() ?? 0;

    /// <summary>The wait Meta asked for, if any: the longest <c>estimated_time_to_regain_access</c>, else the ad-account reset time when at 100 %.</summary>
    public TimeSpan? ExplicitWait
    {
        get
        {
            var buc = BusinessUseCases.Count == 0 ? TimeSpan.Zero : BusinessUseCases.Max(b => b.EstimatedTimeToRegainAccess);
            if (buc > TimeSpan.Zero)
            {
                return buc;
            }
            return AdAccountUtilPercent >= 100 && AdAccountResetTime > TimeSpan.Zero ? AdAccountResetTime : null;
        }
    }

    /// <summary>Whether <c>X-App-Usage</c> reports a quota at 100 % or more.</summary>
    public bool AppQuotaExhausted => AppCallCount >= 100 || AppTotalTime >= 100 || AppTotalCpuTime >= 100;
}

/// <summary>Reads Meta's error envelope and usage headers and classifies errors.</summary>
internal static class MetaErrors
{
    public const string BusinessUseCaseUsageHeader = "X-Business-Use-Case-Usage";
    public const string AppUsageHeader = "X-App-Usage";
    public const string AdAccountUsageHeader = "X-Ad-Account-Usage";

    /// <summary>
    /// The class of a Meta error code: 1, 2 (or <c>is_transient</c>) transient; 4, 17, 32, 613 and
    /// 80000–80014 rate limited; 190, 102 expired or invalid token; 10 and 200–299 missing permission;
    /// everything else (100 invalid parameter…) permanent. An <c>OAuthException</c> without a code is an expired token.
    /// (<see cref="Classify"/> further treats code 100 with subcode 33, an unreachable object, as unauthorized.)
    /// </summary>
    public static PlatformErrorClass ClassifyCode(int code, string? type, bool? isTransient) => code switch
    {
        1 or 2 => PlatformErrorClass.Transient,
        4 or 17 or 32 or 613 or (>= 80000 and <= 80014) => PlatformErrorClass.RateLimited,
        190 or 102 => PlatformErrorClass.AuthenticationExpired,
        0 when string.Equals(type, "OAuthException", StringComparison.Ordinal) => PlatformErrorClass.AuthenticationExpired,
        10 or (>= 200 and <= 299) => PlatformErrorClass.Unauthorized,
        _ when isTransient == true => PlatformErrorClass.Transient,
        _ => PlatformErrorClass.Permanent,
    };

    public static MetaError? ReadError(ReadOnlyMemory<byte> body)
    {
        if (body.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(body.Span, MetaJsonContext.Default.MetaErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static PlatformApiException? Classify(PlatformResponse response, MetaUsageSnapshot? usage, TimeSpan appUsageWait)
    {
        var error = ReadError(response.Body);
        var status = (int)response.StatusCode;
        if (error is null)
        {
            if (status is >= 200 and < 300)
            {
                return null;
            }
            var statusClass = ClassifyStatusCode(response.StatusCode);
            return new PlatformApiException(MetaPlatformClient.PlatformId, statusClass, response.StatusCode,
                $"HTTP {status} without a Graph error body", retryAfter: statusClass == PlatformErrorClass.RateLimited ? WaitHint(response, usage, appUsageWait) : null);
        }
        var code = error.Code ?? 0;
        var errorClass = error.Code is null && !string.Equals(error.Type, "OAuthException", StringComparison.Ordinal)
            ? ClassifyStatusCode(response.StatusCode)
            : ClassifyCode(code, error.Type, error.IsTransient);
        if (errorClass == PlatformErrorClass.Permanent && status >= 500)
        {
            // An unknown code on a server error: the server failed, not the request.
            errorClass = PlatformErrorClass.Transient;
        }
        if (code == 100 && error.ErrorSubcode == UnknownObjectSubcode)
        {
            // "Object does not exist, cannot be loaded due to missing permissions": a pixel, audience or
            // account the token cannot reach is a setup problem to fix, not a reason to drop data.
            errorClass = PlatformErrorClass.Unauthorized;
        }
        TimeSpan? retryAfter = errorClass == PlatformErrorClass.RateLimited ? WaitHint(response, usage, appUsageWait) : null;
        var message = string.IsNullOrWhiteSpace(error.ErrorUserTitle) ? error.Message ?? "no message" : $"{error.Message} ({error.ErrorUserTitle})";
        var exception = new PlatformApiException(MetaPlatformClient.PlatformId, errorClass, response.StatusCode, message,
            error.Code?.ToString(CultureInfo.InvariantCulture), error.ErrorSubcode?.ToString(CultureInfo.InvariantCulture), error.FbtraceId, retryAfter);
        exception.Data[ErrorTypeKey] = error.Type;
        return exception;
    }

    /// <summary>The error subcode of an object that does not exist or cannot be loaded with the token's permissions.</summary>
    public const int UnknownObjectSubcode = 33;

    /// <summary>The key under which the Graph error <c>type</c> is kept in <see cref="Exception.Data"/>.</summary>
    public const string ErrorTypeKey = "meta.error_type";

    /// <summary>
    /// Whether a permanent error of a Conversions API request concerns the events (an invalid parameter
    /// of some event, reported as <c>OAuthException</c> code 100) rather than the request itself (a
    /// <c>GraphMethodException</c> such as a missing <c>appsecret_proof</c>).
    /// </summary>
    public static bool IsAboutTheEvents(PlatformApiException exception) =>
        exception.ErrorClass == PlatformErrorClass.Permanent
        && exception.StatusCode is not null
        && !string.Equals(exception.Data[ErrorTypeKey] as string, "GraphMethodException", StringComparison.Ordinal);

    private static PlatformErrorClass ClassifyStatusCode(HttpStatusCode status) => (int)status switch
    {
        408 or >= 500 => PlatformErrorClass.Transient,
        429 => PlatformErrorClass.RateLimited,
        401 => PlatformErrorClass.AuthenticationExpired,
        403 => PlatformErrorClass.Unauthorized,
        _ => PlatformErrorClass.Permanent,
    };

    /// <summary>The wait hint of a throttled answer: business-use-case regain time, ad-account reset time, app usage at 100 %, then <c>Retry-After</c>.</summary>
    public static TimeSpan? WaitHint(PlatformResponse response, MetaUsageSnapshot? usage, TimeSpan appUsageWait)
    {
        if (usage?.ExplicitWait is { } wait)
        {
            return wait;
        }
        if (usage?.AppQuotaExhausted == true && appUsageWait > TimeSpan.Zero)
        {
            return appUsageWait;
        }
        var header = response.Headers.RetryAfter;
        return header?.Delta;
    }

    /// <summary>Reads the usage headers; <see langword="null"/> when none is present.</summary>
    public static MetaUsageSnapshot? ReadUsage(HttpResponseHeaders headers, DateTimeOffset now)
    {
        var buc = Header(headers, BusinessUseCaseUsageHeader);
        var app = Header(headers, AppUsageHeader);
        var account = Header(headers, AdAccountUsageHeader);
        if (buc is null && app is null && account is null)
        {
            return null;
        }
        var cases = new List<MetaBusinessUseCaseUsage>();
        int? appCalls = null, appTime = null, appCpu = null;
        double? accountPct = null;
        TimeSpan? accountReset = null;
        if (buc is not null && TryParse(buc, out var bucDoc))
        {
            using (bucDoc)
            {
                if (bucDoc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var business in bucDoc.RootElement.EnumerateObject())
                    {
                        if (business.Value.ValueKind != JsonValueKind.Array)
                        {
                            continue;
                        }
                        foreach (var entry in business.Value.EnumerateArray())
                        {
                            cases.Add(new MetaBusinessUseCaseUsage(
                                business.Name,
                                entry.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "unknown",
                                Int(entry, "call_count") ?? 0,
                                Int(entry, "total_cputime") ?? 0,
                                Int(entry, "total_time") ?? 0,
                                TimeSpan.FromMinutes(Math.Max(0, Int(entry, "estimated_time_to_regain_access") ?? 0))));
                        }
                    }
                }
            }
        }
        if (app is not null && TryParse(app, out var appDoc))
        {
            using (appDoc)
            {
                if (appDoc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    appCalls = Int(appDoc.RootElement, "call_count");
                    appTime = Int(appDoc.RootElement, "total_time");
                    appCpu = Int(appDoc.RootElement, "total_cputime");
                }
            }
        }
        if (account is not null && TryParse(account, out var accountDoc))
        {
            using (accountDoc)
            {
                if (accountDoc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    accountPct = Number(accountDoc.RootElement, "acc_id_util_pct");
                    accountReset = Number(accountDoc.RootElement, "reset_time_duration") is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null;
                }
            }
        }
        return new MetaUsageSnapshot(now, appCalls, appTime, appCpu, accountPct, accountReset, cases);
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static bool TryParse(string json, out JsonDocument document)
    {
        try
        {
            document = JsonDocument.Parse(json);
            return true;
        }
        catch (JsonException)
        {
            document = null!;
            return false;
        }
    }

    private static int? Int(JsonElement element, string name) => Number(element, name) is { } d ? (int)Math.Round(d) : null;

    private static double? Number(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetDouble(),
            JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }
}
