using System.Net;
using System.Text;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.OceanEngine.Tokens;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

/// <summary>A started Ocean Engine emulator and clients pointed at it over real loopback HTTP.</summary>
internal sealed class OceanHarness : IAsyncDisposable
{
    public const string Advertiser = "1600000000000001";

    private readonly List<HttpClient> _clients = [];
    private readonly List<ServiceProvider> _providers = [];

    private OceanHarness(OceanEngineEmulator emulator) => Emulator = emulator;

    public OceanEngineEmulator Emulator { get; }

    public static async Task<OceanHarness> StartAsync(OceanEngineEmulatorOptions? options = null)
    {
        var emulator = new OceanEngineEmulator(options);
        await emulator.StartAsync();
        return new OceanHarness(emulator);
    }

    public OceanEnginePlatformOptions Options(Action<OceanEnginePlatformOptions>? configure = null)
    {
        var options = new OceanEnginePlatformOptions
        {
            BaseAddress = Emulator.BaseAddress,
            ConversionAddress = Emulator.BaseAddress,
            AccessToken = Emulator.Options.AccessToken,
            AdvertiserId = Advertiser,
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

    public OceanEnginePlatformClient Client(Action<OceanEnginePlatformOptions>? configure = null, IConsentGate? gate = null, IAccessTokenProvider? tokens = null)
    {
        var options = Options(configure);
        var http = Http();
        return new OceanEnginePlatformClient(() => http, tokens ?? new StaticAccessTokenProvider(() => options.AccessToken), options, gate ?? new AllowAll());
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

    public OceanEngineTokenProvider Tokens(IStateStore store, ILeaseStore leases, Action<OceanEnginePlatformOptions>? configure = null)
    {
        var options = Options(o =>
        {
            o.AppId = Emulator.Options.AppId;
            o.Secret = Emulator.Options.Secret;
            o.RefreshToken = Emulator.Options.RefreshToken;
            configure?.Invoke(o);
        });
        var http = Http();
        return new OceanEngineTokenProvider(() => http, options, store, leases);
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
    public const string PhoneSha256 = "96b9962142efb461ae3034199c0f59f853f2855cbc82452018c98fcf561d9572"; // sha256("13500000000")

    public static ConversionRequest Conversion(string eventId, string? callback, EventType? type = null, DateTimeOffset? at = null, string? phone = "+86 135 0000 0000", string customer = "c1", decimal value = 49.90m) => new()
    {
        EventId = eventId,
        EventType = type ?? EventType.Purchase,
        OccurredAt = at ?? new DateTimeOffset(2026, 3, 1, 8, 30, 0, 250, TimeSpan.Zero),
        CustomerId = new CustomerId(customer),
        Value = new Money(value, "CNY"),
        OrderId = "o-" + eventId,
        Customer = new CustomerMatchData { Email = "li.lei@example.com", Phone = phone },
        Clicks = new ClickIdentifiers { OceanEngineCallback = callback },
    };

    public static PreparedConversion Prepared(OceanEnginePlatformClient client, ConversionRequest conversion) =>
        ConversionPublisher.Prepare(conversion, client.Hashing, null, client);

    public static AudienceMember Member(string customer, string? phone) => new(new CustomerId(customer), new CustomerMatchData { Phone = phone });

    public static readonly ConsentCapture Web = new(ConsentSources.Web, "privacy-v1", ConsentLedger.ComputeProofHash("form"));
}
