using Marketing.Sdk.Platforms.Sms;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

/// <summary>
/// Settings of the Tencent Cloud SMS channel (API 3.0, version 2021-01-11). The SecretKey is read on every call and
/// never appears in <see cref="ToString"/> or logs.
/// </summary>
public sealed class TencentCloudSmsOptions : SmsProviderOptions
{
    /// <summary>The name of the <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.TencentCloudSms";

    /// <summary>The production endpoint, <c>https://sms.tencentcloudapi.com/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://sms.tencentcloudapi.com/");

    /// <summary>The most numbers of one SendSms call (200).</summary>
    public const int MaxNumbersPerCall = 200;

    /// <summary>The API key's SecretId.</summary>
    public string SecretId { get; set; } = "";

    /// <summary>The API key's SecretKey (a secret).</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>The SMS application's <c>SmsSdkAppId</c> (e.g. <c>1400006666</c>).</summary>
    public string SmsSdkAppId { get; set; } = "";

    /// <summary>The region (<c>X-TC-Region</c>; default <c>ap-guangzhou</c>).</summary>
    public string Region { get; set; } = "ap-guangzhou";

    /// <inheritdoc />
    /// <remarks>Tencent Cloud's default frequency policy for one number: 1 per 30 seconds, 5 per hour, 10 per day.</remarks>
    protected override IReadOnlyList<SmsFlowWindow> DefaultFlowLimits { get; } =
        [SmsFlowWindow.Of(TimeSpan.FromSeconds(30), 1), SmsFlowWindow.Of(TimeSpan.FromHours(1), 5), SmsFlowWindow.Of(TimeSpan.FromDays(1), 10)];

    /// <inheritdoc />
    protected override int ProviderMaxBatchSize => MaxNumbersPerCall;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(SecretId))
        {
            yield return $"{nameof(SecretId)} is required.";
        }
        if (string.IsNullOrWhiteSpace(SecretKey))
        {
            yield return $"{nameof(SecretKey)} is required.";
        }
        if (string.IsNullOrWhiteSpace(SmsSdkAppId))
        {
            yield return $"{nameof(SmsSdkAppId)} is required.";
        }
        if (string.IsNullOrWhiteSpace(Region))
        {
            yield return $"{nameof(Region)} is required.";
        }
    }

    /// <summary>Describes the options without the secrets.</summary>
    public override string ToString() =>
        $"TencentCloudSmsOptions {{ ChannelName = {ChannelName}, SecretId = {SecretId}, SmsSdkAppId = {SmsSdkAppId}, Region = {Region}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, SecretKey = {(string.IsNullOrEmpty(SecretKey) ? "(none)" : "***")}, CallbackToken = {(string.IsNullOrEmpty(CallbackToken) ? "(none)" : "***")} }}";
}
