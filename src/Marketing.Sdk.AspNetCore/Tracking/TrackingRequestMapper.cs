using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Marketing.Sdk.AspNetCore.Tracking;

/// <summary>
/// Turns a request model into the domain event: the caller's fields are checked (presence, size,
/// characters, ranges), the identities are the server's plus the caller's anonymous ids, and the
/// server-owned fields (customer id, flags, received-at) are left to ingestion. Throws
/// <see cref="TrackingInputException"/> or <see cref="MarketingValidationException"/> naming the field.
/// </summary>
internal static class TrackingRequestMapper
{
    /// <summary>The largest amount accepted on the wire: line totals (amount × quantity ≤ 10^18) stay far from decimal overflow.</summary>
    public const decimal MaxAmount = 1_000_000_000_000m;

    public const int MaxQuantity = 1_000_000;

    private const int MaxTextLength = 256;
    private const int MaxPropertyTextLength = 4096;
    private const int MaxProperties = 100;
    private const int MaxAnonymousIds = 10;
    private const int MaxLines = 500;

    public static MarketingEvent ToEvent(TrackEventRequest request, IReadOnlyList<Identity> serverIdentities, IPAddress? remoteIp)
    {
        var id = Text(request.Id, "id", MaxTextLength, required: true)!;
        if (request.Type is null)
        {
            throw Missing("type");
        }
        var type = Domain(() => new EventType(Text(request.Type, "type", 64, required: true)!), "type");
        if (request.OccurredAt is not { } occurredAt)
        {
            throw Missing("occurredAt");
        }
        Instant(occurredAt, "occurredAt");

        if (request.AnonymousIds.Count > MaxAnonymousIds)
        {
            throw new MarketingValidationException("anonymousIds", ValidationReason.TooLarge, $"At most {MaxAnonymousIds} anonymous ids are accepted.");
        }
        var identities = new List<Identity>(serverIdentities.Count + request.AnonymousIds.Count);
        identities.AddRange(serverIdentities);
        for (var i = 0; i < request.AnonymousIds.Count; i++)
        {
            var a = request.AnonymousIds[i] ?? throw new TrackingInputException($"anonymousIds[{i}]", TrackingErrors.NullNotAllowed, "JSON null is not accepted for an anonymous id.");
            identities.Add(new Identity(AnonymousKind(a.Kind, $"anonymousIds[{i}].kind"), Text(a.Value, $"anonymousIds[{i}].value", MaxTextLength, required: true)!));
        }
        if (identities.Count == 0)
        {
            throw new MarketingValidationException("anonymousIds", ValidationReason.Missing,
                "A caller that is not signed in must send an anonymous id (DeviceId or CookieId).");
        }

        return new MarketingEvent
        {
            Id = id,
            Type = type,
            OccurredAt = occurredAt,
            Identities = identities,
            Channel = request.Channel is null ? (Channel?)null : Domain(() => new Channel(Text(request.Channel, "channel", 64, required: true)!), "channel"),
            CampaignId = Text(request.CampaignId, "campaignId", MaxTextLength, required: false),
            SessionId = Text(request.SessionId, "sessionId", MaxTextLength, required: false),
            IpAddress = remoteIp?.ToString(),
            Value = request.Value is null ? null : ToMoney(request.Value, "value"),
            Order = request.Order is null ? null : ToOrder(request.Order),
            Properties = ToProperties(request.Properties),
        };
    }

    private static IdentityKind AnonymousKind(string? kind, string field)
    {
        if (string.IsNullOrWhiteSpace(kind))
        {
            throw Missing(field);
        }
        if (kind.Length <= 32 && !kind.Any(char.IsAsciiDigit) && Enum.TryParse<IdentityKind>(kind.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var parsed)
            && Enum.IsDefined(parsed))
        {
            if (parsed is IdentityKind.DeviceId or IdentityKind.CookieId)
            {
                return parsed;
            }
            throw new TrackingInputException(field, TrackingErrors.NotAllowed,
                "Callers may only send anonymous ids (DeviceId, CookieId); person-level identities come from the server's identity resolver.");
        }
        throw new MarketingValidationException(field, ValidationReason.UnknownIdentityKind, "The kind must be DeviceId or CookieId.");
    }

    private static Order ToOrder(OrderRequest order)
    {
        var orderId = Text(order.OrderId, "order.orderId", MaxTextLength, required: true)!;
        if (order.PlacedAt is not { } placedAt)
        {
            throw Missing("order.placedAt");
        }
        Instant(placedAt, "order.placedAt");
        if (order.Lines.Count == 0)
        {
            throw new MarketingValidationException("order.lines", ValidationReason.Missing, "An order needs at least one line.");
        }
        if (order.Lines.Count > MaxLines)
        {
            throw new MarketingValidationException("order.lines", ValidationReason.TooLarge, $"At most {MaxLines} order lines are accepted.");
        }
        var lines = new List<OrderLine>(order.Lines.Count);
        for (var i = 0; i < order.Lines.Count; i++)
        {
            var prefix = $"order.lines[{i}]";
            var line = order.Lines[i] ?? throw new TrackingInputException(prefix, TrackingErrors.NullNotAllowed, "JSON null is not accepted for an order line.");
            if (line.Quantity is not { } quantity)
            {
                throw Missing(prefix + ".quantity");
            }
            if (quantity is < 1 or > MaxQuantity)
            {
                throw new MarketingValidationException(prefix + ".quantity", quantity < 1 ? ValidationReason.OutOfRange : ValidationReason.TooLarge, $"Quantities are 1 to {MaxQuantity}.");
            }
            lines.Add(new OrderLine
            {
                ProductId = Text(line.ProductId, prefix + ".productId", MaxTextLength, required: true)!,
                Quantity = quantity,
                UnitPrice = line.UnitPrice is null ? throw Missing(prefix + ".unitPrice") : ToMoney(line.UnitPrice, prefix + ".unitPrice"),
                Category = Text(line.Category, prefix + ".category", MaxTextLength, required: false),
            });
        }
        return new Order
        {
            OrderId = orderId,
            PlacedAt = placedAt,
            Lines = lines,
            Total = order.Total is null ? null : ToMoney(order.Total, "order.total"),
            Discount = order.Discount is null ? null : ToMoney(order.Discount, "order.discount"),
            CouponCode = Text(order.CouponCode, "order.couponCode", MaxTextLength, required: false),
        };
    }

    private static Money ToMoney(MoneyRequest money, string field)
    {
        if (money.Amount is not { } amount)
        {
            throw Missing(field + ".amount");
        }
        if (Math.Abs(amount) > MaxAmount)
        {
            throw new MarketingValidationException(field + ".amount", ValidationReason.OutOfRange, "Amounts are at most 1 000 000 000 000 in magnitude.");
        }
        var currency = Text(money.Currency, field + ".currency", 8, required: true)!;
        return Domain(() => new Money(amount, currency), field);
    }

    private static Dictionary<string, PropertyValue> ToProperties(IReadOnlyDictionary<string, JsonElement> properties)
    {
        if (properties.Count > MaxProperties)
        {
            throw new MarketingValidationException("properties", ValidationReason.TooLarge, $"At most {MaxProperties} properties are accepted.");
        }
        var result = new Dictionary<string, PropertyValue>(properties.Count, StringComparer.Ordinal);
        foreach (var (name, value) in properties)
        {
            if (!TrackingErrors.IsSafeName(name))
            {
                throw new MarketingValidationException("properties", ValidationReason.InvalidFormat,
                    "Property names are 1-64 ASCII letters, digits, '_', '.' or '-'.");
            }
            var field = "properties." + name;
            result[name] = value.ValueKind switch
            {
                JsonValueKind.String => PropertyValue.From(Text(ReadString(value, field), field, MaxPropertyTextLength, required: false, allowLineBreaks: true)),
                JsonValueKind.Number => value.TryGetDecimal(out var d)
                    ? PropertyValue.From(d)
                    : throw new MarketingValidationException(field, ValidationReason.OutOfRange, "Numbers must fit a decimal (about ±7.9e28)."),
                JsonValueKind.True => PropertyValue.From(true),
                JsonValueKind.False => PropertyValue.From(false),
                JsonValueKind.Null => throw new TrackingInputException(field, TrackingErrors.NullNotAllowed, "JSON null is not accepted for a property; omit it instead."),
                _ => throw new MarketingValidationException(field, ValidationReason.InvalidFormat, "Property values are strings, numbers or booleans."),
            };
        }
        return result;
    }

    private static string ReadString(JsonElement value, string field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "The text is not valid UTF-16 (an unpaired surrogate).");
        }
    }

    /// <summary>Checks presence, length and characters (no control characters, no unpaired surrogates).</summary>
    public static string? Text(string? value, string field, int maxLength, bool required, bool allowLineBreaks = false)
    {
        if (value is null || (required && string.IsNullOrWhiteSpace(value)))
        {
            return required ? throw Missing(field) : null;
        }
        if (value.Length > maxLength)
        {
            throw new MarketingValidationException(field, ValidationReason.TooLarge, $"At most {maxLength.ToString(CultureInfo.InvariantCulture)} characters are accepted.");
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var bad = char.IsHighSurrogate(c)
                ? i + 1 >= value.Length || !char.IsLowSurrogate(value[++i])
                : char.IsLowSurrogate(c) || (char.IsControl(c) && !(allowLineBreaks && c is '\n' or '\r' or '\t'));
            if (bad)
            {
                throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "The text contains a control character (e.g. NUL) or an unpaired surrogate.");
            }
        }
        return value.Normalize(NormalizationForm.FormC) is var normal && normal.Length <= maxLength ? normal : value;
    }

    private static void Instant(DateTimeOffset value, string field)
    {
        // Year 1 and year 9999 are what broken clients send for "no date" and "never"; they are out of range, not missing.
        if (value.UtcDateTime.Year is < 1970 or > 9000)
        {
            throw new MarketingValidationException(field, ValidationReason.OutOfRange, "Timestamps lie between 1970 and 9000; ingestion then checks the accepted age and clock skew.");
        }
    }

    private static T Domain<T>(Func<T> create, string field)
    {
        try
        {
            return create();
        }
        catch (MarketingValidationException ex)
        {
            // The domain names its own field ("type", "currency"); keep the request's path.
            var own = ex.Field;
            var path = field.EndsWith(own, StringComparison.Ordinal) ? field : field + "." + own;
            throw new MarketingValidationException(path, ex.Reason, ex.Detail);
        }
    }

    private static MarketingValidationException Missing(string field) =>
        new(field, ValidationReason.Missing, "A value is required.");
}
