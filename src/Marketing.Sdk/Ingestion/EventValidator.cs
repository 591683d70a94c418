using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>
/// Validates an event against the <see cref="IngestionOptions"/> rules and returns it with
/// normalised identities. Throws <see cref="MarketingValidationException"/> naming the first
/// offending field and the reason; never includes the offending value in the message.
/// Everything a store checks is checked here first, so that a store never rejects an event after
/// identity resolution has claimed its identities.
/// </summary>
/// <remarks>
/// Server-owned fields set by a caller: <see cref="MarketingEvent.CustomerId"/> must be a well-formed
/// id (it is used when the event has no identities, and replaced by identity resolution otherwise);
/// <see cref="MarketingEvent.Flags"/> must hold only defined flags and <see cref="MarketingEvent.ReceivedAt"/>
/// must lie in the accepted date range. Both are then ignored: the pipeline sets the flags it finds and
/// the time it accepted the event.
/// </remarks>
internal sealed class EventValidator
{
    /// <summary>Earliest accepted timestamp (the Unix epoch).</summary>
    public static readonly DateTimeOffset MinTimestamp = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Latest accepted timestamp (the end of year 9998; year 9999 is a sentinel that breaks date arithmetic).</summary>
    public static readonly DateTimeOffset MaxTimestamp = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const EventFlags KnownFlags = EventFlags.SuspectedBot | EventFlags.RegionInferred | EventFlags.IdentityGuarded;

    private readonly IngestionOptions _options;
    private readonly IdentityNormalizer _normalizer;
    private readonly TimeProvider _time;

    public EventValidator(IOptions<IngestionOptions> options, IdentityNormalizer normalizer, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _normalizer = normalizer ?? throw new ArgumentNullException(nameof(normalizer));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <summary>Validates and normalises one event.</summary>
    /// <param name="e">The event.</param>
    /// <returns>The event with normalised, de-duplicated identities, caller-set flags cleared and its value filled from its order.</returns>
    /// <exception cref="MarketingValidationException">The event breaks a rule.</exception>
    public MarketingEvent Validate(MarketingEvent? e)
    {
        if (e is null)
        {
            throw new MarketingValidationException("event", ValidationReason.Missing, "The event is null.");
        }
        Text(e.Id, "id", _options.MaxEventIdLength, required: true);
        if (e.Type.Value is null)
        {
            throw new MarketingValidationException("type", ValidationReason.Missing, "An event type is required.");
        }
        Timestamp(e.OccurredAt, "occurredAt");
        var now = _time.GetUtcNow();
        if (e.OccurredAt - now > _options.MaxClockSkew)
        {
            throw new MarketingValidationException("occurredAt", ValidationReason.FutureTimestamp,
                $"The event lies more than {_options.MaxClockSkew} in the future.");
        }
        if (_options.MaxEventAge is { } maxAge && now - e.OccurredAt > maxAge)
        {
            throw new MarketingValidationException("occurredAt", ValidationReason.TooOld, $"The event is older than {maxAge}.");
        }
        if (e.ReceivedAt is { } receivedAt)
        {
            Timestamp(receivedAt, "receivedAt");
        }
        if ((e.Flags & ~KnownFlags) != 0)
        {
            throw new MarketingValidationException("flags", ValidationReason.OutOfRange, "The flags contain bits that are not defined flags.");
        }
        if (e.CustomerId is { Value: null })
        {
            throw new MarketingValidationException("customerId", ValidationReason.Missing, "A customer id, when given, must not be empty.");
        }
        Text(e.SessionId, "sessionId", _options.MaxFieldLength);
        Text(e.CampaignId, "campaignId", _options.MaxFieldLength);
        Text(e.Region, "region", _options.MaxFieldLength);
        Text(e.IpAddress, "ipAddress", 64);
        if (e.IpAddress is not null && !System.Net.IPAddress.TryParse(e.IpAddress, out _))
        {
            throw new MarketingValidationException("ipAddress", ValidationReason.InvalidFormat, "Not an IPv4 or IPv6 address.");
        }
        if (e.Channel is { } channel && channel.Value is null)
        {
            throw new MarketingValidationException("channel", ValidationReason.Missing, "A channel, when given, needs a name.");
        }
        var identities = ValidateIdentities(e);
        ValidateProperties(e.Properties);
        if (e.Value is { } value)
        {
            Money(value, "value");
        }
        var eventValue = e.Value;
        if (e.Order is { } order)
        {
            var revenue = ValidateOrder(order, e.Value);
            eventValue ??= revenue;
        }
        return e with
        {
            Identities = identities ?? e.Identities,
            Value = eventValue,
            Flags = EventFlags.None,
            ReceivedAt = null,
        };
    }

    private static void Timestamp(DateTimeOffset value, string field)
    {
        if (value < MinTimestamp || value >= MaxTimestamp)
        {
            throw new MarketingValidationException(field, ValidationReason.OutOfRange,
                "Timestamps must lie between 1970-01-01 and the end of year 9998 (UTC).");
        }
    }

    private List<Identity>? ValidateIdentities(MarketingEvent e)
    {
        if (e.Identities is null)
        {
            throw new MarketingValidationException("identities", ValidationReason.InvalidFormat, "Identities must be a list (possibly empty), not null.");
        }
        if (e.Identities.Count == 0)
        {
            if (e.CustomerId is null)
            {
                throw new MarketingValidationException("identities", ValidationReason.Missing, "An event needs at least one identity (or a resolved customer id).");
            }
            return null;
        }
        if (e.Identities.Count > _options.MaxIdentitiesPerEvent)
        {
            throw new MarketingValidationException("identities", ValidationReason.TooLarge, $"At most {_options.MaxIdentitiesPerEvent} identities per event.");
        }
        var result = new List<Identity>(e.Identities.Count);
        for (var i = 0; i < e.Identities.Count; i++)
        {
            var normalized = _normalizer.Normalize(e.Identities[i], $"identities[{i}]");
            if (!result.Contains(normalized))
            {
                result.Add(normalized);
            }
        }
        return result;
    }

    private void ValidateProperties(IReadOnlyDictionary<string, PropertyValue>? properties)
    {
        if (properties is null)
        {
            throw new MarketingValidationException("properties", ValidationReason.InvalidFormat, "Properties must be an object (possibly empty), not null.");
        }
        if (properties.Count > _options.MaxProperties)
        {
            throw new MarketingValidationException("properties", ValidationReason.TooLarge, $"At most {_options.MaxProperties} properties per event.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var seen = 0;
        foreach (var (name, value) in properties)
        {
            if (++seen > _options.MaxProperties)
            {
                throw new MarketingValidationException("properties", ValidationReason.TooLarge, $"At most {_options.MaxProperties} properties per event.");
            }
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new MarketingValidationException("properties", ValidationReason.Missing, "Property names must not be empty.");
            }
            if (name.Length > _options.MaxPropertyNameLength)
            {
                throw new MarketingValidationException("properties", ValidationReason.TooLarge, $"Property names are at most {_options.MaxPropertyNameLength} characters.");
            }
            if (!TextRules.IsClean(name))
            {
                throw new MarketingValidationException("properties", ValidationReason.InvalidCharacters, "A property name contains control characters or unpaired surrogates.");
            }
            if (!names.Add(name))
            {
                throw new MarketingValidationException($"properties.{name}", ValidationReason.Inconsistent, "The property name occurs more than once.");
            }
            if (value.AsString() is { } text)
            {
                if (text.Length > _options.MaxPropertyValueLength)
                {
                    throw new MarketingValidationException($"properties.{name}", ValidationReason.TooLarge, $"Property values are at most {_options.MaxPropertyValueLength} characters.");
                }
                if (!TextRules.IsClean(text))
                {
                    throw new MarketingValidationException($"properties.{name}", ValidationReason.InvalidCharacters, "The value contains control characters or unpaired surrogates.");
                }
            }
        }
    }

    /// <returns>The order's revenue (its total, or the sum of its lines).</returns>
    private Money ValidateOrder(Order order, Money? eventValue)
    {
        Text(order.OrderId, "order.orderId", _options.MaxFieldLength, required: true);
        Text(order.CouponCode, "order.couponCode", _options.MaxFieldLength);
        Timestamp(order.PlacedAt, "order.placedAt");
        if (order.Lines is null || order.Lines.Count == 0)
        {
            throw new MarketingValidationException("order.lines", ValidationReason.Missing, "An order needs at least one line.");
        }
        if (order.Lines.Count > _options.MaxOrderLines)
        {
            throw new MarketingValidationException("order.lines", ValidationReason.TooLarge, $"At most {_options.MaxOrderLines} lines per order.");
        }
        string? currency = null;
        var sum = 0m;
        var units = 0L;
        for (var i = 0; i < order.Lines.Count; i++)
        {
            var line = order.Lines[i];
            var path = $"order.lines[{i}]";
            if (line is null)
            {
                throw new MarketingValidationException(path, ValidationReason.Missing, "Order lines must not be null.");
            }
            Text(line.ProductId, $"{path}.productId", _options.MaxFieldLength, required: true);
            Text(line.Category, $"{path}.category", _options.MaxFieldLength);
            if (line.Quantity < 0)
            {
                throw new MarketingValidationException($"{path}.quantity", ValidationReason.Negative, "Quantities must not be negative.");
            }
            if (line.Quantity == 0)
            {
                throw new MarketingValidationException($"{path}.quantity", ValidationReason.OutOfRange, "Quantities must be at least 1.");
            }
            Money(line.UnitPrice, $"{path}.unitPrice");
            currency ??= line.UnitPrice.Currency;
            if (line.UnitPrice.Currency != currency)
            {
                throw new MarketingValidationException($"{path}.unitPrice.currency", ValidationReason.InvalidCurrency, "All lines of an order must use one currency.");
            }
            units += line.Quantity;
            if (units > int.MaxValue)
            {
                throw new MarketingValidationException("order.lines", ValidationReason.OutOfRange, "The order's total number of units is too large.");
            }
            if (order.Total is null)
            {
                try
                {
                    sum = checked(sum + (line.UnitPrice.Amount * line.Quantity));
                }
                catch (OverflowException)
                {
                    throw new MarketingValidationException($"{path}.unitPrice.amount", ValidationReason.OutOfRange,
                        "The order's revenue (the sum of its lines) is outside the decimal range.");
                }
            }
        }
        if (order.Total is { } total)
        {
            Money(total, "order.total");
            if (total.Currency != currency)
            {
                throw new MarketingValidationException("order.total.currency", ValidationReason.InvalidCurrency, "The order total must use the currency of its lines.");
            }
        }
        if (order.Discount is { } discount)
        {
            Money(discount, "order.discount");
            if (discount.Currency != currency)
            {
                throw new MarketingValidationException("order.discount.currency", ValidationReason.InvalidCurrency, "The order discount must use the currency of its lines.");
            }
        }
        if (eventValue is { } v && v.Currency != currency)
        {
            throw new MarketingValidationException("value.currency", ValidationReason.InvalidCurrency, "The event value must use the currency of its order.");
        }
        return order.Total ?? new Money(sum, currency!);
    }

    private static void Money(Money money, string field)
    {
        if (money.Currency is null)
        {
            throw new MarketingValidationException($"{field}.currency", ValidationReason.Missing, "An amount needs an ISO 4217 currency.");
        }
        if (money.Amount < 0)
        {
            throw new MarketingValidationException($"{field}.amount", ValidationReason.Negative, "Amounts must not be negative.");
        }
    }

    private static void Text(string? value, string field, int maxLength, bool required = false)
    {
        if (value is null || (required && string.IsNullOrWhiteSpace(value)))
        {
            if (required)
            {
                throw new MarketingValidationException(field, ValidationReason.Missing, "A value is required.");
            }
            return;
        }
        if (value.Length > maxLength)
        {
            throw new MarketingValidationException(field, ValidationReason.TooLarge, $"At most {maxLength} characters.");
        }
        if (!TextRules.IsClean(value))
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "The value contains control characters or unpaired surrogates.");
        }
    }
}
