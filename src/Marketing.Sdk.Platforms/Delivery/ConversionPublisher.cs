using System.Text.Json;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.Delivery;

/// <summary>The outcome of publishing conversions.</summary>
/// <param name="Enqueued">Outbox messages stored (one per conversion and platform).</param>
/// <param name="Duplicates">Messages skipped because the same conversion was already published to that platform.</param>
/// <param name="FieldsDropped">Customer-information fields left out because they could not be normalised (e.g. an email without '@'), by field.</param>
public sealed record PublishResult(int Enqueued, int Duplicates, IReadOnlyDictionary<MatchField, int> FieldsDropped)
{
    /// <summary>Conversions a destination does not take (<see cref="IConversionApplicability"/>), with the typed reason; nothing was stored for them there.</summary>
    public IReadOnlyList<ConversionSkip> Skipped { get; init; } = [];
    /// <summary>Conversions that got at least one click id filled in from the click ids captured from the customer's landing URLs (<see cref="Clicks.ClickIdStore"/>).</summary>
    public int ClickIdsFilled { get; init; }
}

/// <summary>
/// Publishes conversions to every registered platform through the durable outbox: one message per
/// conversion and destination, keyed by the conversion's event id so publishing twice stores it once,
/// with the customer information normalised and hashed per platform <em>before</em> it is stored —
/// raw personal data never reaches the outbox. Delivery happens later in <see cref="PlatformDeliveryWorker"/>.
/// </summary>
public interface IConversionPublisher
{
    /// <summary>The destinations conversions are published to.</summary>
    IReadOnlyList<string> Destinations { get; }

    /// <summary>Validates and enqueues conversions for every destination (or only <paramref name="destinations"/>).</summary>
    /// <param name="conversions">The conversions.</param>
    /// <param name="destinations">Limits publishing to these destinations, or all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MarketingValidationException">A conversion is invalid, or a destination's platform would refuse it (<see cref="IConversionRequestValidator"/>: names the field and index); nothing is enqueued.</exception>
    ValueTask<PublishResult> PublishAsync(IReadOnlyList<ConversionRequest> conversions, IReadOnlyCollection<string>? destinations = null, CancellationToken cancellationToken = default);
}

/// <summary>The default <see cref="IConversionPublisher"/>.</summary>
public sealed partial class ConversionPublisher : IConversionPublisher
{
    private readonly IReadOnlyList<IConversionSink> _sinks;
    private readonly IOutboxStore _outbox;
    private readonly ILogger _logger;
    private readonly Clicks.ClickIdStore? _clicks;

    /// <summary>Creates the publisher.</summary>
    /// <param name="sinks">The registered platform sinks.</param>
    /// <param name="outbox">The outbox.</param>
    /// <param name="logger">The logger.</param>
    public ConversionPublisher(IEnumerable<IConversionSink> sinks, IOutboxStore outbox, ILogger<ConversionPublisher>? logger = null)
        : this(sinks, outbox, logger, null)
    {
    }

    /// <summary>Creates the publisher that fills in the click ids captured from the customers' landing URLs.</summary>
    /// <param name="sinks">The registered platform sinks.</param>
    /// <param name="outbox">The outbox.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="clicks">
    /// The captured click ids: a conversion published without a platform's click ids gets the customer's stored ones
    /// within that platform's window (the host's own values win per platform); <see langword="null"/> fills in nothing.
    /// </param>
    public ConversionPublisher(IEnumerable<IConversionSink> sinks, IOutboxStore outbox, ILogger<ConversionPublisher>? logger, Clicks.ClickIdStore? clicks)
    {
        _clicks = clicks;
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(outbox);
        _sinks = [.. sinks];
        _outbox = outbox;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var duplicate = _sinks.GroupBy(s => s.Destination, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two conversion sinks use the destination '{duplicate.Key}'.");
        }
    }

    /// <summary>Publishes of at least this many messages are prepared in parallel.</summary>
    internal const int ParallelThreshold = 512;

    /// <inheritdoc />
    public IReadOnlyList<string> Destinations => [.. _sinks.Select(s => s.Destination)];

    /// <inheritdoc />
    public async ValueTask<PublishResult> PublishAsync(IReadOnlyList<ConversionRequest> conversions, IReadOnlyCollection<string>? destinations = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversions);
        var sinks = destinations is null ? _sinks : [.. _sinks.Where(s => destinations.Contains(s.Destination))];
        for (var i = 0; i < conversions.Count; i++)
        {
            Validate(conversions[i], i);
            foreach (var sink in sinks)
            {
                (sink as IConversionRequestValidator)?.Validate(conversions[i], i);
            }
        }
        var clicksFilled = 0;
        if (_clicks is { Options.Enabled: true } && sinks.Count > 0 && conversions.Count > 0)
        {
            (conversions, clicksFilled) = await _clicks.FillAsync(conversions, cancellationToken).ConfigureAwait(false);
            if (clicksFilled > 0)
            {
                LogClicksFilled(_logger, clicksFilled, conversions.Count);
            }
        }
        var dropped = new Dictionary<MatchField, int>();
        var messages = new OutboxMessage?[conversions.Count * sinks.Count];
        var skipped = new List<ConversionSkip>();
        for (var k = 0; k < messages.Length; k++)
        {
            if (sinks[k / conversions.Count] is IConversionApplicability applicability
                && applicability.SkipReason(conversions[k % conversions.Count]) is { } reason)
            {
                skipped.Add(new ConversionSkip(k % conversions.Count, sinks[k / conversions.Count].Destination, reason));
            }
        }
        var skip = skipped.Select(s => (s.Index, s.Destination)).ToHashSet();
        // Message k is conversion k % n for sink k / n. Normalising, hashing and serialising dominate a large
        // publish, and each message is independent, so large publishes prepare their messages on every core.
        void PrepareRange(int from, int to, Dictionary<MatchField, int> drops)
        {
            for (var k = from; k < to; k++)
            {
                var sink = sinks[k / conversions.Count];
                var conversion = conversions[k % conversions.Count];
                if (skip.Count > 0 && skip.Contains((k % conversions.Count, sink.Destination)))
                {
                    continue;
                }
                messages[k] = new OutboxMessage
                {
                    Destination = sink.Destination,
                    IdempotencyKey = conversion.EventId,
                    Payload = JsonSerializer.SerializeToUtf8Bytes(Prepare(conversion, sink.Hashing, drops, sink as IMatchFieldPreparer), PlatformJsonContext.Default.PreparedConversion),
                    CustomerId = conversion.CustomerId,
                };
            }
        }
        if (messages.Length < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            PrepareRange(0, messages.Length, dropped);
        }
        else
        {
            var parts = Environment.ProcessorCount;
            Parallel.For(0, parts, new ParallelOptions { CancellationToken = cancellationToken }, part =>
            {
                var drops = new Dictionary<MatchField, int>();
                PrepareRange((int)((long)messages.Length * part / parts), (int)((long)messages.Length * (part + 1) / parts), drops);
                lock (dropped)
                {
                    foreach (var (field, count) in drops)
                    {
                        dropped[field] = dropped.GetValueOrDefault(field) + count;
                    }
                }
            });
        }
        OutboxMessage[] stored = [.. messages.OfType<OutboxMessage>()];
        var result = stored.Length == 0 ? new OutboxEnqueueResult(0, []) : await _outbox.EnqueueAsync(stored, cancellationToken).ConfigureAwait(false);
        LogPublished(_logger, conversions.Count, sinks.Count, result.Enqueued, result.Duplicates.Count);
        return new PublishResult(result.Enqueued, result.Duplicates.Count, dropped) { Skipped = skipped, ClickIdsFilled = clicksFilled };
    }

    /// <summary>Prepares a conversion for one platform: a national-format phone completed with the customer's country, every customer-information field normalised and hashed per the profile; fields that cannot be normalised are dropped and counted.</summary>
    /// <param name="conversion">The conversion.</param>
    /// <param name="profile">The platform's hashing profile.</param>
    /// <param name="dropped">Counts dropped fields, if given.</param>
    public static PreparedConversion Prepare(ConversionRequest conversion, HashingProfile profile, IDictionary<MatchField, int>? dropped = null) =>
        Prepare(conversion, profile, dropped, null);

    /// <summary>Prepares a conversion for one platform with the platform's own field rules, if it has them.</summary>
    /// <param name="conversion">The conversion.</param>
    /// <param name="profile">The platform's hashing profile.</param>
    /// <param name="dropped">Counts dropped fields, if given.</param>
    /// <param name="preparer">The platform's own field rules (<see cref="IMatchFieldPreparer"/>), or <see langword="null"/> for the shared ones.</param>
    public static PreparedConversion Prepare(ConversionRequest conversion, HashingProfile profile, IDictionary<MatchField, int>? dropped, IMatchFieldPreparer? preparer)
    {
        ArgumentNullException.ThrowIfNull(conversion);
        ArgumentNullException.ThrowIfNull(profile);
        var match = new Dictionary<string, string>(StringComparer.Ordinal);
        var country = conversion.Customer?.Country;
        foreach (var (field, value) in MatchDataNormalization.WithE164Phone(conversion.Customer ?? new CustomerMatchData()).Fields())
        {
            try
            {
                match[MatchKeys.Name(field)] = preparer is null ? PlatformHasher.Prepare(field, value, profile) : preparer.Prepare(field, value, country);
            }
            catch (MatchNormalizationException)
            {
                if (dropped is not null)
                {
                    dropped[field] = dropped.TryGetValue(field, out var n) ? n + 1 : 1;
                }
            }
        }
        return new PreparedConversion
        {
            EventId = conversion.EventId,
            EventType = conversion.EventType.Value,
            OccurredAt = conversion.OccurredAt,
            CustomerId = conversion.CustomerId.ToString(),
            Value = conversion.Value?.Amount,
            Currency = conversion.Value?.Currency,
            OrderId = conversion.OrderId,
            Items = conversion.Items,
            Match = match,
            Clicks = conversion.Clicks,
            Source = conversion.Source,
            SourceUrl = conversion.SourceUrl?.ToString(),
        };
    }

    private static void Validate(ConversionRequest c, int index)
    {
        if (c is null)
        {
            throw new MarketingValidationException("conversion", ValidationReason.Missing, "a conversion is null", index);
        }
        if (string.IsNullOrWhiteSpace(c.EventId))
        {
            throw new MarketingValidationException(nameof(c.EventId), ValidationReason.Missing, "a conversion needs an event id (the platforms deduplicate on it)", index);
        }
        if (c.EventId.Length > 256)
        {
            throw new MarketingValidationException(nameof(c.EventId), ValidationReason.TooLarge, "an event id is at most 256 characters", index);
        }
        if (c.Value is { Amount: < 0 })
        {
            throw new MarketingValidationException(nameof(c.Value), ValidationReason.Negative, "a conversion value cannot be negative", index);
        }
        for (var i = 0; i < c.Items.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(c.Items[i].ProductId))
            {
                throw new MarketingValidationException($"{nameof(c.Items)}[{i}].{nameof(ConversionItem.ProductId)}", ValidationReason.Missing, "an item needs a product id", index);
            }
            if (c.Items[i].Quantity <= 0)
            {
                throw new MarketingValidationException($"{nameof(c.Items)}[{i}].{nameof(ConversionItem.Quantity)}", ValidationReason.OutOfRange, "an item quantity must be positive", index);
            }
        }
    }

    [LoggerMessage(EventId = 5011, Level = LogLevel.Debug, Message = "Filled captured click ids into {Filled} of {Conversions} conversions")]
    private static partial void LogClicksFilled(ILogger logger, int filled, int conversions);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "Published {Conversions} conversions to {Destinations} destinations: {Enqueued} enqueued, {Duplicates} already published")]
    private static partial void LogPublished(ILogger logger, int conversions, int destinations, int enqueued, int duplicates);
}
