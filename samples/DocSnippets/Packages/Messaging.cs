#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms.Messaging;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Messaging (docs/how-to).</summary>
public static class MessagingSnippets
{
    /// <summary>Marketing.Sdk.Messaging, example 1 (from src/Marketing.Sdk.Messaging/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")
            .AddLifecycle()
            .AddMessaging(o =>
            {
                o.ShopTimeZone = "Asia/Shanghai";
                o.AddTemplate(new MessageTemplate { Id = "review_request", Channel = Channel.WeChat, Parameters = [new() { Name = "order" }] });
            }));
        #endregion
        await Task.CompletedTask;
    }
}
