using System.Net;
using System.Text;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.TencentAds.Tokens;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

/// <summary>A started Tencent Ads emulator and clients pointed at it over real loopback HTTP.</summary>
internal sealed class TencentHarness : IAsyncDisposable
{
    public const string Account = "20001";
    public const string ActionSet = "1100000001";

    private readonly List<HttpClient> _clients = [];
    private readonly List<ServiceProvider> _providers = [];

    private TencentHarness(TencentAdsEmulator emulator) => Emulator = emulator;

    public TencentAdsEmulator Emulator { get; }

    public static async Task<TencentHarness> StartAsync(TencentAdsEmulatorOptions? options = null)
    {
        var emulator = new TencentAdsEmulator(options);
        await emulator.StartAsync();
        return new TencentHarness(emulator);
    }

    public TencentAdsPlatformOptions Options(Action<TencentAdsPlatformOptions>? configure = null)
    {
        var options = new TencentAdsPlatformOptions
        {
            BaseAddress = Emulator.BaseAddress,
            AccessToken = Emulator.Options.AccessToken,
            AccountId = Account,
            UserActionSetId = ActionSet,
            RequestsPerSecond = 0,
        };
        configure?.Invoke(options);
        return options;
    }

    public HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _clients.Add(http);
        return http;
    }

    public TencentAdsPlatformClient Client(Action<TencentAdsPlatformOptions>? configure = null, IConsentGate? gate = null, IAccessTokenProvider? tokens = null)
    {
        var options = Options(configure);
        var http = Http();
        return new TencentAdsPlatformClient(() => http, tokens ?? new StaticAccessTokenProvider(() => options.AccessToken), options, gate ?? new AllowAll());
    }

    /// <summary>A shared durable store and lease store, as every host of a fleet sees them.</summary>
    public (IStateStore Store, ILeaseStore Leases) SharedStores()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(_ => { });
        var sp = services.BuildServiceProvider();
        _providers.Add(sp);
        return (sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<ILeaseStore>());
    }

    public TencentAdsTokenProvider Tokens(IStateStore store, ILeaseStore leases, Action<TencentAdsPlatformOptions>? configure = null)
    {
        var options = Options(o =>
        {
            o.ClientId = Emulator.Options.ClientId;
            o.ClientSecret = Emulator.Options.ClientSecret;
            o.RefreshToken = Emulator.Options.RefreshToken;
            configure?.Invoke(o);
        });
        var http = Http();
        return new TencentAdsTokenProvider(() => http, options, store, leases);
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

internal static class Data
{
    public static ConversionRequest Conversion(string eventId, EventType? type = null, DateTimeOffset? at = null, string? phone = "+86 135 0000 0000", string customer = "c1", decimal value = 49.90m) => new()
    {
        EventId = eventId,
        EventType = type ?? EventType.Purchase,
        OccurredAt = at ?? DateTimeOffset.UtcNow.AddHours(-1),
        CustomerId = new CustomerId(customer),
        Value = new Money(value, "CNY"),
        OrderId = "o-" + eventId,
        Customer = new CustomerMatchData { Email = "li.lei@example.com", Phone = phone },
        Clicks = new ClickIdentifiers { TencentClickId = "wx0click" + eventId },
        SourceUrl = new Uri("https://shop.example/checkout"),
    };

    public static PreparedConversion Prepared(TencentAdsPlatformClient client, ConversionRequest conversion) =>
        ConversionPublisher.Prepare(conversion, client.Hashing, null, client);

    public static PreparedConversion Prepared(TencentAdsPlatformClient client, string eventId, EventType? type = null) =>
        Prepared(client, Conversion(eventId, type));

    public static IReadOnlyList<PreparedConversion> Batch(TencentAdsPlatformClient client, int count, string prefix = "e") =>
        [.. Enumerable.Range(0, count).Select(i => Prepared(client, $"{prefix}{i}"))];

    public static readonly ConsentCapture Web = new(ConsentSources.Web, "privacy-v1", ConsentLedger.ComputeProofHash("form"));
}
