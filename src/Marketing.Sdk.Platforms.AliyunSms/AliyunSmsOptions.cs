using Marketing.Sdk.Platforms.Sms;

namespace Marketing.Sdk.Platforms.AliyunSms;

/// <summary>
/// Settings of the Alibaba Cloud SMS channel (Dysmsapi 2017-05-25). The AccessKey secret is read on every call (so
/// rotating it takes effect without a restart) and never appears in <see cref="ToString"/> or logs.
/// </summary>
public sealed class AliyunSmsOptions : SmsProviderOptions
{
    /// <summary>The name of the <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.AliyunSms";

    /// <summary>The production endpoint, <c>https://dysmsapi.aliyuncs.com/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://dysmsapi.aliyuncs.com/");

    /// <summary>The most numbers of one <c>SendBatchSms</c> call (100).</summary>
    public const int MaxBatchNumbers = 100;

    /// <summary>The RAM user's AccessKey id.</summary>
    public string AccessKeyId { get; set; } = "";

    /// <summary>The RAM user's AccessKey secret (a secret).</summary>
    public string AccessKeySecret { get; set; } = "";

    /// <summary>The wait given with <c>isv.BUSINESS_LIMIT_CONTROL</c> when the message does not say which window was hit (default 1 hour).</summary>
    public TimeSpan BusinessLimitRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <inheritdoc />
    /// <remarks>Alibaba Cloud's defaults for one number: 1 per minute, 5 per hour, 10 per day.</remarks>
    protected override IReadOnlyList<SmsFlowWindow> DefaultFlowLimits { get; } =
        [SmsFlowWindow.Of(TimeSpan.FromMinutes(1), 1), SmsFlowWindow.Of(TimeSpan.FromHours(1), 5), SmsFlowWindow.Of(TimeSpan.FromDays(1), 10)];

    /// <inheritdoc />
    protected override int ProviderMaxBatchSize => MaxBatchNumbers;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(AccessKeyId))
        {
            yield return $"{nameof(AccessKeyId)} is required.";
        }
        if (string.IsNullOrWhiteSpace(AccessKeySecret))
        {
            yield return $"{nameof(AccessKeySecret)} is required.";
        }
        if (BusinessLimitRetryAfter <= TimeSpan.Zero)
        {
            yield return $"{nameof(BusinessLimitRetryAfter)} must be positive.";
        }
    }

    /// <summary>Describes the options without the secrets.</summary>
    public override string ToString() =>
        $"AliyunSmsOptions {{ ChannelName = {ChannelName}, AccessKeyId = {AccessKeyId}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, AccessKeySecret = {(string.IsNullOrEmpty(AccessKeySecret) ? "(none)" : "***")}, CallbackToken = {(string.IsNullOrEmpty(CallbackToken) ? "(none)" : "***")} }}";
}
