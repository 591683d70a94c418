using System.Collections.Concurrent;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

/// <summary>A started Official Account emulator on a fake clock, and clients pointed at it over real loopback HTTP.</summary>
internal sealed class OaHarness : IAsyncDisposable
{
    public const string TemplateId = "tpl-order-review";
    public const string SubscribeTemplateId = "sub-restock";

    private readonly List<HttpClient> _clients = [];
    private readonly List<ServiceProvider> _providers = [];

    private OaHarness(OfficialAccountEmulator emulator, FakeTimeProvider time)
    {
        Emulator = emulator;
        Time = time;
    }

    public OfficialAccountEmulator Emulator { get; }

    public FakeTimeProvider Time { get; }

    /// <summary>The state store the hosts share (the template channel's record of sent messages).</summary>
    public InMemoryStateStore Store { get; } = new();

    public static async Task<OaHarness> StartAsync(Func<OfficialAccountEmulatorOptions, OfficialAccountEmulatorOptions>? configure = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 1, 0, 0, TimeSpan.Zero));
        var options = new OfficialAccountEmulatorOptions { TimeProvider = time };
        var emulator = new OfficialAccountEmulator(configure?.Invoke(options) ?? options);
        await emulator.StartAsync();
        return new OaHarness(emulator, time);
    }

    public OfficialAccountOptions Options(Action<OfficialAccountOptions>? configure = null)
    {
        var options = new OfficialAccountOptions
        {
            BaseAddress = Emulator.BaseAddress,
            AppId = Emulator.AppId,
            AppSecret = Emulator.AppSecret,
            RequestsPerSecond = 0,
            MaxRetryAttempts = 0,
        };
        configure?.Invoke(options);
        return options;
    }

    public HttpClient Http(OfficialAccountOptions options, TimeSpan? timeout = null, HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler()) { BaseAddress = options.BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = options.MaxResponseBytes };
        _clients.Add(http);
        return http;
    }

    public OfficialAccountTokenProvider Tokens(OfficialAccountOptions? options = null, IDistributedCache? cache = null, ILeaseStore? leases = null)
    {
        options ??= Options();
        var http = Http(options);
        return new OfficialAccountTokenProvider(() => http, options, cache, leases, Time);
    }

    public OfficialAccountClient Client(Action<OfficialAccountOptions>? configure = null, OfficialAccountTokenProvider? tokens = null, TimeSpan? timeout = null, HttpMessageHandler? handler = null)
    {
        var options = Options(configure);
        var http = Http(options, timeout, handler);
        return new OfficialAccountClient(() => http, tokens ?? Tokens(options), options, Time);
    }

    /// <summary>A lease store over a state store shared by "hosts" (as a shared database is).</summary>
    public ILeaseStore Leases(IStateStore shared)
    {
        var services = new ServiceCollection();
        services.AddSingleton(shared);
        services.AddSingleton<TimeProvider>(Time);
        services.AddMarketingSdk();
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<ILeaseStore>();
    }

    /// <summary>Advances the fake clock in small steps until <paramref name="task"/> completes (hosts waiting for a lease poll on it).</summary>
    public async Task<T> PumpAsync<T>(Task<T> task)
    {
        var guard = Task.Delay(TimeSpan.FromMinutes(1));
        while (!task.IsCompleted)
        {
            Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.WhenAny(task, Task.Delay(5));
            if (guard.IsCompleted)
            {
                throw new TimeoutException("the task did not complete");
            }
        }
        return await task;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }
        foreach (var p in _providers)
        {
            await p.DisposeAsync();
        }
        await Emulator.DisposeAsync();
    }
}

/// <summary>An <see cref="IDistributedCache"/> shared by several token providers, as Redis is by several hosts.</summary>
internal sealed class SharedCache(TimeProvider time) : IDistributedCache
{
    private readonly ConcurrentDictionary<string, (byte[] Value, DateTimeOffset? Expires)> _entries = new(StringComparer.Ordinal);

    public int Writes;

    public byte[]? Get(string key) =>
        _entries.TryGetValue(key, out var e) && (e.Expires is null || e.Expires > time.GetUtcNow()) ? e.Value : null;

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        Interlocked.Increment(ref Writes);
        _entries[key] = (value, options.AbsoluteExpiration);
    }

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => _entries.TryRemove(key, out _);

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }
}

internal static class OaData
{
    public static string OpenId(int i) => "oAbC" + i.ToString("D24");

    public static string UnionId(int i) => "uXyZ" + i.ToString("D24");

    public static MessageTemplate Template(Channel channel, string providerTemplateId = OaHarness.TemplateId) => new()
    {
        Id = "review-request",
        Channel = channel,
        ProviderTemplateId = providerTemplateId,
        Parameters =
        [
            OfficialAccountParameters.Parameter("thing1"),
            OfficialAccountParameters.Parameter("character_string2"),
            OfficialAccountParameters.Parameter(OfficialAccountParameters.Url, required: false),
        ],
    };

    public static PreparedMessage Message(Channel channel, string messageId, string openId, string thing = "Your order arrived", string? providerTemplateId = null, IReadOnlyDictionary<string, string>? parameters = null) => new()
    {
        MessageId = messageId,
        CustomerId = new CustomerId("c-" + messageId),
        Recipient = Identity.WeChatOpenId(openId),
        Template = Template(channel, providerTemplateId ?? OaHarness.TemplateId),
        Parameters = parameters ?? new Dictionary<string, string> { ["thing1"] = thing, ["character_string2"] = "SO-20260302-001", ["url"] = "https://shop.example/review/1" },
        Purpose = MessagePurpose.Marketing,
    };
}
