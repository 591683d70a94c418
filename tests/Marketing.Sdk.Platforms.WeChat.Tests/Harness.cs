using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.Tokens;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

/// <summary>A started WeCom emulator and clients pointed at it over real loopback HTTP.</summary>
internal sealed class WeComHarness : IAsyncDisposable
{
    private readonly List<IDisposable> _disposables = [];

    private WeComHarness(WeComEmulator emulator, ServiceProvider sdk)
    {
        Emulator = emulator;
        Sdk = sdk;
    }

    public WeComEmulator Emulator { get; }

    /// <summary>An SDK service provider (in-memory state store, lease store, event collector).</summary>
    public ServiceProvider Sdk { get; }

    public IStateStore Store => Sdk.GetRequiredService<IStateStore>();

    public ILeaseStore Leases => Sdk.GetRequiredService<ILeaseStore>();

    public static async Task<WeComHarness> StartAsync(WeComEmulatorOptions? options = null, TimeProvider? time = null)
    {
        var emulator = new WeComEmulator(options);
        await emulator.StartAsync();
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }
        services.AddMarketingSdk();
        return new WeComHarness(emulator, services.BuildServiceProvider());
    }

    public WeComOptions Options(Action<WeComOptions>? configure = null)
    {
        var options = new WeComOptions
        {
            BaseAddress = Emulator.BaseAddress,
            CorpId = Emulator.Options.CorpId,
            CorpSecret = Emulator.Options.CorpSecret,
            AgentId = Emulator.Options.AgentId,
            RequestsPerSecond = 0,
        };
        configure?.Invoke(options);
        return options;
    }

    public (WeComClient Client, SharedAccessTokenProvider Tokens) Client(Action<WeComOptions>? configure = null, IDistributedCache? cache = null, bool shareAcrossHosts = false, TimeProvider? time = null, TimeSpan? httpTimeout = null, HttpMessageHandler? handler = null)
    {
        var options = Options(configure);
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = options.BaseAddress;
        // Generous by default: the emulator always answers, and a loaded machine must not turn a slow answer into an
        // unconfirmed send; tests of timeouts pass their own short one.
        http.Timeout = httpTimeout ?? TimeSpan.FromMinutes(5);
        http.MaxResponseContentBufferSize = options.MaxResponseBytes;
        _disposables.Add(http);
        WeComClient? client = null;
        var tokens = new SharedAccessTokenProvider(
            async (_, ct) => await client!.FetchAccessTokenAsync(ct),
            new SharedAccessTokenOptions { CacheKey = SharedAccessTokenOptions.KeyOf("wecom", options.CorpId, options.CorpSecret), PeerPollInterval = TimeSpan.FromMilliseconds(20) },
            "wecom", cache, shareAcrossHosts ? Leases : null, time);
        _disposables.Add(tokens);
        client = new WeComClient(() => http, tokens, options, time);
        return (client, tokens);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }
        await Sdk.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}

/// <summary>Answers every request from a function (hostile answers without a server).</summary>
internal sealed class StubHandler(Func<HttpRequestMessage, (HttpStatusCode Status, HttpContent Body)> answer) : HttpMessageHandler
{
    public int Calls;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        var (status, body) = answer(request);
        return Task.FromResult(new HttpResponseMessage(status) { Content = body });
    }

    public static HttpContent Json(string body) => new StringContent(body, Encoding.UTF8, "application/json");

    /// <summary>A token answer for gettoken, and <paramref name="api"/> for everything else.</summary>
    public static StubHandler WithToken(string api, HttpStatusCode status = HttpStatusCode.OK) => new(r =>
        r.RequestUri!.AbsolutePath.EndsWith("/gettoken", StringComparison.Ordinal)
            ? (HttpStatusCode.OK, Json("{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"t1\",\"expires_in\":7200}"))
            : (status, Json(api)));
}

/// <summary>Records what the channel and poller report.</summary>
internal sealed class RecordingReporter : IMessageStatusReporter
{
    public ConcurrentQueue<(Channel Channel, string ProviderId, ProviderMessageStatus Status, string? Code)> Reports { get; } = new();

    public ValueTask<bool> ReportAsync(Channel channel, string providerMessageId, ProviderMessageStatus status, DateTimeOffset occurredAt, string? platformCode = null, CancellationToken cancellationToken = default)
    {
        Reports.Enqueue((channel, providerMessageId, status, platformCode));
        return ValueTask.FromResult(true);
    }
}

/// <summary>Records tracked events.</summary>
internal sealed class RecordingCollector : IEventCollector
{
    public ConcurrentQueue<MarketingEvent> Events { get; } = new();

    public ValueTask<TrackResult> TrackAsync(MarketingEvent marketingEvent, CancellationToken cancellationToken = default) => throw new NotSupportedException("the sync tracks batches");

    public ValueTask<BatchTrackResult> TrackBatchAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        var results = new List<TrackResult>();
        foreach (var e in events)
        {
            var duplicate = Events.Any(x => x.Id == e.Id);
            if (!duplicate)
            {
                Events.Enqueue(e);
            }
            results.Add(new TrackResult(e.Id, duplicate ? TrackStatus.Duplicate : TrackStatus.Accepted));
        }
        return ValueTask.FromResult(new BatchTrackResult(results));
    }
}

internal static class Messages
{
    public static readonly MessageTemplate Coupon = new()
    {
        Id = "cart_coupon",
        Channel = Channel.WeCom,
        Parameters = [new MessageTemplateParameter { Name = "coupon_code" }],
    };

    public static PreparedMessage Mass(string externalUserId, string messageId, string code = "CART10", MessageTemplate? template = null) => new()
    {
        MessageId = messageId,
        CustomerId = new CustomerId("c-" + externalUserId),
        Recipient = Identity.WeComExternalUserId(externalUserId),
        Template = template ?? Coupon,
        Parameters = new Dictionary<string, string> { ["coupon_code"] = code },
        Purpose = MessagePurpose.Marketing,
    };

    public static void UseCouponText(WeComOptions o) => o.Texts["cart_coupon"] = "Your cart misses you: {coupon_code} takes 10% off";
}
