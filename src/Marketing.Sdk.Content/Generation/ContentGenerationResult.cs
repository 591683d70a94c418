using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Review;

namespace Marketing.Sdk.Content.Generation;

/// <summary>Tokens and cost of one generation (every request, rewrites and retried attempts that answered included).</summary>
/// <param name="Requests">Requests that got an answer.</param>
/// <param name="InputTokens">Input tokens the client reported.</param>
/// <param name="OutputTokens">Output tokens the client reported.</param>
/// <param name="TotalTokens">Total tokens the client reported (input + output when it reported no total).</param>
/// <param name="Cost">The cost at <see cref="ContentGenerationOptions.InputPricePer1KTokens"/> and <see cref="ContentGenerationOptions.OutputPricePer1KTokens"/>.</param>
/// <param name="Currency">The prices' currency.</param>
public sealed record ContentUsage(int Requests, long InputTokens, long OutputTokens, long TotalTokens, decimal Cost, string Currency);

/// <summary>One generated variant after review and, when it was rejected, the rewrite loop.</summary>
/// <param name="Review">The last review (its variant is the last version written).</param>
/// <param name="Rewrites">How many rewrites were asked for.</param>
public sealed record GeneratedVariant(ContentReviewResult Review, int Rewrites)
{
    /// <summary>The variant's id.</summary>
    public string Id => Review.Variant.Id;

    /// <summary>Whether the variant may be used.</summary>
    public bool Approved => Review.Approved;

    /// <summary>Describes the verdict without the copy.</summary>
    public override string ToString() => $"{Review} after {Rewrites} rewrites";
}

/// <summary>What a generation produced: every variant with its verdict, and the usage.</summary>
public sealed class ContentGenerationResult
{
    internal ContentGenerationResult(string channel, IReadOnlyList<GeneratedVariant> variants, ContentUsage usage)
    {
        Channel = channel;
        Variants = variants;
        Usage = usage;
    }

    /// <summary>The channel.</summary>
    public string Channel { get; }

    /// <summary>Every variant, in the model's order, with its last review.</summary>
    public IReadOnlyList<GeneratedVariant> Variants { get; }

    /// <summary>Tokens and cost.</summary>
    public ContentUsage Usage { get; }

    /// <summary>The variants that passed the review gate, ready for use.</summary>
    public IReadOnlyList<ApprovedContent> Approved => [.. Variants.Where(v => v.Approved).Select(v => v.Review.Approve())];

    /// <summary>The reviews of the variants still rejected, with their last findings.</summary>
    public IReadOnlyList<ContentReviewResult> Rejected => [.. Variants.Where(v => !v.Approved).Select(v => v.Review)];

    /// <summary>Throws when any variant is still rejected.</summary>
    /// <exception cref="ContentGenerationException">
    /// <see cref="ContentGenerationFailure.OverChannelLimit"/> (a channel rule) or <see cref="ContentGenerationFailure.AdCopyRejected"/>
    /// (the ad-copy review), naming the first variant's field (e.g. <c>variants[1].title</c>) and the rule or category.
    /// </exception>
    public void EnsureAllApproved()
    {
        for (var i = 0; i < Variants.Count; i++)
        {
            var review = Variants[i].Review;
            if (review.ChannelFindings.Count > 0)
            {
                var f = review.ChannelFindings[0];
                throw new ContentGenerationException(ContentGenerationFailure.OverChannelLimit, $"variants[{i}].{f.Field}", $"{f.Code}: {f.Detail} (limit {f.Limit}, was {f.Actual})");
            }

            if (review.AdCopyFindings.Count > 0)
            {
                var f = review.AdCopyFindings[0];
                throw new ContentGenerationException(ContentGenerationFailure.AdCopyRejected, $"variants[{i}].{f.Field}", $"{f.Finding.Category} ({f.Finding.Severity})");
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Channel}: {Variants.Count(v => v.Approved)} approved, {Variants.Count(v => !v.Approved)} rejected";
}
