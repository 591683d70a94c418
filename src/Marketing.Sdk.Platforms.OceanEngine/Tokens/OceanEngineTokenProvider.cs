using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.OceanEngine.Tokens;

/// <summary>
/// The Ocean Engine OAuth2 token pair, rotated once per fleet. <c>POST /open_api/oauth2/refresh_token/</c> returns a new
/// access and refresh token and the old refresh token expires (bububa/oceanengine <c>api/oauth/refresh_token.go</c>: "每次刷新都会产生新的
/// access_token和Refresh_Token … 老的Refresh_token会过期"); the shared <see cref="RotatingTokenPairProvider"/> keeps the pair in
/// <see cref="IStateStore"/> (scope <see cref="StateScope"/>), lets one host per fleet refresh under an <see cref="ILeaseStore"/>
/// lease and saves the new pair by compare-and-swap before it is used. Tokens never appear in logs, exceptions or
/// <see cref="object.ToString"/>.
/// </summary>
public sealed partial class OceanEngineTokenProvider : RotatingTokenPairProvider
{
    /// <summary>The state store scope of stored token pairs.</summary>
    public const string StateScope = "ocean_engine.tokens";

    /// <summary>The refresh path (official Go SDK <c>api/api_oauth2_refresh_token.go</c>).</summary>
    public const string RefreshPath = "open_api/oauth2/refresh_token/";

    private readonly Func<HttpClient> _http;
    private readonly OceanEnginePlatformOptions _options;

    /// <summary>Creates the provider.</summary>
    /// <param name="http">Creates the client that calls the refresh endpoint (base address = the Marketing API host).</param>
    /// <param name="options">The settings (app id and secret; the first pair).</param>
    /// <param name="store">The durable store shared by every host.</param>
    /// <param name="leases">The lease store shared by every host.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public OceanEngineTokenProvider(Func<HttpClient> http, OceanEnginePlatformOptions options, IStateStore store, ILeaseStore leases, TimeProvider? timeProvider = null, ILogger<OceanEngineTokenProvider>? logger = null)
        : base(SettingsOf(options), store, leases, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _options = options;
    }

    private static RotatingTokenPairSettings SettingsOf(OceanEnginePlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.RotatesTokens || !long.TryParse(options.AppId, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new MarketingValidationException(nameof(options.Secret), ValidationReason.Missing, "token rotation needs an app id (digits), a secret and a refresh token");
        }
        return new RotatingTokenPairSettings
        {
            Platform = OceanEnginePlatformClient.PlatformId,
            StateScope = StateScope,
            Key = KeyOf(options.AppId!, options.AdvertiserId, options.Secret!),
            SeedAccessToken = options.AccessToken,
            SeedRefreshToken = options.RefreshToken!,
            RefreshBefore = options.RefreshBefore,
            PeerWait = options.PeerWait,
        };
    }

    /// <summary>The state store key of a credential: app id, advertiser and a hash prefix of the secret (never the secret).</summary>
    /// <param name="appId">The app id.</param>
    /// <param name="advertiserId">The advertiser.</param>
    /// <param name="secret">The secret.</param>
    public static string KeyOf(string appId, string advertiserId, string secret) => CredentialKey(secret, [appId, advertiserId]);

    /// <inheritdoc />
    protected override async Task<TokenPair> RefreshPairAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new RefreshRequest(long.Parse(_options.AppId!, CultureInfo.InvariantCulture), _options.Secret!, "refresh_token", refreshToken),
            OceanEngineJsonContext.Default.RefreshRequest);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(RefreshPath, UriKind.Relative)) { Content = content };
        request.Options.Set(PlatformRetry.Retriable, false);
        HttpResponseMessage response;
        try
        {
            response = await _http().SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PlatformApiException(OceanEnginePlatformClient.PlatformId, PlatformErrorClass.Transient, null, "oauth2/refresh_token could not be reached", innerException: ex);
        }
        using (response)
        {
            var bytes = await PlatformApiClient.ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false);
            var envelope = bytes is null ? null : OceanEnginePlatformClient.TryParseEnvelope(bytes);
            if (envelope?.Code is not { } code)
            {
                throw new PlatformApiException(OceanEnginePlatformClient.PlatformId, (int)response.StatusCode >= 500 || response.IsSuccessStatusCode ? PlatformErrorClass.Transient : PlatformErrorClass.Permanent,
                    response.StatusCode, "oauth2/refresh_token answered without an Ocean Engine envelope", PlatformApiClient.MalformedAnswerCode);
            }
            if (code != 0)
            {
                var errorClass = OceanEngineErrorCodes.Classify(code) switch
                {
                    PlatformErrorClass.AuthenticationExpired => PlatformErrorClass.Unauthorized, // a refused refresh is not cured by another refresh
                    { } c => c,
                    null => PlatformErrorClass.Permanent,
                };
                LogRefreshFailed(Logger, code);
                throw new PlatformApiException(OceanEnginePlatformClient.PlatformId, errorClass, response.StatusCode,
                    code is OceanEngineErrorCodes.RefreshTokenExpired or OceanEngineErrorCodes.RefreshTokenInvalid ? "the refresh token expired or was used: authorise the app again" : "oauth2/refresh_token refused the refresh",
                    code.ToString(CultureInfo.InvariantCulture), requestId: envelope.RequestId);
            }
            OAuthData? data = null;
            if (envelope.Data is { ValueKind: JsonValueKind.Object } d)
            {
                try
                {
                    data = d.Deserialize(OceanEngineJsonContext.Default.OAuthData);
                }
                catch (JsonException)
                {
                    // handled below
                }
            }
            if (data is not { AccessToken.Length: > 0, RefreshToken.Length: > 0 })
            {
                throw new PlatformApiException(OceanEnginePlatformClient.PlatformId, PlatformErrorClass.Unauthorized, response.StatusCode, "oauth2/refresh_token answered without a new token pair; authorise the app again", PlatformApiClient.MalformedAnswerCode);
            }
            var now = Time.GetUtcNow();
            return new TokenPair(data.AccessToken!, data.RefreshToken!,
                data.ExpiresIn is > 0 ? now.AddSeconds(data.ExpiresIn.Value) : null,
                data.RefreshTokenExpiresIn is > 0 ? now.AddSeconds(data.RefreshTokenExpiresIn.Value) : null);
        }
    }

    /// <inheritdoc />
    protected override void OnRotated(TokenPair pair) =>
        LogRefreshed(Logger, pair.AccessExpiresAt is { } at ? (long)(at - Time.GetUtcNow()).TotalSeconds : 0);

    /// <inheritdoc />
    protected override void OnWaitingForPeer() => LogWaitingForPeer(Logger);

    [LoggerMessage(EventId = 5860, Level = LogLevel.Information, Message = "Rotated the Ocean Engine token pair; the new access token is valid for {ExpiresIn} s")]
    private static partial void LogRefreshed(ILogger logger, long expiresIn);

    [LoggerMessage(EventId = 5861, Level = LogLevel.Debug, Message = "Another host is rotating the Ocean Engine token pair; waiting for it")]
    private static partial void LogWaitingForPeer(ILogger logger);

    [LoggerMessage(EventId = 5862, Level = LogLevel.Warning, Message = "oauth2/refresh_token refused the Ocean Engine refresh with code {Code}")]
    private static partial void LogRefreshFailed(ILogger logger, long code);
}
