using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>
/// Validates an event against the <see cref="IngestionOptions"/> rules and returns it with
/// normalised identities. Throws <see cref="MarketingValidationException"/> naming the first
/// offending field and the reason; never includes the offending value in the message.
/// </summary>
public sealed class EventValidator
{
    private readonly IngestionOptions _options;
    private readonly IdentityNormalizer _normalizer;
    private readonly TimeProvider _time;

    /// <summary>Creates a validator.</summary>
    /// <param name="options">The rules.</param>
    /// <param name="normalizer">Identity normalisation.</param>
    /// <param name="timeProvider">The clock for the future-timestamp rule.</param>
    public EventValidator(IOptions<IngestionOptions> options, IdentityNormalizer normalizer, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _normalizer = normalizer ?? throw new ArgumentNullException(nameof(normalizer));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <summary>Validates and normalises one event.</summary>
    /// <param name="e">The event.</param>
    /// <returns>The event with normalised, de-duplicated identities.</returns>
    /// <exception cref="MarketingValidationException">The event breaks a rule.</exception>
    public MarketingEvent Validate(MarketingEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Text(e.Id, "id", _options.MaxEventIdLength, required: true);
        if (e.Type.Value is null)
        {
            throw new MarketingValidationException("type", ValidationReason.Missing, "An event type is required.");
        }
        if (e.OccurredAt == default)
        {
            throw new MarketingValidationException("occurredAt", ValidationReason.Missing, "The time the event occurred is required.");
        }
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
        if (e.Order is { } order)
        {
            ValidateOrder(order, e.Value);
        }
        return identities is null ? e : e with { Identities = identities };
    }

    private List<Identity>? ValidateIdentities(MarketingEvent e)
    {
        if (e.Identities is null || e.Identities.Count == 0)
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
            return;
        }
        if (properties.Count > _options.MaxProperties)
        {
            throw new MarketingValidationException("properties", ValidationReason.TooLarge, $"At most {_options.MaxProperties} properties per event.");
        }
        foreach (var (name, value) in properties)
        {
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

    private void ValidateOrder(Order order, Money? eventValue)
    {
        Text(order.OrderId, "order.orderId", _options.MaxFieldLength, required: true);
        Text(order.CouponCode, "order.couponCode", _options.MaxFieldLength);
        if (order.Lines is null || order.Lines.Count == 0)
        {
            throw new MarketingValidationException("order.lines", ValidationReason.Missing, "An order needs at least one line.");
        }
        if (order.Lines.Count > _options.MaxOrderLines)
        {
            throw new MarketingValidationException("order.lines", ValidationReason.TooLarge, $"At most {_options.MaxOrderLines} lines per order.");
        }
        string? currency = null;
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
    }

    private static void Money(Money money, string field)
    {
        if (money.Currency is null)
        {
            throw new MarketingValidationException($"{field}.currency", ValidationReason.InvalidCurrency, "An amount needs an ISO 4217 currency.");
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
