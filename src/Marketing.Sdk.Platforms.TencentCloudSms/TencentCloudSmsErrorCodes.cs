using Marketing.Sdk.Platforms;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

/// <summary>
/// The Tencent Cloud SMS codes the client knows and how each is handled. Per-number codes (in <c>SendStatusSet</c>):
/// <c>Ok</c>; the per-number frequency limits (<c>LimitExceeded.PhoneNumberThirtySecondLimit</c>,
/// <c>…OneHourLimit</c>, <c>…DailyLimit</c>, <c>…SameContentDailyLimit</c>) defer the message; <c>InternalError.*</c>
/// and <c>RequestTimeout</c> retry; <c>FailedOperation.*</c>, <c>InvalidParameterValue.*</c> and other codes are
/// permanent. Call-level codes (in <c>Response.Error</c>): <c>AuthFailure.*</c> and <c>UnauthorizedOperation.*</c>
/// concern the credentials (an operator must act), <c>RequestLimitExceeded*</c> and account quotas throttle,
/// <c>InternalError*</c> is temporary, anything else about the request is permanent.
/// Sources: https://cloud.tencent.com/document/api/382/55981 (SendSms error codes), https://cloud.tencent.com/document/api/382/52075.
/// </summary>
public static class TencentCloudSmsErrorCodes
{
    /// <summary>Success of one number.</summary>
    public const string Ok = "Ok";

    /// <summary>The signature did not verify.</summary>
    public const string SignatureFailure = "AuthFailure.SignatureFailure";

    /// <summary>More than one message to the number within 30 seconds.</summary>
    public const string ThirtySecondLimit = "LimitExceeded.PhoneNumberThirtySecondLimit";

    /// <summary>The number's hourly limit.</summary>
    public const string OneHourLimit = "LimitExceeded.PhoneNumberOneHourLimit";

    /// <summary>The number's daily limit.</summary>
    public const string DailyLimit = "LimitExceeded.PhoneNumberDailyLimit";

    /// <summary>An invalid number.</summary>
    public const string IncorrectPhoneNumber = "InvalidParameterValue.IncorrectPhoneNumber";

    /// <summary>How long a per-number code defers the message, or <see langword="null"/> when it is not a deferral; <paramref name="untilMidnight"/> is the wait of a daily limit.</summary>
    /// <param name="code">The code.</param>
    /// <param name="untilMidnight">The time to the next day in China.</param>
    public static TimeSpan? Deferral(string? code, TimeSpan untilMidnight) => code switch
    {
        ThirtySecondLimit => TimeSpan.FromSeconds(30),
        OneHourLimit => TimeSpan.FromHours(1),
        DailyLimit or "LimitExceeded.PhoneNumberSameContentDailyLimit" or "LimitExceeded.DeliveryFrequencyLimit" => untilMidnight,
        _ => null,
    };

    /// <summary>Whether a per-number code may succeed on a later attempt without a wait of its own (system errors).</summary>
    /// <param name="code">The code.</param>
    public static bool IsTemporary(string? code) =>
        code is not null && (code.StartsWith("InternalError", StringComparison.Ordinal) || code == "RequestTimeout");

    /// <summary>The class of a call-level error code.</summary>
    /// <param name="code">The code.</param>
    public static PlatformErrorClass ClassifyCall(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.StartsWith("AuthFailure", StringComparison.Ordinal) || code.StartsWith("UnauthorizedOperation", StringComparison.Ordinal)
            || code is "FailedOperation.InsufficientBalanceInSmsPackage" or "FailedOperation.ForbidAddMarketingTemplates")
        {
            return PlatformErrorClass.Unauthorized;
        }
        if (code.StartsWith("RequestLimitExceeded", StringComparison.Ordinal) || code is "LimitExceeded.AppDailyLimit" or "LimitExceeded.DailyLimit" or "LimitExceeded.AppCountryOrRegionDailyLimit")
        {
            return PlatformErrorClass.RateLimited;
        }
        if (code.StartsWith("InternalError", StringComparison.Ordinal) || code is "RequestTimeout" or "ResourceUnavailable")
        {
            return PlatformErrorClass.Transient;
        }
        return PlatformErrorClass.Permanent;
    }
}
