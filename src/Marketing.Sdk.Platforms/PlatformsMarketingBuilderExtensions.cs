using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the shared platform pipeline.</summary>
public static class PlatformsMarketingBuilderExtensions
{
    /// <summary>
    /// Adds the conversion publisher (<see cref="IConversionPublisher"/>), the delivery worker and its
    /// background service. Platform packages (<c>AddMetaPlatform</c>, <c>AddGooglePlatform</c>,
    /// <c>AddTikTokPlatform</c>) call this themselves; call it to change the delivery settings. Needs
    /// an <see cref="IOutboxStore"/> (the in-memory, SQLite or PostgreSQL store) and an
    /// <see cref="IConsentGate"/> (<c>AddCompliance()</c>): nothing leaves without a consent check.
    /// Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures delivery.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddPlatforms(this IMarketingBuilder builder, Action<PlatformDeliveryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<PlatformDeliveryOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        if (services.Any(d => d.ServiceType == typeof(PlatformsMarker)))
        {
            return builder;
        }
        services.AddSingleton<PlatformsMarker>();
        options.Validate(o => !string.IsNullOrWhiteSpace(o.WorkerId), "PlatformDeliveryOptions.WorkerId is required.")
            .Validate(o => o.LeaseDuration >= TimeSpan.FromSeconds(1), "PlatformDeliveryOptions.LeaseDuration must be at least one second.")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "PlatformDeliveryOptions.PollInterval must be positive.")
            .Validate(o => o.ConcurrentBatches is >= 1 and <= 64, "PlatformDeliveryOptions.ConcurrentBatches must be between 1 and 64.")
            .Validate(o => o.MaxBatchBytes >= 1024, "PlatformDeliveryOptions.MaxBatchBytes must be at least 1 KiB.")
            .Validate(o => o.MaxAttempts is >= 1 and <= 1000, "PlatformDeliveryOptions.MaxAttempts must be between 1 and 1000.")
            .Validate(o => o.RetryBaseDelay >= TimeSpan.Zero && o.RetryMaxDelay >= o.RetryBaseDelay, "PlatformDeliveryOptions.RetryMaxDelay must be at least RetryBaseDelay (and neither negative).")
            .ValidateOnStart();
        services.AddHttpClient();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConversionPublisher>(sp => new ConversionPublisher(
            sp.GetServices<IConversionSink>(), sp.GetRequiredService<IOutboxStore>(), sp.GetService<ILogger<ConversionPublisher>>()));
        services.TryAddSingleton(sp => new PlatformDeliveryWorker(
            sp.GetServices<IConversionSink>(), sp.GetRequiredService<IOutboxStore>(),
            sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("Platform delivery needs a consent gate: add AddCompliance() to AddMarketingSdk."),
            sp.GetRequiredService<IOptions<PlatformDeliveryOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ILogger<PlatformDeliveryWorker>>()));
        services.AddSingleton<IHostedService, PlatformDeliveryService>();
        return builder;
    }

    private sealed class PlatformsMarker;
}
