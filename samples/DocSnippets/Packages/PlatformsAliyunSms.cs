#region usings

#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.AliyunSms (docs/how-to).</summary>
public static class PlatformsAliyunSmsSnippets
{
    /// <summary>Marketing.Sdk.Platforms.AliyunSms, example 1 (from src/Marketing.Sdk.Platforms.AliyunSms/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddMessaging()
            .AddAliyunSms(o =>
            {
                o.AccessKeyId = "LTAI5t…";
                o.AccessKeySecret = "…";
                o.SignName = "我的小店";
                o.UnsubscribeParameter = "unsub";          // the templates end with ${unsub}
                o.CallbackToken = "a-long-random-secret-token";
            }));
        #endregion
        await Task.CompletedTask;
    }

    /// <summary>Marketing.Sdk.Platforms.AliyunSms, example 2 (from src/Marketing.Sdk.Platforms.AliyunSms/README.md).</summary>
    public static async Task Example2Async(Marketing.Sdk.Platforms.AliyunSms.AliyunSmsChannel channel, Marketing.Sdk.Platforms.Sms.SmsInbound inbound, CancellationToken cancellationToken)
    {
        #region example2
        var reported = await channel.PullReceiptsAsync(inbound, cancellationToken);
        #endregion
        await Task.CompletedTask;
    }
}
