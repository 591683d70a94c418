using System.Collections.Concurrent;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.Callbacks;
using Marketing.Sdk.Testing.Emulators.WeChatCallbacks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.WeChat.Tests.Callbacks;

internal sealed class RecordingListener : IMarketingEventListener
{
    public ConcurrentQueue<MarketingEvent> Events { get; } = new();

    public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var e in events)
        {
            Events.Enqueue(e);
        }
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingReporter : IMessageStatusReporter
{
    public ConcurrentQueue<(Channel Channel, string Id, ProviderMessageStatus Status, DateTimeOffset At, string? Code)> Reports { get; } = new();
    public HashSet<string> Known { get; } = [];

    public ValueTask<bool> ReportAsync(Channel channel, string providerMessageId, ProviderMessageStatus status, DateTimeOffset occurredAt, string? platformCode = null, CancellationToken cancellationToken = default)
    {
        Reports.Enqueue((channel, providerMessageId, status, occurredAt, platformCode));
        return ValueTask.FromResult(Known.Contains(providerMessageId));
    }
}

internal sealed class RecordingSuppressions : ISuppressionList
{
    private readonly ConcurrentDictionary<(CustomerId, Channel?), SuppressionEntry> _entries = new();

    public IReadOnlyCollection<SuppressionEntry> All => [.. _entries.Values];

    public ValueTask<SuppressionEntry> AddAsync(CustomerId customerId, Channel? channel, SuppressionReason reason, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_entries[(customerId, channel)] = new SuppressionEntry(customerId, channel, reason, DateTimeOffset.UnixEpoch));

    public ValueTask<bool> RemoveAsync(CustomerId customerId, Channel? channel, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_entries.TryRemove((customerId, channel), out _));

    public ValueTask<IReadOnlyList<SuppressionEntry>> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<SuppressionEntry>>([.. _entries.Values.Where(e => e.CustomerId == customerId)]);

    public ValueTask<SuppressionEntry?> FindBlockingAsync(CustomerId customerId, Channel channel, MessagePurpose purpose, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_entries.GetValueOrDefault((customerId, channel)));
}

/// <summary>A real Kestrel host on 127.0.0.1:0 with the WeCom and OA handlers mapped by MapMarketingCallbacks, and senders for both.</summary>
internal sealed class CallbackHost : IAsyncDisposable
{
    public const string CorpId = "ww1436e0e65a779aee";
    public const string AppId = "wx5823bf96d3bd56c7";
    public const string Token = "QDG6eK";
    public const string Key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    private readonly WebApplication _app;

    private CallbackHost(WebApplication app, Uri baseAddress, FakeTimeProvider time, FakeLogCollector logs, RecordingListener listener, RecordingReporter reporter, RecordingSuppressions suppressions)
    {
        _app = app;
        BaseAddress = baseAddress;
        Time = time;
        Logs = logs;
        Listener = listener;
        Reporter = reporter;
        Suppressions = suppressions;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(1) };
        WeCom = new WeChatCallbackSender(Http, WeChatCallbackPlatform.WeCom, Token, Key, CorpId, time);
        OfficialAccount = new WeChatCallbackSender(Http, WeChatCallbackPlatform.OfficialAccount, Token, Key, AppId, time);
    }

    public Uri BaseAddress { get; }
    public FakeTimeProvider Time { get; }
    public FakeLogCollector Logs { get; }
    public RecordingListener Listener { get; }
    public RecordingReporter Reporter { get; }
    public RecordingSuppressions Suppressions { get; }
    public HttpClient Http { get; }
    public WeChatCallbackSender WeCom { get; }
    public WeChatCallbackSender OfficialAccount { get; }
    public IServiceProvider Services => _app.Services;

    public static Uri WeComUrl { get; } = new("/marketing/callbacks/wecom", UriKind.Relative);
    public static Uri OfficialAccountUrl { get; } = new("/marketing/callbacks/wechat-oa", UriKind.Relative);

    public static async Task<CallbackHost> StartAsync(Action<WeChatOfficialAccountCallbackOptions>? oa = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        var listener = new RecordingListener();
        var reporter = new RecordingReporter();
        var suppressions = new RecordingSuppressions();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IMarketingEventListener>(listener);
        builder.Services.AddSingleton<IMessageStatusReporter>(reporter);
        builder.Services.AddSingleton<ISuppressionList>(suppressions);
        builder.Services.AddMarketingSdk(m => m
            .AddWeComCallbacks(o =>
            {
                o.Token = Token;
                o.EncodingAesKey = Key;
                o.CorpId = CorpId;
                o.MaxBodyBytes = 4096;
            })
            .AddWeChatOfficialAccountCallbacks(o =>
            {
                o.Token = Token;
                o.EncodingAesKey = Key;
                o.AppId = AppId;
                o.MaxBodyBytes = 4096;
                oa?.Invoke(o);
            }));
        var app = builder.Build();
        app.MapMarketingCallbacks();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CallbackHost(app, new Uri(address), time, app.Services.GetRequiredService<FakeLogCollector>(), listener, reporter, suppressions);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Every log record's text: message and structured values.</summary>
    public string AllLogText() => string.Join('\n', Logs.GetSnapshot().SelectMany(r =>
        new[] { r.Message, r.Exception?.ToString() }.Concat(r.StructuredState?.Select(kv => kv.Value) ?? [])));

    public static string AddContact(long createTime, string externalUserId, string change = "add_external_contact") =>
        $"<xml><ToUserName><![CDATA[{CorpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{change}]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[{externalUserId}]]></ExternalUserID><State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>";

    public static string OaEvent(long createTime, string openId, string eventName, string extra = "") =>
        $"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[{openId}]]></FromUserName><CreateTime>{createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{eventName}]]></Event>{extra}</xml>";
}
