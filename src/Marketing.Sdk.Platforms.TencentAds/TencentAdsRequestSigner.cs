using System.Globalization;
using System.Text;

namespace Marketing.Sdk.Platforms.TencentAds;

/// <summary>
/// Puts <c>access_token</c>, <c>timestamp</c> (Unix seconds; Tencent allows ±300 s) and a fresh <c>nonce</c>
/// (32 hex characters, unique per attempt) in the query of a request. The client signs each call; the
/// <see cref="TencentAdsSigningHandler"/> renews timestamp and nonce on every attempt the resilience handler makes,
/// because Tencent refuses a nonce it has seen.
/// </summary>
internal static class TencentAdsRequestSigner
{
    public static Uri Sign(Uri uri, string? accessToken, TimeProvider time)
    {
        var text = uri.OriginalString;
        var q = text.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? text : text[..q];
        var sb = new StringBuilder(path).Append('?');
        var first = true;
        if (q >= 0)
        {
            foreach (var part in text[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var name = part.Split('=', 2)[0];
                if (name is "timestamp" or "nonce" || (accessToken is not null && name == "access_token"))
                {
                    continue;
                }
                sb.Append(first ? "" : "&").Append(part);
                first = false;
            }
        }
        if (accessToken is not null)
        {
            sb.Append(first ? "" : "&").Append("access_token=").Append(Uri.EscapeDataString(accessToken));
            first = false;
        }
        sb.Append(first ? "" : "&").Append("timestamp=").Append(time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))
          .Append("&nonce=").Append(Guid.NewGuid().ToString("N"));
        return new Uri(sb.ToString(), uri.IsAbsoluteUri ? UriKind.Absolute : UriKind.Relative);
    }
}

/// <summary>Renews <c>timestamp</c> and <c>nonce</c> on every attempt (it sits inside the resilience handler, so a retried request is never a replay).</summary>
/// <param name="time">The clock.</param>
internal sealed class TencentAdsSigningHandler(TimeProvider time) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && uri.Query.Contains("nonce=", StringComparison.Ordinal))
        {
            request.RequestUri = TencentAdsRequestSigner.Sign(uri, null, time);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
