using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

internal sealed class TestMarketingBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>A started Google emulator and a service provider with the core SDK, compliance and the Google client pointed at it.</summary>
internal sealed class GoogleEnv : IAsyncDisposable
{
    public const string Customer = "1234567890";
    public const string PurchaseAction = "555000111";

    private GoogleEnv(GoogleEmulator emulator, ServiceProvider provider)
    {
        Emulator = emulator;
        Provider = provider;
    }

    public GoogleEmulator Emulator { get; }
    public ServiceProvider Provider { get; }
    public GooglePlatformClient Client => Provider.GetRequiredService<GooglePlatformClient>();
    public ConsentLedger Ledger => Provider.GetRequiredService<ConsentLedger>();

    public static readonly ConsentCapture Web = new(ConsentSources.Web, "privacy-v1", ConsentLedger.ComputeProofHash("form"));

    public static async Task<GoogleEnv> CreateAsync(Action<GooglePlatformOptions>? configure = null, Action<GoogleEmulator>? emulator = null)
    {
        var emu = new GoogleEmulator();
        emulator?.Invoke(emu);
        await emu.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddPlatforms(o => { o.RunInBackground = false; o.RetryBaseDelay = TimeSpan.Zero; o.RetryMaxDelay = TimeSpan.Zero; })
            .AddGooglePlatform(o =>
            {
                Configure(o, emu);
                configure?.Invoke(o);
            }));
        return new GoogleEnv(emu, services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }));
    }

    public static void Configure(GooglePlatformOptions o, GoogleEmulator emu)
    {
        o.BaseAddress = emu.BaseAddress;
        o.TokenEndpoint = emu.TokenEndpoint;
        o.ClientId = emu.ClientId;
        o.ClientSecret = emu.ClientSecret;
        o.RefreshToken = emu.RefreshToken;
        o.OperatingAccountId = "123-456-7890";
        o.LoginCustomerId = "111-222-3333";
        o.DeveloperToken = "dev-token";
        o.ConversionActions["purchase"] = PurchaseAction;
        o.CustomerMatchTermsAccepted = true;
        o.MaxRetryAttempts = 0;
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        o.RequestsPerSecond = 0;
        o.EnableCircuitBreaker = false;
    }

    public async Task GrantAllAsync(CustomerId customer) =>
        await Ledger.RecordAsync(customer, [ConsentPurpose.AdMeasurement, ConsentPurpose.AdTargeting, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer], true, Web);

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}
