using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

internal sealed class TestMarketingBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>A started TikTok emulator and clients pointed at it over real loopback HTTP.</summary>
internal sealed class TikTokHarness : IAsyncDisposable
{
    public const string Advertiser = "7000000001";
    public const string Pixel = "PIXEL123";

    private readonly List<HttpClient> _clients = [];

    private TikTokHarness(TikTokEmulator emulator) => Emulator = emulator;

    public TikTokEmulator Emulator { get; }

    public static async Task<TikTokHarness> StartAsync(TikTokEmulatorOptions? options = null)
    {
        var emulator = new TikTokEmulator(options);
        await emulator.StartAsync();
        return new TikTokHarness(emulator);
    }

    public TikTokPlatformOptions Options(Action<TikTokPlatformOptions>? configure = null)
    {
        var options = new TikTokPlatformOptions
        {
            BaseAddress = Emulator.BaseAddress,
            AccessToken = Emulator.AccessToken,
            AdvertiserId = Advertiser,
            AccountCurrency = "USD",
            PixelCode = Pixel,
            RequestsPerSecond = 0,
        };
        configure?.Invoke(options);
        return options;
    }

    public TikTokPlatformClient Client(Action<TikTokPlatformOptions>? configure = null, IConsentGate? gate = null, IAccessTokenProvider? tokens = null, TimeSpan? httpTimeout = null, HttpMessageHandler? handler = null)
    {
        var options = Options(configure);
        var http = new HttpClient(handler ?? new SocketsHttpHandler()) { BaseAddress = options.BaseAddress, Timeout = httpTimeout ?? TimeSpan.FromSeconds(30) };
        _clients.Add(http);
        return new TikTokPlatformClient(() => http, tokens ?? new StaticAccessTokenProvider(() => options.AccessToken), options, gate ?? new AllowAll());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }
        await Emulator.DisposeAsync();
    }
}

internal static class Data
{
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static ConversionRequest Conversion(string eventId, EventType? type = null, DateTimeOffset? at = null, string? email = "john.doe@example.com", string customer = "c1") => new()
    {
        EventId = eventId,
        EventType = type ?? EventType.Purchase,
        OccurredAt = at ?? DateTimeOffset.UtcNow.AddHours(-1),
        CustomerId = new CustomerId(customer),
        Value = new Money(49.90m, "USD"),
        OrderId = "o-" + eventId,
        Items = [new ConversionItem("sku-1", 2, 24.95m)],
        Customer = new CustomerMatchData { Email = email, Phone = "+1 (650) 555-1212", ExternalId = "member-" + customer },
        Clicks = new ClickIdentifiers { Ttclid = "ttclid-1" },
        SourceUrl = new Uri("https://shop.example/checkout"),
    };

    public static PreparedConversion Prepared(string eventId, EventType? type = null, DateTimeOffset? at = null) =>
        ConversionPublisher.Prepare(Conversion(eventId, type, at), HashingProfile.TikTok);

    public static IReadOnlyList<PreparedConversion> Batch(int count, string prefix = "e") =>
        [.. Enumerable.Range(0, count).Select(i => Prepared($"{prefix}{i}"))];

    public static readonly ConsentCapture Web = new(ConsentSources.Web, "privacy-v1", ConsentLedger.ComputeProofHash("form"));

    public static async Task GrantAsync(ConsentLedger ledger, CustomerId customer, params ConsentPurpose[] purposes)
    {
        foreach (var p in purposes.Concat([ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer]))
        {
            await ledger.GrantAsync(customer, p, Web);
        }
    }
}
