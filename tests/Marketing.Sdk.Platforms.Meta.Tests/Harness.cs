using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Meta.Tests;

internal sealed class TestMarketingBuilder(Microsoft.Extensions.DependencyInjection.IServiceCollection services) : IMarketingBuilder
{
    public Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; } = services;
}

/// <summary>Lets every customer through (for tests that are not about consent).</summary>
internal sealed class AllowAllGate : IConsentGate
{
    public static AllowAllGate Instance { get; } = new();

    public ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new ConsentDecision(customerId, purpose, destination, true, ConsentDecisionReason.Granted, purpose, "test"));

    public ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new ConsentFilterResult([.. customerIds.Distinct()], []));
}

/// <summary>Hands out a stale token first and the valid one once the stale one was refused.</summary>
internal sealed class RotatingTokenProvider(string stale, string fresh) : IAccessTokenProvider
{
    public int Calls { get; private set; }
    public int Refreshes { get; private set; }

    public ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        if (rejectedToken is not null)
        {
            Refreshes++;
            return ValueTask.FromResult(new AccessToken(fresh, null));
        }
        return ValueTask.FromResult(new AccessToken(stale, null));
    }
}

/// <summary>A started Meta emulator with a pixel, an account, an audience and objects, plus a client on a fake clock.</summary>
internal sealed class MetaScope : IAsyncDisposable
{
    public const string Pixel = "1234567890";
    public const string Account = "555000111";
    public const string Audience = "23850000000001";
    public const string Campaign = "120200000000001";
    public const string AdSet = "120200000000002";

    private readonly List<HttpClient> _clients = [];

    private MetaScope(MetaEmulator emulator, FakeTimeProvider time)
    {
        Emulator = emulator;
        Time = time;
    }

    public MetaEmulator Emulator { get; }
    public FakeTimeProvider Time { get; }

    public static async Task<MetaScope> StartAsync(string currency = "USD")
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        var emulator = new MetaEmulator("system-user-token", time);
        emulator.AddPixel(Pixel).AddAdAccount(Account, currency).AddAudience(Audience).AddCampaign(Campaign).AddAdSet(AdSet, dailyBudget: 1000);
        await emulator.StartAsync();
        return new MetaScope(emulator, time);
    }

    public MetaPlatformClient Client(Action<MetaPlatformOptions>? configure = null, IAccessTokenProvider? tokens = null, IConsentGate? gate = null, TimeSpan? httpTimeout = null)
    {
        var options = new MetaPlatformOptions
        {
            AccessToken = Emulator.AccessToken,
            PixelId = Pixel,
            BaseAddress = Emulator.BaseAddress,
            RequestsPerSecond = 0,
        };
        configure?.Invoke(options);
        var http = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = httpTimeout ?? TimeSpan.FromSeconds(30) };
        _clients.Add(http);
        return new MetaPlatformClient(() => http, tokens ?? new StaticAccessTokenProvider(() => options.AccessToken), options, gate ?? AllowAllGate.Instance, Time);
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

internal static class Conversions
{
    public static ConversionRequest Purchase(string eventId, DateTimeOffset at, string customer = "c1", decimal value = 42.5m, ConversionSource source = ConversionSource.Website) => new()
    {
        EventId = eventId,
        EventType = EventType.Purchase,
        OccurredAt = at,
        CustomerId = new CustomerId(customer),
        Value = new Money(value, "USD"),
        OrderId = "order-" + eventId,
        Items = [new ConversionItem("sku-1", 2, 10m), new ConversionItem("sku-2", 1, 22.5m)],
        Customer = new CustomerMatchData
        {
            Email = "John_Smith@gmail.com",
            Phone = "+1 (650) 555-1212",
            FirstName = "John",
            LastName = "Smith",
            City = "Menlo Park",
            State = "CA",
            Zip = "94025",
            Country = "US",
            Gender = "male",
            DateOfBirth = new DateOnly(1990, 2, 3),
            ExternalId = "member-77",
        },
        Clicks = new ClickIdentifiers { Fbc = "fb.1.1554763741205.AbCdEf", Fbp = "fb.1.1558571054389.1098115397", ClientIpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0" },
        Source = source,
        SourceUrl = new Uri("https://shop.example/checkout/done"),
    };

    public static PreparedConversion Prepared(ConversionRequest request) => ConversionPublisher.Prepare(request, HashingProfile.Meta);

    public static ConsentCapture Web { get; } = new(ConsentSources.Web, "privacy-v1");

    public static IReadOnlyList<ConsentPurpose> MetaPurposes { get; } =
        [ConsentPurpose.AdMeasurement, ConsentPurpose.AdTargeting, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];
}
