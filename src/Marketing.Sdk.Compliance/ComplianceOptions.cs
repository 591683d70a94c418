using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance;

/// <summary>Options of the compliance package (consent policy, data-subject requests, retention).</summary>
public sealed class ComplianceOptions
{
    /// <summary>Purposes that always need their own, separate consent (PIPL art. 23, 29, 39) and can never be waived.</summary>
    public static IReadOnlyList<ConsentPurpose> SeparateConsentPurposes { get; } =
        [ConsentPurpose.SensitiveData, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];

    /// <summary>The purposes that need consent: the gate denies them without a granted record. Every well-known purpose by default.</summary>
    public ISet<ConsentPurpose> RequiredPurposes { get; } = new HashSet<ConsentPurpose>(ConsentPurpose.WellKnown);

    /// <summary>Destinations that are third parties: sending data to them also needs <see cref="ConsentPurpose.ThirdPartySharing"/>. Default: the ad and social platforms of <see cref="Channel.WellKnown"/>.</summary>
    public ISet<Channel> ThirdPartyDestinations { get; } = new HashSet<Channel>
    {
        Channel.Meta, Channel.Google, Channel.TikTok, Channel.Douyin, Channel.Xiaohongshu, Channel.WeChat,
        Channel.WeCom, Channel.Weibo, Channel.Bilibili, Channel.Kuaishou, Channel.Baidu, Channel.TencentAds, Channel.OceanEngine,
    };

    /// <summary>Destinations that process data abroad: sending data to them also needs <see cref="ConsentPurpose.CrossBorderTransfer"/>. Default: Meta, Google, TikTok.</summary>
    public ISet<Channel> CrossBorderDestinations { get; } = new HashSet<Channel> { Channel.Meta, Channel.Google, Channel.TikTok };

    /// <summary>Purposes that are advertising purposes: "turn off personalised ads" withdraws them all.</summary>
    public ISet<ConsentPurpose> AdPurposes { get; } = new HashSet<ConsentPurpose> { ConsentPurpose.AdTargeting, ConsentPurpose.AdMeasurement };

    /// <summary>Purposes whose processing involves sensitive personal information (health, biometrics, precise location, minors): checking them also needs <see cref="ConsentPurpose.SensitiveData"/>. Empty by default.</summary>
    public ISet<ConsentPurpose> SensitiveDataPurposes { get; } = new HashSet<ConsentPurpose>();

    /// <summary>How long a data-subject request may take before it is overdue (GDPR art. 12(3): one month; PIPL asks for "timely"). Default 30 days.</summary>
    public TimeSpan DataSubjectRequestDeadline { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The actor name written to audit entries made by the package. Default <c>marketing-sdk.compliance</c>.</summary>
    public string AuditActor { get; set; } = "marketing-sdk.compliance";

    /// <summary>Makes <paramref name="purposes"/> need consent (default deny without a record).</summary>
    /// <param name="purposes">The purposes.</param>
    /// <returns>These options.</returns>
    public ComplianceOptions RequireConsent(params ConsentPurpose[] purposes)
    {
        ArgumentNullException.ThrowIfNull(purposes);
        foreach (var p in purposes)
        {
            RequiredPurposes.Add(p);
        }
        return this;
    }

    /// <summary>Lets <paramref name="purposes"/> go ahead without a record (another legal basis); a recorded withdrawal still denies. Separate-consent purposes cannot be waived (validation fails on start).</summary>
    /// <param name="purposes">The purposes.</param>
    /// <returns>These options.</returns>
    public ComplianceOptions AllowWithoutConsent(params ConsentPurpose[] purposes)
    {
        ArgumentNullException.ThrowIfNull(purposes);
        foreach (var p in purposes)
        {
            RequiredPurposes.Remove(p);
        }
        return this;
    }

    /// <summary>Marks a destination as a third party (and, when <paramref name="crossBorder"/>, as processing abroad).</summary>
    /// <param name="destination">The destination channel.</param>
    /// <param name="crossBorder">Whether the destination processes data abroad.</param>
    /// <returns>These options.</returns>
    public ComplianceOptions AddThirdPartyDestination(Channel destination, bool crossBorder = false)
    {
        ThirdPartyDestinations.Add(destination);
        if (crossBorder)
        {
            CrossBorderDestinations.Add(destination);
        }
        return this;
    }

    /// <summary>Retention policies enforced by the retention service; none by default.</summary>
    public IList<Retention.RetentionPolicy> RetentionPolicies { get; } = [];

    /// <summary>How often the retention service runs. Default one day.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Whether the retention background service runs (only when policies exist). Default <see langword="true"/>.</summary>
    public bool RunRetention { get; set; } = true;
}

/// <summary>Validates <see cref="ComplianceOptions"/> on start.</summary>
internal sealed class ComplianceOptionsValidator : IValidateOptions<ComplianceOptions>
{
    public ValidateOptionsResult Validate(string? name, ComplianceOptions options)
    {
        var errors = new List<string>();
        foreach (var p in ComplianceOptions.SeparateConsentPurposes)
        {
            if (!options.RequiredPurposes.Contains(p))
            {
                errors.Add($"The purpose '{p}' needs separate consent and cannot be waived.");
            }
        }
        if (options.DataSubjectRequestDeadline <= TimeSpan.Zero)
        {
            errors.Add("DataSubjectRequestDeadline must be positive.");
        }
        if (options.RetentionInterval <= TimeSpan.Zero)
        {
            errors.Add("RetentionInterval must be positive.");
        }
        if (string.IsNullOrWhiteSpace(options.AuditActor))
        {
            errors.Add("AuditActor is required.");
        }
        foreach (var policy in options.RetentionPolicies)
        {
            if (policy.MaxAge <= TimeSpan.Zero)
            {
                errors.Add($"Retention policy '{policy.Name}' needs a positive MaxAge.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
