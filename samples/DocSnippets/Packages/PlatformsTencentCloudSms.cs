#region usings

#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.TencentCloudSms (docs/how-to).</summary>
public static class PlatformsTencentCloudSmsSnippets
{
    /// <summary>Marketing.Sdk.Platforms.TencentCloudSms, example 1 (from src/Marketing.Sdk.Platforms.TencentCloudSms/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddMessaging()
            .AddTencentCloudSms(o =>
            {
                o.SecretId = "AKID…";
                o.SecretKey = "…";
                o.SmsSdkAppId = "1400006666";
                o.SignName = "我的小店";
                o.UnsubscribeParameter = "unsub";          // the templates end with {n} for the wording
                o.CallbackToken = "a-long-random-secret-token";
            }));
        #endregion
        await Task.CompletedTask;
    }
}
