using System.Text.RegularExpressions;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.Google;

/// <summary>
/// Settings of the Google client: OAuth 2.0 credentials, the Google Ads account ids, where each
/// event type's conversions go, and the API versions. Secrets (client secret, refresh token,
/// developer token) never appear in <see cref="ToString"/> or logs.
/// </summary>
public sealed partial class GooglePlatformOptions : PlatformClientOptions
{
    /// <summary>The name of the Google <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.Google";

    /// <summary>The name of the <see cref="HttpClient"/> the OAuth token provider calls the token endpoint with.</summary>
    public const string TokenHttpClientName = HttpClientName + ".OAuth";

    /// <summary>The Data Manager API host (conversions and audiences). Overridden by <see cref="PlatformClientOptions.BaseAddress"/> when that is set (an emulator serves every API).</summary>
    public Uri DataManagerEndpoint { get; set; } = new("https://datamanager.googleapis.com/");

    /// <summary>The Google Ads API host (reporting and campaign control). Overridden by <see cref="PlatformClientOptions.BaseAddress"/> when that is set.</summary>
    public Uri GoogleAdsEndpoint { get; set; } = new("https://googleads.googleapis.com/");

    /// <summary>The Google Ads API version (default <c>v26</c>).</summary>
    public string GoogleAdsApiVersion { get; set; } = "v26";

    /// <summary>The OAuth 2.0 token endpoint (default Google's; point it at an emulator in tests).</summary>
    public Uri TokenEndpoint { get; set; } = new("https://oauth2.googleapis.com/token");

    /// <summary>The OAuth client id.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The OAuth client secret (secret).</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The OAuth refresh token with the <c>datamanager</c> and <c>adwords</c> scopes (secret).</summary>
    public string RefreshToken { get; set; } = "";

    /// <summary>The Google Ads developer token, sent as the <c>developer-token</c> header when set (optional since access levels moved to the Cloud project).</summary>
    public string? DeveloperToken { get; set; }

    /// <summary>The manager account the calls are made through, sent as <c>login-customer-id</c> (dashes removed) and as the Data Manager <c>loginAccount</c>; leave empty to act as the operating account itself.</summary>
    public string? LoginCustomerId { get; set; }

    /// <summary>The Google Ads account (customer id) conversions and audiences go to: the Data Manager <c>operatingAccount</c>.</summary>
    public string OperatingAccountId { get; set; } = "";

    /// <summary>The conversion action id per event type name (e.g. <c>purchase</c> → <c>123456789</c>): the Data Manager <c>productDestinationId</c>.</summary>
    public IDictionary<string, string> ConversionActions { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The conversion action for event types not in <see cref="ConversionActions"/>; when empty those conversions are rejected without being sent.</summary>
    public string? DefaultConversionActionId { get; set; }

    /// <summary>Validate requests without ingesting anything (Data Manager and Google Ads <c>validateOnly</c>).</summary>
    public bool ValidateOnly { get; set; }

    /// <summary>
    /// Whether conversions carry <c>adPersonalization: CONSENT_GRANTED</c> besides <c>adUserData</c> (default true).
    /// The delivery worker checks <c>PlatformDeliveryOptions.ConversionPurpose</c> before sending; set this
    /// to false when that purpose does not cover personalised advertising, and conversions say <c>CONSENT_DENIED</c> for it.
    /// </summary>
    public bool ConversionsGrantAdPersonalization { get; set; } = true;

    /// <summary>Whether the advertiser accepted the Customer Match terms of service (required by Google for audience uploads).</summary>
    public bool CustomerMatchTermsAccepted { get; set; }

    /// <summary>Conversions older than this are rejected without being sent (Google Ads imports clicks up to 90 days old; default 90 days).</summary>
    public TimeSpan MaxConversionAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The login customer id as digits only, or <see langword="null"/>.</summary>
    public string? LoginCustomerIdDigits => string.IsNullOrWhiteSpace(LoginCustomerId) ? null : LoginCustomerId.Replace("-", "", StringComparison.Ordinal).Trim();

    /// <summary>The operating account as digits only.</summary>
    public string OperatingAccountDigits => OperatingAccountId.Replace("-", "", StringComparison.Ordinal).Trim();

    /// <summary>The conversion action for an event type, or <see langword="null"/>.</summary>
    /// <param name="eventType">The event type name.</param>
    public string? ConversionActionFor(string eventType) =>
        ConversionActions.TryGetValue(eventType, out var id) ? id : string.IsNullOrWhiteSpace(DefaultConversionActionId) ? null : DefaultConversionActionId;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            yield return $"{nameof(ClientId)} is required.";
        }

        if (string.IsNullOrWhiteSpace(RefreshToken))
        {
            yield return $"{nameof(RefreshToken)} is required.";
        }

        if (!Digits().IsMatch(OperatingAccountDigits))
        {
            yield return $"{nameof(OperatingAccountId)} must be a Google Ads customer id (digits, dashes allowed).";
        }

        if (LoginCustomerIdDigits is { } login && !Digits().IsMatch(login))
        {
            yield return $"{nameof(LoginCustomerId)} must be a Google Ads customer id (digits, dashes allowed).";
        }

        if (!Version().IsMatch(GoogleAdsApiVersion ?? ""))
        {
            yield return $"{nameof(GoogleAdsApiVersion)} must look like v26.";
        }

        foreach (var (eventType, action) in ConversionActions)
        {
            if (!Digits().IsMatch(action ?? ""))
            {
                yield return $"{nameof(ConversionActions)}[{eventType}] must be a conversion action id (digits).";
            }
        }
        if (!string.IsNullOrWhiteSpace(DefaultConversionActionId) && !Digits().IsMatch(DefaultConversionActionId))
        {
            yield return $"{nameof(DefaultConversionActionId)} must be a conversion action id (digits).";
        }

        if (MaxConversionAge <= TimeSpan.Zero)
        {
            yield return $"{nameof(MaxConversionAge)} must be positive.";
        }

        foreach (var (name, uri) in new[] { (nameof(DataManagerEndpoint), DataManagerEndpoint), (nameof(GoogleAdsEndpoint), GoogleAdsEndpoint), (nameof(TokenEndpoint), TokenEndpoint) })
        {
            if (uri is null || !uri.IsAbsoluteUri)
            {
                yield return $"{name} must be an absolute URI.";
            }
        }
    }

    /// <summary>Describes the options without secrets.</summary>
    public override string ToString() =>
        $"GooglePlatformOptions {{ OperatingAccountId = {OperatingAccountId}, LoginCustomerId = {LoginCustomerId ?? "none"}, GoogleAdsApiVersion = {GoogleAdsApiVersion}, ConversionActions = {ConversionActions.Count}, ValidateOnly = {ValidateOnly}, BaseAddress = {BaseAddress?.ToString() ?? "production"} }}";

    [GeneratedRegex("^[0-9]{1,20}$")]
    internal static partial Regex Digits();

    [GeneratedRegex("^v[0-9]{1,3}$")]
    private static partial Regex Version();
}
