using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.AspNetCore.Tracking;

/// <summary>
/// Settings of the tracking endpoints (<c>MapMarketingTracking</c>), bound from the
/// <c>Marketing:Tracking</c> configuration section in the sample. Validated when the host starts.
/// </summary>
public sealed class MarketingTrackingOptions
{
    /// <summary>The configuration section name the sample binds (<c>Marketing:Tracking</c>).</summary>
    public const string SectionName = "Marketing:Tracking";

    /// <summary>Largest accepted request body in bytes (default 1 MiB; 1 KiB to 64 MiB). Larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most events in one batch request (default 100; 1 to 10 000). A larger batch gets 400 on <c>events</c>.</summary>
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>
    /// The claim of the authenticated principal that holds the shop's member id, used by the default
    /// <see cref="ClaimsTrackingIdentityResolver"/> (default <see cref="ClaimTypes.NameIdentifier"/>; not empty).
    /// </summary>
    public string MemberIdClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>
    /// Whether the connection's remote IP address is attached to tracked events (used only to infer the
    /// region, never stored in logs). Default <see langword="false"/>.
    /// </summary>
    public bool CaptureIpAddress { get; set; }

    /// <summary>Rate limiting of the tracking endpoints (ASP.NET Core rate limiting; the host calls <c>app.UseRateLimiter()</c>).</summary>
    public TrackingRateLimitOptions RateLimit { get; set; } = new();
}

/// <summary>
/// A fixed-window rate limit per caller: the authenticated user's name, else the remote IP address.
/// Requests over the limit get 429 with a ProblemDetails body and <c>Retry-After</c>.
/// </summary>
public sealed class TrackingRateLimitOptions
{
    /// <summary>Whether the endpoints are rate limited (default <see langword="true"/>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests per window and caller (default 600; 1 to 1 000 000).</summary>
    public int PermitLimit { get; set; } = 600;

    /// <summary>The window (default 1 minute; 1 second to 1 hour).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests queued when the window's permits are used up (default 0; 0 to 10 000).</summary>
    public int QueueLimit { get; set; }
}

/// <summary>Validates <see cref="MarketingTrackingOptions"/>; messages name the key and the accepted range.</summary>
internal sealed class MarketingTrackingOptionsValidator : IValidateOptions<MarketingTrackingOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketingTrackingOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodyBytes is < 1024 or > 64L * 1024 * 1024)
        {
            failures.Add("MaxRequestBodyBytes must be between 1024 and 67108864.");
        }
        if (options.MaxBatchSize is < 1 or > 10_000)
        {
            failures.Add("MaxBatchSize must be between 1 and 10000.");
        }
        if (string.IsNullOrWhiteSpace(options.MemberIdClaimType))
        {
            failures.Add("MemberIdClaimType is required.");
        }
        var rate = options.RateLimit;
        if (rate is null)
        {
            failures.Add("RateLimit is required.");
        }
        else
        {
            if (rate.PermitLimit is < 1 or > 1_000_000)
            {
                failures.Add("RateLimit:PermitLimit must be between 1 and 1000000.");
            }
            if (rate.Window < TimeSpan.FromSeconds(1) || rate.Window > TimeSpan.FromHours(1))
            {
                failures.Add("RateLimit:Window must be between 00:00:01 and 01:00:00.");
            }
            if (rate.QueueLimit is < 0 or > 10_000)
            {
                failures.Add("RateLimit:QueueLimit must be between 0 and 10000.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
