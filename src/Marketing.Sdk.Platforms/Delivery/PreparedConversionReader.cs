using System.Text.Json;

namespace Marketing.Sdk.Platforms.Delivery;

/// <summary>
/// Reads a stored <see cref="PreparedConversion"/> in one forward pass over its UTF-8 JSON — the shape
/// <see cref="ConversionPublisher"/> writes (snake_case names, nulls left out) — several times faster than
/// the general serializer. Anything else (an unknown or repeated property, an unexpected token or null, an
/// enum name it does not know, malformed JSON) makes it give up and return <see langword="null"/>; the caller
/// then uses the serializer, so every payload is read exactly as the serializer reads it.
/// </summary>
internal static class PreparedConversionReader
{
    /// <summary>Reads the payload, or the serializer's answer when it is not the plain publisher shape.</summary>
    /// <param name="utf8">The stored payload.</param>
    /// <exception cref="JsonException">The payload is not valid for the serializer either.</exception>
    public static PreparedConversion? Read(ReadOnlySpan<byte> utf8) =>
        TryRead(utf8) ?? JsonSerializer.Deserialize(utf8, PlatformJsonContext.Default.PreparedConversion);

    /// <summary>The conversion, or <see langword="null"/> when the payload is not the plain publisher shape.</summary>
    /// <param name="utf8">The stored payload.</param>
    public static PreparedConversion? TryRead(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            return ReadConversion(ref reader) is { } conversion && !reader.Read() ? conversion : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [Flags]
    private enum Seen
    {
        None = 0,
        EventId = 1 << 0,
        EventType = 1 << 1,
        OccurredAt = 1 << 2,
        CustomerId = 1 << 3,
        Value = 1 << 4,
        Currency = 1 << 5,
        OrderId = 1 << 6,
        Items = 1 << 7,
        Match = 1 << 8,
        Clicks = 1 << 9,
        Source = 1 << 10,
        SourceUrl = 1 << 11,
    }

    private static PreparedConversion? ReadConversion(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        var seen = Seen.None;
        string? eventId = null, eventType = null, customerId = null, currency = null, orderId = null, sourceUrl = null;
        DateTimeOffset occurredAt = default;
        decimal? value = null;
        List<ConversionItem>? items = null;
        Dictionary<string, string>? match = null;
        ClickIdentifiers? clicks = null;
        var source = ConversionSource.Website;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                const Seen required = Seen.EventId | Seen.EventType | Seen.OccurredAt | Seen.CustomerId;
                return (seen & required) != required
                    ? null
                    : new PreparedConversion
                    {
                        EventId = eventId!,
                        EventType = eventType!,
                        OccurredAt = occurredAt,
                        CustomerId = customerId!,
                        Value = value,
                        Currency = currency,
                        OrderId = orderId,
                        Items = items ?? (IReadOnlyList<ConversionItem>)[],
                        Match = match ?? new Dictionary<string, string>(),
                        Clicks = clicks ?? new ClickIdentifiers(),
                        Source = source,
                        SourceUrl = sourceUrl,
                    };
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return null;
            }
            Seen property;
            if (reader.ValueTextEquals("event_id"u8))
            {
                property = Seen.EventId;
                reader.Read();
                eventId = RequiredString(ref reader);
            }
            else if (reader.ValueTextEquals("event_type"u8))
            {
                property = Seen.EventType;
                reader.Read();
                eventType = RequiredString(ref reader);
            }
            else if (reader.ValueTextEquals("occurred_at"u8))
            {
                property = Seen.OccurredAt;
                reader.Read();
                occurredAt = reader.GetDateTimeOffset();
            }
            else if (reader.ValueTextEquals("customer_id"u8))
            {
                property = Seen.CustomerId;
                reader.Read();
                customerId = RequiredString(ref reader);
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                property = Seen.Value;
                reader.Read();
                value = reader.TokenType == JsonTokenType.Null ? null : reader.GetDecimal();
            }
            else if (reader.ValueTextEquals("currency"u8))
            {
                property = Seen.Currency;
                reader.Read();
                currency = OptionalString(ref reader);
            }
            else if (reader.ValueTextEquals("order_id"u8))
            {
                property = Seen.OrderId;
                reader.Read();
                orderId = OptionalString(ref reader);
            }
            else if (reader.ValueTextEquals("items"u8))
            {
                property = Seen.Items;
                items = ReadItems(ref reader);
                if (items is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("match"u8))
            {
                property = Seen.Match;
                match = ReadMatch(ref reader);
                if (match is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("clicks"u8))
            {
                property = Seen.Clicks;
                clicks = ReadClicks(ref reader);
                if (clicks is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("source"u8))
            {
                property = Seen.Source;
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || SourceFromName(ref reader) is not { } parsed)
                {
                    return null;
                }
                source = parsed;
            }
            else if (reader.ValueTextEquals("source_url"u8))
            {
                property = Seen.SourceUrl;
                reader.Read();
                sourceUrl = OptionalString(ref reader);
            }
            else
            {
                return null;
            }
            if ((seen & property) != 0)
            {
                return null;
            }
            seen |= property;
        }
        return null;
    }

    /// <summary>A string value (a null or another token gives up).</summary>
    private static string RequiredString(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new FormatException();

    /// <summary>A string or null (another token gives up).</summary>
    private static string? OptionalString(ref Utf8JsonReader reader) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new FormatException(),
        };

    private static List<ConversionItem>? ReadItems(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }
        var items = new List<ConversionItem>();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return items;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            string? productId = null;
            int? quantity = null;
            decimal? unitPrice = null;
            var unitPriceSeen = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    return null;
                }
                if (reader.ValueTextEquals("product_id"u8) && productId is null)
                {
                    reader.Read();
                    productId = RequiredString(ref reader);
                }
                else if (reader.ValueTextEquals("quantity"u8) && quantity is null)
                {
                    reader.Read();
                    quantity = reader.GetInt32();
                }
                else if (reader.ValueTextEquals("unit_price"u8) && !unitPriceSeen)
                {
                    reader.Read();
                    unitPriceSeen = true;
                    unitPrice = reader.TokenType == JsonTokenType.Null ? null : reader.GetDecimal();
                }
                else
                {
                    return null;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || productId is null || quantity is null)
            {
                return null;
            }
            items.Add(new ConversionItem(productId, quantity.Value, unitPrice));
        }
        return null;
    }

    private static Dictionary<string, string>? ReadMatch(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        var match = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return match;
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return null;
            }
            var key = reader.GetString()!;
            reader.Read();
            if (!match.TryAdd(key, RequiredString(ref reader)))
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>The property names of <see cref="ClickIdentifiers"/> as the publisher writes them, in the order of <see cref="ReadClicks"/>' values.</summary>
    private static readonly byte[][] ClickNames =
        [.. new[] { "gclid", "gbraid", "wbraid", "fbc", "fbp", "ttclid", "ttp", "client_ip_address", "user_agent", "tencent_click_id", "we_chat_open_id", "we_chat_union_id", "we_chat_app_id", "ocean_engine_callback" }.Select(System.Text.Encoding.UTF8.GetBytes)];

    private static ClickIdentifiers? ReadClicks(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        var values = new string?[ClickNames.Length];
        var seen = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return new ClickIdentifiers
                {
                    Gclid = values[0],
                    Gbraid = values[1],
                    Wbraid = values[2],
                    Fbc = values[3],
                    Fbp = values[4],
                    Ttclid = values[5],
                    Ttp = values[6],
                    ClientIpAddress = values[7],
                    UserAgent = values[8],
                    TencentClickId = values[9],
                    WeChatOpenId = values[10],
                    WeChatUnionId = values[11],
                    WeChatAppId = values[12],
                    OceanEngineCallback = values[13],
                };
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return null;
            }
            var i = 0;
            while (i < ClickNames.Length && !reader.ValueTextEquals(ClickNames[i]))
            {
                i++;
            }
            if (i == ClickNames.Length || (seen & (1 << i)) != 0)
            {
                return null;
            }
            seen |= 1 << i;
            reader.Read();
            values[i] = OptionalString(ref reader);
        }
        return null;
    }

    /// <summary>The source from its member name as the publisher writes it (<c>Website</c>), or <see langword="null"/> for any other text.</summary>
    private static ConversionSource? SourceFromName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("Website"u8) ? ConversionSource.Website
        : reader.ValueTextEquals("App"u8) ? ConversionSource.App
        : reader.ValueTextEquals("PhysicalStore"u8) ? ConversionSource.PhysicalStore
        : reader.ValueTextEquals("Crm"u8) ? ConversionSource.Crm
        : reader.ValueTextEquals("Chat"u8) ? ConversionSource.Chat
        : reader.ValueTextEquals("PhoneCall"u8) ? ConversionSource.PhoneCall
        : reader.ValueTextEquals("Other"u8) ? ConversionSource.Other
        : null;
}
