using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Clicks;

/// <summary>
/// How click ids captured from landing URLs are kept and attributed to later conversions. Each platform attributes a
/// conversion to a click only within its click-through window; a stored click older than the window is not filled into
/// a conversion (see docs/platforms.md, "Click ids from the landing URL", for the sources of the defaults).
/// </summary>
public sealed class ClickIdOptions
{
    /// <summary>Whether click ids are captured at ingestion and filled into published conversions. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Meta's click window. Default 7 days (Meta's default attribution setting, 7-day click).</summary>
    public TimeSpan MetaWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Google's click window. Default 90 days (the longest click-through conversion window; older clicks are refused on upload).</summary>
    public TimeSpan GoogleWindow { get; set; } = TimeSpan.FromDays(90);

    /// <summary>TikTok's click window. Default 7 days (TikTok's default click-through attribution window; 1, 7, 14 or 28 days can be chosen per ad group).</summary>
    public TimeSpan TikTokWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Tencent Ads' click window. Default 7 days (no published figure was found; set it to the account's attribution setting).</summary>
    public TimeSpan TencentAdsWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Ocean Engine's click window. Default 7 days (no published figure was found; set it to the account's attribution setting).</summary>
    public TimeSpan OceanEngineWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Landing URLs and launch queries longer than this (characters) are ignored as a whole. Default 8,192.</summary>
    public int MaxUrlLength { get; set; } = ClickIdParser.DefaultMaxLength;

    /// <summary>The window of a platform.</summary>
    /// <param name="platform">The platform.</param>
    public TimeSpan WindowOf(ClickPlatform platform) => platform switch
    {
        ClickPlatform.Google => GoogleWindow,
        ClickPlatform.Meta => MetaWindow,
        ClickPlatform.TikTok => TikTokWindow,
        ClickPlatform.TencentAds => TencentAdsWindow,
        ClickPlatform.OceanEngine => OceanEngineWindow,
        _ => throw new ArgumentOutOfRangeException(nameof(platform)),
    };
}

/// <summary>Validates <see cref="ClickIdOptions"/> on start.</summary>
internal sealed class ClickIdOptionsValidator : IValidateOptions<ClickIdOptions>
{
    private static readonly TimeSpan Longest = TimeSpan.FromDays(366);

    public ValidateOptionsResult Validate(string? name, ClickIdOptions options)
    {
        var failures = new List<string>();
        foreach (var platform in Enum.GetValues<ClickPlatform>())
        {
            var window = options.WindowOf(platform);
            if (window <= TimeSpan.Zero || window > Longest)
            {
                failures.Add($"ClickIdOptions.{platform}Window must be more than zero and at most 366 days.");
            }
        }
        if (options.MaxUrlLength is < 256 or > 65_536)
        {
            failures.Add("ClickIdOptions.MaxUrlLength must be between 256 and 65536.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
