#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.WeChat (docs/how-to).</summary>
public static class PlatformsWeChatSnippets
{
    /// <summary>Marketing.Sdk.Platforms.WeChat, example 1 (from src/Marketing.Sdk.Platforms.WeChat/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddWeChatOfficialAccount(configuration.GetSection("WeChat:OfficialAccount")) // AppId, AppSecret
            .AddMessaging());
        #endregion
        await Task.CompletedTask;
    }

    /// <summary>Marketing.Sdk.Platforms.WeChat, example 2 (from src/Marketing.Sdk.Platforms.WeChat/README.md).</summary>
    public static async Task Example2Async(IServiceCollection services, IConfiguration configuration)
    {
        #region example2
        services.AddMarketingSdk(m => m
            .AddMessaging(o => o.AddTemplate(new MessageTemplate
            {
                Id = "cart_coupon",
                Channel = Channel.WeCom,
                Parameters = [new MessageTemplateParameter { Name = "coupon_code" }],
            }))
            .AddWeCom(o =>
            {
                o.CorpId = "ww0123456789abcdef";
                o.CorpSecret = configuration["WeCom:Secret"]!;   // the 客户联系 (or app) secret; never logged
                o.AgentId = 1000002;                             // only for app messages (wecom_app)
                o.Texts["cart_coupon"] = "Your cart is waiting: {coupon_code} takes 10% off today";
            }));
        #endregion
        await Task.CompletedTask;
    }
}
