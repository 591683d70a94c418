namespace Marketing.Sdk.Platforms.AliyunSms;

/// <summary>How an Alibaba Cloud SMS code is handled.</summary>
public enum AliyunSmsCodeKind
{
    /// <summary><c>OK</c>.</summary>
    Ok = 0,
    /// <summary>The message cannot go out to this number now (per-number flow control): deferred, not failed.</summary>
    Deferred,
    /// <summary>The message never will go out as given (number, template, signature, content).</summary>
    MessagePermanent,
    /// <summary>The whole call failed for a reason that concerns the account (balance, credentials, permissions): an operator must act; retried later, never dropped.</summary>
    Account,
    /// <summary>The whole call was throttled (API rate, daily or monthly account quota).</summary>
    Throttled,
    /// <summary>The whole call failed for a temporary reason (system error, nonce reused).</summary>
    Transient,
}

/// <summary>
/// The Alibaba Cloud SMS codes the client knows and how each is handled. Sources: the API error centre of Dysmsapi
/// (https://help.aliyun.com/document_detail/101346.html) and the OpenAPI gateway's common errors.
/// </summary>
public static class AliyunSmsErrorCodes
{
    /// <summary>Success.</summary>
    public const string Ok = "OK";

    /// <summary>Per-number flow control (触发分钟级/小时级/天级流控): deferred.</summary>
    public const string BusinessLimitControl = "isv.BUSINESS_LIMIT_CONTROL";

    /// <summary>An invalid number: permanent.</summary>
    public const string MobileNumberIllegal = "isv.MOBILE_NUMBER_ILLEGAL";

    /// <summary>The account's balance is too low: an operator must top it up.</summary>
    public const string AmountNotEnough = "isv.AMOUNT_NOT_ENOUGH";

    /// <summary>The signature did not verify (wrong secret or a client bug).</summary>
    public const string SignatureDoesNotMatch = "SignatureDoesNotMatch";

    /// <summary>The API rate limit of the account.</summary>
    public const string Throttling = "Throttling.User";

    private static readonly Dictionary<string, AliyunSmsCodeKind> Known = new(StringComparer.Ordinal)
    {
        [Ok] = AliyunSmsCodeKind.Ok,
        [BusinessLimitControl] = AliyunSmsCodeKind.Deferred,
        [MobileNumberIllegal] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.MOBILE_COUNT_OVER_LIMIT"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.TEMPLATE_MISSING_PARAMETERS"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.INVALID_PARAMETERS"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.INVALID_JSON_PARAM"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.PARAM_LENGTH_LIMIT"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.PARAM_NOT_SUPPORT_URL"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.SMS_TEMPLATE_ILLEGAL"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.SMS_SIGNATURE_ILLEGAL"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.SMS_SIGNATURE_SCENE_ILLEGAL"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.SMS_CONTENT_ILLEGAL"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.SMS_SIGN_ILLEGAL"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.BLACK_KEY_CONTROL_LIMIT"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.DOMESTIC_NUMBER_NOT_SUPPORTED"] = AliyunSmsCodeKind.MessagePermanent,
        ["isv.EXTEND_CODE_ERROR"] = AliyunSmsCodeKind.MessagePermanent,
        [AmountNotEnough] = AliyunSmsCodeKind.Account,
        ["isv.OUT_OF_SERVICE"] = AliyunSmsCodeKind.Account,
        ["isv.ACCOUNT_NOT_EXISTS"] = AliyunSmsCodeKind.Account,
        ["isv.ACCOUNT_ABNORMAL"] = AliyunSmsCodeKind.Account,
        ["isv.PRODUCT_UN_SUBSCRIPT"] = AliyunSmsCodeKind.Account,
        ["isv.PRODUCT_UNSUBSCRIBE"] = AliyunSmsCodeKind.Account,
        ["isp.RAM_PERMISSION_DENY"] = AliyunSmsCodeKind.Account,
        ["isv.DENY_IP_RANGE"] = AliyunSmsCodeKind.Account,
        [SignatureDoesNotMatch] = AliyunSmsCodeKind.Account,
        ["IncompleteSignature"] = AliyunSmsCodeKind.Account,
        ["InvalidAccessKeyId.NotFound"] = AliyunSmsCodeKind.Account,
        ["InvalidAccessKeyId.Inactive"] = AliyunSmsCodeKind.Account,
        ["InvalidTimeStamp.Expired"] = AliyunSmsCodeKind.Account,
        ["Forbidden.RAM"] = AliyunSmsCodeKind.Account,
        ["isv.DAY_LIMIT_CONTROL"] = AliyunSmsCodeKind.Throttled,
        ["isv.MONTH_LIMIT_CONTROL"] = AliyunSmsCodeKind.Throttled,
        [Throttling] = AliyunSmsCodeKind.Throttled,
        ["Throttling"] = AliyunSmsCodeKind.Throttled,
        ["Throttling.Api"] = AliyunSmsCodeKind.Throttled,
        ["isp.SYSTEM_ERROR"] = AliyunSmsCodeKind.Transient,
        ["isv.SYSTEM_ERROR"] = AliyunSmsCodeKind.Transient,
        ["SignatureNonceUsed"] = AliyunSmsCodeKind.Transient,
        ["ServiceUnavailable"] = AliyunSmsCodeKind.Transient,
        ["InternalError"] = AliyunSmsCodeKind.Transient,
    };

    /// <summary>How a code is handled: known codes by the table; other <c>isv.*</c> codes concern the message (permanent); anything else is <see langword="null"/> (decided by the HTTP status).</summary>
    /// <param name="code">The code.</param>
    public static AliyunSmsCodeKind? Classify(string? code) =>
        code is null ? null
        : Known.TryGetValue(code, out var kind) ? kind
        : code.StartsWith("isv.", StringComparison.Ordinal) ? AliyunSmsCodeKind.MessagePermanent
        : code.StartsWith("Throttling", StringComparison.Ordinal) ? AliyunSmsCodeKind.Throttled
        : null;
}
