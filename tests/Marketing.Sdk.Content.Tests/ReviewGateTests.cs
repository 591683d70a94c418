using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Review;
using Xunit;

namespace Marketing.Sdk.Content.Tests;

public sealed class ReviewGateTests
{
    private static readonly ContentReviewGate Gate = new(AdCopyReviewer.CreateDefault());
    private static readonly Dictionary<string, IReadOnlyList<string>> Tags = new() { ["hashtags"] = ["护肤"] };

    [Theory]
    [InlineData("全网最佳面霜")]
    [InlineData("销量第一的面霜")]
    [InlineData("国家级配方面霜")]
    public void Absolute_claims_are_rejected_with_their_findings(string title)
    {
        var review = Gate.Review(new ContentVariant("b", new Dictionary<string, string> { ["title"] = title, ["body"] = "温和保湿" }, Tags), new XiaohongshuProfile());
        Assert.False(review.Approved);
        var finding = Assert.Single(review.AdCopyFindings);
        Assert.Equal("title", finding.Field);
        Assert.Contains(finding.Finding.Matched, title, StringComparison.Ordinal);
        var e = Assert.Throws<ContentRejectedException>(review.Approve);
        Assert.Same(review, e.Review);
        Assert.Contains("title", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_fitting_variant_is_approved()
    {
        var review = Gate.Review(new ContentVariant("a", new Dictionary<string, string> { ["title"] = "秋冬保湿小心得", ["body"] = "温和保湿，适合干皮" }, Tags), new XiaohongshuProfile());
        Assert.True(review.Approved, review.ToString());
        var approved = review.Approve();
        Assert.Equal("xiaohongshu", approved.Channel);
        Assert.Equal("a", approved.Variant.Id);
    }

    [Fact]
    public void Channel_findings_reject_too_and_list_items_are_reviewed()
    {
        var lists = new Dictionary<string, IReadOnlyList<string>> { ["hashtags"] = ["第一品牌"] };
        var review = Gate.Review(new ContentVariant("c", new Dictionary<string, string> { ["title"] = new string('题', 21), ["body"] = "正文" }, lists), new XiaohongshuProfile());
        Assert.False(review.Approved);
        Assert.Single(review.ChannelFindings);
        Assert.Equal("hashtags[0]", Assert.Single(review.AdCopyFindings).Field);
        Assert.Equal(2, Gate.Review([review.Variant, review.Variant], new XiaohongshuProfile()).Count);
    }
}
