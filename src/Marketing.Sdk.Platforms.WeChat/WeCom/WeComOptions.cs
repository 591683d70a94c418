using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>
/// Settings of the WeCom (企业微信) client. The application secret is a secret: it never appears in
/// <see cref="ToString"/>, logs or cache keys (only a hash prefix of it does).
/// </summary>
public sealed class WeComOptions : PlatformClientOptions
{
    /// <summary>The name of the WeCom <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.WeChat.WeCom";

    /// <summary>WeCom's limit of customers per <c>add_msg_template</c> task (10 000).</summary>
    public const int MaxRecipientsPerMassTask = 10_000;

    /// <summary>WeCom's limit of mass messages one customer receives from a corp per natural month (4).</summary>
    public const int PlatformMonthlyMassMessageLimit = 4;

    /// <summary>The production host, <c>https://qyapi.weixin.qq.com/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://qyapi.weixin.qq.com/");

    /// <summary>The corp id (<c>corpid</c>).</summary>
    public string CorpId { get; set; } = "";

    /// <summary>The secret of the application (or of 客户联系) the token is fetched with (<c>corpsecret</c>).</summary>
    public string CorpSecret { get; set; } = "";

    /// <summary>The application's agent id, needed by app messages (<c>message/send</c>); 0 when app messages are not used.</summary>
    public int AgentId { get; set; }

    /// <summary>Customers per <c>add_msg_template</c> task, 1–10 000 (default 10 000; larger sends are split into several tasks).</summary>
    public int MassTaskSize { get; set; } = MaxRecipientsPerMassTask;

    /// <summary>Mass messages one customer may receive per natural month, 1–4 (default 4, WeCom's own limit); checked before each send.</summary>
    public int MonthlyMassMessageLimit { get; set; } = PlatformMonthlyMassMessageLimit;

    /// <summary>The time zone whose calendar months the monthly cap counts in (default <c>Asia/Shanghai</c>, WeCom's).</summary>
    public string CapTimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>The member (<c>userid</c>) mass messages are sent as, or <see langword="null"/> to let WeCom assign each customer to the members who have them as a contact.</summary>
    public string? MassMessageSender { get; set; }

    /// <summary>
    /// The profile identity kind that holds a recipient's WeCom member <c>userid</c> for app messages (default
    /// <see cref="IdentityKind.ExternalId"/>: link the member id to the profile as an external id).
    /// </summary>
    public IdentityKind AppMessageAddressKind { get; set; } = IdentityKind.ExternalId;

    /// <summary>Whether app messages ask WeCom to drop an identical message sent within <see cref="DuplicateCheckInterval"/> (default true).</summary>
    public bool EnableDuplicateCheck { get; set; } = true;

    /// <summary>The window of WeCom's duplicate check for app messages (default 1 800 s; at most 4 hours).</summary>
    public TimeSpan DuplicateCheckInterval { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>
    /// Message texts by SDK template id, with <c>{parameter}</c> placeholders (e.g. <c>"Your coupon {coupon_code} expires soon"</c>).
    /// A template without an entry sends its <c>content</c> parameter as the text.
    /// </summary>
    public IDictionary<string, string> Texts { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Contacts per <c>batch/get_by_user</c> page, 1–100 (default 100).</summary>
    public int ContactPageSize { get; set; } = 100;

    /// <summary>Pages one contact-sync run reads at most before it stops and keeps its cursor for the next run (default 1 000).</summary>
    public int MaxContactPagesPerRun { get; set; } = 1_000;

    /// <summary>The wait hint reported for WeCom's frequency errors (45009, 45011, 45033), which carry none (default 60 s).</summary>
    public TimeSpan ThrottleRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long mass-message tasks are polled for results before they are closed (default 3 days).</summary>
    public TimeSpan MassResultTracking { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How often mass-message results are polled in the background (default 5 minutes; zero turns the background poll off).</summary>
    public TimeSpan MassResultPollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(CorpId))
        {
            yield return $"{nameof(CorpId)} is required.";
        }
        if (string.IsNullOrWhiteSpace(CorpSecret))
        {
            yield return $"{nameof(CorpSecret)} is required.";
        }
        if (AgentId < 0)
        {
            yield return $"{nameof(AgentId)} cannot be negative.";
        }
        if (MassTaskSize is < 1 or > MaxRecipientsPerMassTask)
        {
            yield return $"{nameof(MassTaskSize)} must be between 1 and {MaxRecipientsPerMassTask}.";
        }
        if (MonthlyMassMessageLimit is < 1 or > PlatformMonthlyMassMessageLimit)
        {
            yield return $"{nameof(MonthlyMassMessageLimit)} must be between 1 and {PlatformMonthlyMassMessageLimit}.";
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(CapTimeZone ?? "", out _))
        {
            yield return $"{nameof(CapTimeZone)} must be a known time zone id.";
        }
        if (DuplicateCheckInterval <= TimeSpan.Zero || DuplicateCheckInterval > TimeSpan.FromHours(4))
        {
            yield return $"{nameof(DuplicateCheckInterval)} must be positive and at most 4 hours.";
        }
        if (ContactPageSize is < 1 or > 100)
        {
            yield return $"{nameof(ContactPageSize)} must be between 1 and 100.";
        }
        if (MaxContactPagesPerRun < 1)
        {
            yield return $"{nameof(MaxContactPagesPerRun)} must be at least 1.";
        }
        if (MassResultPollInterval < TimeSpan.Zero)
        {
            yield return $"{nameof(MassResultPollInterval)} cannot be negative.";
        }
        if (MassResultTracking <= TimeSpan.Zero)
        {
            yield return $"{nameof(MassResultTracking)} must be positive.";
        }
    }

    /// <summary>Describes the options without the secret.</summary>
    public override string ToString() =>
        $"WeComOptions {{ CorpId = {CorpId}, AgentId = {AgentId}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, CorpSecret = {(string.IsNullOrEmpty(CorpSecret) ? "(none)" : "***")} }}";
}
