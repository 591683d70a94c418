using Marketing.Sdk;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Ingestion;

namespace ECommerce.Api.Marketing;

/// <summary>Records experiment exposures as events through the SDK's collector, so they resolve to the customer like any event.</summary>
public sealed class ShopExposureSink(IServiceProvider services) : IExposureEventSink
{
    /// <inheritdoc />
    public async ValueTask WriteAsync(MarketingEvent exposureEvent, CancellationToken cancellationToken = default) =>
        await services.GetRequiredService<IEventCollector>().TrackAsync(exposureEvent, cancellationToken);
}
