#region usings
using Marketing.Sdk;
using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Content (docs/how-to).</summary>
public static class ContentSnippets
{
    /// <summary>Marketing.Sdk.Content, example 1: registration.</summary>
    public static void Example1(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m.AddContent(o => o.MaxOutputLength = 4_096));
        #endregion
    }

    /// <summary>Marketing.Sdk.Content, example 2 (from src/Marketing.Sdk.Content/README.md).</summary>
    public static ApprovedContent? Example2(ContentTemplateRegistry templates, ContentReviewGate gate)
    {
        #region example2
        // registration compiles: a misspelt placeholder fails here, with its name and position
        templates.Register("cart_sms", "zh",
            "{{#if vip}}会员专享：{{/if}}您的购物车还有{{count:plural other=#件商品}}，今日下单包邮。回T退订",
            ["vip", "count"]);
        var body = templates.Render("cart_sms", new Dictionary<string, object?> { ["vip"] = true, ["count"] = 2 });

        var sms = new SmsProfile { SignName = "某某商城", MaxSegments = 1 };
        var review = gate.Review(new ContentVariant("a", new Dictionary<string, string> { ["body"] = body }), sms);
        if (review.Approved)
        {
            return review.Approve();
        }
        foreach (var f in review.ChannelFindings)
        {
            Console.WriteLine($"{f.Field}: {f.Code} (limit {f.Limit}, was {f.Actual})");
        }
        foreach (var f in review.AdCopyFindings)
        {
            Console.WriteLine($"{f.Field}: {f.Finding.Category} '{f.Finding.Term}'");
        }
        return null;
        #endregion
    }
}
