using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.TencentAds.Tokens;

/// <summary>
/// The Tencent Ads OAuth2 token pair, rotated once per fleet. A refresh (<c>oauth/token</c>,
/// <c>grant_type=refresh_token</c>) returns a new access and refresh token and kills the old pair at once; the shared
/// <see cref="RotatingTokenPairProvider"/> keeps the pair in <see cref="IStateStore"/> (scope <see cref="StateScope"/>),
/// lets one host per fleet refresh under an <see cref="ILeaseStore"/> lease and saves the new pair by compare-and-swap
/// before it is used. This class only makes the refresh call. Tokens never appear in logs, exceptions or
/// <see cref="object.ToString"/>.
/// </summary>
public sealed partial class TencentAdsTokenProvider : RotatingTokenPairProvider
{
    /// <summary>The state store scope of stored token pairs.</summary>
    public const string StateScope = "tencent_ads.tokens";

    private readonly Func<HttpClient> _http;
    private readonly TencentAdsPlatformOptions _options;

    /// <summary>Creates the provider.</summary>
    /// <param name="http">Creates the client that calls <c>oauth/token</c> (base address = the API host).</param>
    /// <param name="options">The settings (client id and secret; the first pair).</param>
    /// <param name="store">The durable store shared by every host.</param>
    /// <param name="leases">The lease store shared by every host.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public TencentAdsTokenProvider(Func<HttpClient> http, TencentAdsPlatformOptions options, IStateStore store, ILeaseStore leases, TimeProvider? timeProvider = null, ILogger<TencentAdsTokenProvider>? logger = null)
        : base(SettingsOf(options), store, leases, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _options = options;
    }

    private static RotatingTokenPairSettings SettingsOf(TencentAdsPlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.RotatesTokens)
        {
            throw new MarketingValidationException(nameof(options.ClientSecret), ValidationReason.Missing, "token rotation needs a client id, a client secret and a refresh token");
        }
        return new RotatingTokenPairSettings
        {
            Platform = TencentAdsPlatformClient.PlatformId,
            StateScope = StateScope,
            Key = KeyOf(options.ClientId!, options.AccountId, options.ClientSecret!),
            SeedAccessToken = options.AccessToken,
            SeedRefreshToken = options.RefreshToken!,
            RefreshBefore = options.RefreshBefore,
            PeerWait = options.PeerWait,
        };
    }

    /// <summary>The state store key of a credential: app id, account and a hash prefix of the secret (never the secret).</summary>
    /// <param name="clientId">The app id.</param>
    /// <param name="accountId">The account.</param>
    /// <param name="secret">The app secret.</param>
    public static string KeyOf(string clientId, string accountId, string secret) => CredentialKey(secret, [clientId, accountId]);

    /// <inheritdoc />
    protected override async Task<TokenPair> RefreshPairAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var path = "oauth/token?client_id=" + Uri.EscapeDataString(_options.ClientId!)
            + "&client_secret=" + Uri.EscapeDataString(_options.ClientSecret!)
            + "&grant_type=refresh_token&refresh_token=" + Uri.EscapeDataString(refreshToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Options.Set(PlatformRetry.Retriable, false);
        HttpResponseMessage response;
        try
        {
            response = await _http().SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, PlatformErrorClass.Transient, null, "oauth/token could not be reached", innerException: ex);
        }
        using (response)
        {
            var body = await PlatformApiClient.ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false);
            var envelope = body is null ? null : TencentAdsPlatformClient.TryParseEnvelope(body);
            if (envelope?.Code is not { } code)
            {
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, (int)response.StatusCode >= 500 || response.IsSuccessStatusCode ? PlatformErrorClass.Transient : PlatformErrorClass.Permanent,
                    response.StatusCode, "oauth/token answered without a Tencent Ads envelope", PlatformApiClient.MalformedAnswerCode);
            }
            if (code != 0)
            {
                var errorClass = TencentAdsErrorCodes.Classify(code) switch
                {
                    PlatformErrorClass.AuthenticationExpired => PlatformErrorClass.Unauthorized, // a refresh token refused is not cured by another refresh
                    { } c => c,
                    null => PlatformErrorClass.Permanent,
                };
                LogRefreshFailed(Logger, code);
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, errorClass, response.StatusCode,
                    code == TencentAdsErrorCodes.RefreshTokenExpired ? "the refresh token expired or was used: authorise the app again" : "oauth/token refused the refresh",
                    code.ToString(CultureInfo.InvariantCulture), requestId: envelope.TraceId);
            }
            OAuthData? data = null;
            if (envelope.Data is { ValueKind: JsonValueKind.Object } d)
            {
                try
                {
                    data = d.Deserialize(TencentAdsJsonContext.Default.OAuthData);
                }
                catch (JsonException)
                {
                    // handled below
                }
            }
            if (data is not { AccessToken.Length: > 0, RefreshToken.Length: > 0 })
            {
                // Tencent may have rotated the pair already; nothing here can recover it.
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, PlatformErrorClass.Unauthorized, response.StatusCode, "oauth/token answered without a new token pair; authorise the app again", PlatformApiClient.MalformedAnswerCode);
            }
            var now = Time.GetUtcNow();
            return new TokenPair(data.AccessToken!, data.RefreshToken!,
                data.AccessTokenExpiresIn is > 0 ? now.AddSeconds(data.AccessTokenExpiresIn.Value) : null,
                data.RefreshTokenExpiresIn is > 0 ? now.AddSeconds(data.RefreshTokenExpiresIn.Value) : null);
        }
    }

    /// <inheritdoc />
    protected override void OnRotated(TokenPair pair) =>
        LogRefreshed(Logger, pair.AccessExpiresAt is { } at ? (long)(at - Time.GetUtcNow()).TotalSeconds : 0);

    /// <inheritdoc />
    protected override void OnWaitingForPeer() => LogWaitingForPeer(Logger);

    [LoggerMessage(EventId = 5810, Level = LogLevel.Information, Message = "Rotated the Tencent Ads token pair; the new access token is valid for {ExpiresIn} s")]
    private static partial void LogRefreshed(ILogger logger, long expiresIn);

    [LoggerMessage(EventId = 5811, Level = LogLevel.Debug, Message = "Another host is rotating the Tencent Ads token pair; waiting for it")]
    private static partial void LogWaitingForPeer(ILogger logger);

    [LoggerMessage(EventId = 5812, Level = LogLevel.Warning, Message = "oauth/token refused the Tencent Ads refresh with code {Code}")]
    private static partial void LogRefreshFailed(ILogger logger, int code);
}
