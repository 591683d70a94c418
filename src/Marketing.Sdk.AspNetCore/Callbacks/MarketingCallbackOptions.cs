namespace Marketing.Sdk.AspNetCore.Callbacks;

/// <summary>
/// Settings of the callback endpoints (<c>app.MapMarketingCallbacks()</c>), read when they are mapped:
/// <c>services.Configure&lt;MarketingCallbackOptions&gt;(o =&gt; o.Timeout = …)</c>.
/// </summary>
public sealed class MarketingCallbackOptions
{
    /// <summary>
    /// How long a handler may take before the request is cancelled and answered 503, so the platform retries
    /// (default 4 s, 100 ms – 60 s: WeChat drops the connection after 5 s and retries).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Checks the settings; throws naming the broken one.</summary>
    internal void Validate()
    {
        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromSeconds(60))
        {
            throw new InvalidOperationException($"{nameof(MarketingCallbackOptions)}.{nameof(Timeout)}: 100 ms to 60 s.");
        }
    }
}
