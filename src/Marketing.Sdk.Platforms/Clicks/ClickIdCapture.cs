using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Clicks;

/// <summary>
/// Captures ad click ids at ingestion: every accepted event with a landing URL (<see cref="EventProperties.Url"/>) or a
/// launch query (<see cref="EventProperties.LaunchQuery"/>) is parsed by <see cref="ClickIdParser"/> and the click ids
/// found are kept per customer in the <see cref="ClickIdStore"/> (one compare-and-swap write per customer and batch).
/// When identity resolution merges profiles, the merged-away customers' clicks move to the survivor.
/// </summary>
internal sealed partial class ClickIdCapture : IMarketingEventListener, IProfileMergeListener
{
    private readonly ClickIdStore _store;
    private readonly ClickIdOptions _options;
    private readonly ILogger _logger;
    private readonly Counter<long> _captured;

    public ClickIdCapture(ClickIdStore store, IOptions<ClickIdOptions> options, IMeterFactory? meterFactory = null, ILogger<ClickIdCapture>? logger = null)
    {
        _store = store;
        _options = options.Value;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var meter = meterFactory?.Create(PlatformTelemetry.Name) ?? new Meter(PlatformTelemetry.Name);
        _captured = meter.CreateCounter<long>("marketing.platform.clicks.captured", "{click}", "Ad click ids captured from landing URLs, by platform.");
    }

    public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (!_options.Enabled)
        {
            return;
        }
        Dictionary<CustomerId, List<CapturedClick>>? byCustomer = null;
        foreach (var e in events)
        {
            if (e.CustomerId is not { } customer)
            {
                continue;
            }
            foreach (var name in (ReadOnlySpan<string>)[EventProperties.Url, EventProperties.LaunchQuery])
            {
                if (e.Property(name).AsString() is not { } text || ClickIdParser.Parse(text, e.OccurredAt, _options.MaxUrlLength) is not { } ids)
                {
                    continue;
                }
                byCustomer ??= [];
                if (!byCustomer.TryGetValue(customer, out var list))
                {
                    byCustomer[customer] = list = [];
                }
                list.AddRange(ClickIdStore.Split(ids, e.OccurredAt, e.SessionId));
            }
        }
        if (byCustomer is null)
        {
            return;
        }
        var count = 0;
        foreach (var (customer, clicks) in byCustomer)
        {
            await _store.RecordAsync(customer, clicks, cancellationToken).ConfigureAwait(false);
            foreach (var click in clicks)
            {
                _captured.Add(1, new KeyValuePair<string, object?>("marketing.platform", TagOf(click.Platform)));
                count++;
            }
        }
        LogCaptured(_logger, count, byCustomer.Count);
    }

    private static string TagOf(ClickPlatform platform) => platform switch
    {
        ClickPlatform.Google => "google",
        ClickPlatform.Meta => "meta",
        ClickPlatform.TikTok => "tiktok",
        ClickPlatform.TencentAds => "tencent_ads",
        _ => "ocean_engine",
    };

    public ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default) =>
        _store.MergeAsync(survivor, merged, cancellationToken);

    [LoggerMessage(EventId = 5050, Level = LogLevel.Debug, Message = "Captured {Clicks} ad click ids of {Customers} customers from landing URLs")]
    private static partial void LogCaptured(ILogger logger, int clicks, int customers);
}

/// <summary>Erases a customer's captured click ids for a data-subject erasure (a durable store's own erasure may already have removed them).</summary>
internal sealed class ClickIdDataEraser(ClickIdStore store) : IPersonalDataEraser
{
    public string Name => "platforms.clicks";

    public ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default) =>
        store.EraseAsync(customerId, cancellationToken);
}
