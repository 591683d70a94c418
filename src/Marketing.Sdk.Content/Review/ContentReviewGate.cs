using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Content.Channels;

namespace Marketing.Sdk.Content.Review;

/// <summary>An ad-copy finding in one field of a variant.</summary>
/// <param name="Field">The field (list items as <c>name[i]</c>).</param>
/// <param name="Finding">The compliance finding (term, category, severity, position in the field).</param>
public sealed record FieldAdCopyFinding(string Field, AdCopyFinding Finding);

/// <summary>The verdict on one variant: approved only when it fits its channel and the ad-copy review finds nothing.</summary>
public sealed class ContentReviewResult
{
    internal ContentReviewResult(ContentVariant variant, string channel, IReadOnlyList<ChannelFinding> channelFindings, IReadOnlyList<FieldAdCopyFinding> adCopyFindings)
    {
        Variant = variant;
        Channel = channel;
        ChannelFindings = channelFindings;
        AdCopyFindings = adCopyFindings;
    }

    /// <summary>The variant reviewed.</summary>
    public ContentVariant Variant { get; }

    /// <summary>The channel it was checked for.</summary>
    public string Channel { get; }

    /// <summary>The channel rules it breaks.</summary>
    public IReadOnlyList<ChannelFinding> ChannelFindings { get; }

    /// <summary>The advertising-law findings (absolute claims such as 最佳, 第一, 国家级 …) per field.</summary>
    public IReadOnlyList<FieldAdCopyFinding> AdCopyFindings { get; }

    /// <summary>Whether the variant may be used.</summary>
    public bool Approved => ChannelFindings.Count == 0 && AdCopyFindings.Count == 0;

    /// <summary>The approved variant, for use.</summary>
    /// <exception cref="ContentRejectedException">The variant was rejected; the exception carries the findings.</exception>
    public ApprovedContent Approve() => Approved ? new ApprovedContent(Variant, Channel) : throw new ContentRejectedException(this);

    /// <inheritdoc />
    public override string ToString() => $"{Channel} variant '{Variant.Id}': {(Approved ? "approved" : $"rejected ({ChannelFindings.Count} channel, {AdCopyFindings.Count} ad-copy findings)")}";
}

/// <summary>A variant that passed the review gate — the only form in which the content package hands copy on for use.</summary>
public sealed class ApprovedContent
{
    internal ApprovedContent(ContentVariant variant, string channel)
    {
        Variant = variant;
        Channel = channel;
    }

    /// <summary>The variant.</summary>
    public ContentVariant Variant { get; }

    /// <summary>The channel it was approved for.</summary>
    public string Channel { get; }
}

/// <summary>Thrown when a rejected variant is used; carries the findings (field names, codes, terms — never other copy).</summary>
public sealed class ContentRejectedException : ContentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="review">The rejecting review.</param>
    public ContentRejectedException(ContentReviewResult review)
        : base($"{review?.Channel} variant '{review?.Variant.Id}' was rejected: {string.Join("; ", (review?.ChannelFindings ?? []).Select(f => $"{f.Field} {f.Code} (limit {f.Limit}, was {f.Actual})").Concat((review?.AdCopyFindings ?? []).Select(f => $"{f.Field} {f.Finding.Category} '{f.Finding.Term}'")))}")
    {
        ArgumentNullException.ThrowIfNull(review);
        Review = review;
    }

    /// <summary>The review with its findings.</summary>
    public ContentReviewResult Review { get; }
}

/// <summary>Checks variants against their channel profile and the compliance ad-copy review before use.</summary>
/// <param name="reviewer">The ad-copy reviewer (e.g. <see cref="AdCopyReviewer.CreateDefault"/>).</param>
public sealed class ContentReviewGate(AdCopyReviewer reviewer)
{
    private readonly AdCopyReviewer _reviewer = reviewer ?? throw new ArgumentNullException(nameof(reviewer));

    /// <summary>Reviews one variant.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="profile">Its channel.</param>
    public ContentReviewResult Review(ContentVariant variant, ChannelProfile profile)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(profile);
        var adCopy = new List<FieldAdCopyFinding>();
        foreach (var (field, text) in variant.Texts())
        {
            adCopy.AddRange(_reviewer.Review(text).Findings.Select(f => new FieldAdCopyFinding(field, f)));
        }

        return new ContentReviewResult(variant, profile.Channel, profile.Validate(variant), adCopy);
    }

    /// <summary>Reviews several variants.</summary>
    /// <param name="variants">The variants.</param>
    /// <param name="profile">Their channel.</param>
    public IReadOnlyList<ContentReviewResult> Review(IEnumerable<ContentVariant> variants, ChannelProfile profile)
    {
        ArgumentNullException.ThrowIfNull(variants);
        return [.. variants.Select(v => Review(v, profile))];
    }
}
