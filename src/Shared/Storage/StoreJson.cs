using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>Outbox message fields that are not queried.</summary>
internal sealed class OutboxMeta
{
    public string ContentType { get; set; } = "application/json";
    public Dictionary<string, string> Headers { get; set; } = [];
    public DateTimeOffset? NotBefore { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OutboxMeta))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;

/// <summary>
/// Reads and writes <see cref="Money"/> as <c>{"amount":…,"currency":…}</c>, the shape the domain context
/// writes (the computed <c>minorUnitDigits</c> is written too and ignored on read), through the
/// constructor so that the currency survives the round trip.
/// </summary>
internal sealed class StoredMoneyConverter : JsonConverter<Money>
{
    public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Money is stored as an object.");
        }
        decimal? amount = null;
        string? currency = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "amount": amount = reader.GetDecimal(); break;
                case "currency": currency = reader.GetString(); break;
                default: reader.Skip(); break;
            }
        }
        return new Money(amount ?? throw new JsonException("Money without an amount."), currency ?? throw new JsonException("Money without a currency."));
    }

    public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("amount", value.Amount);
        writer.WriteString("currency", value.Currency);
        writer.WriteNumber("minorUnitDigits", value.MinorUnitDigits);
        writer.WriteEndObject();
    }
}

/// <summary>
/// Reads and writes <see cref="Identity"/> in stored documents as <c>{"kind":…,"value":…}</c>. The domain
/// context also writes the computed <see cref="Identity.Key"/> and <see cref="Identity.Fingerprint"/> (a SHA-256
/// per identity, ≈ 100 bytes per row); both are derived from kind and value, so stores leave them out. Documents
/// stored with them still read back: unknown properties are skipped.
/// </summary>
internal sealed class StoredIdentityConverter : JsonConverter<Identity>
{
    private static readonly JsonEncodedText KindName = JsonEncodedText.Encode("kind");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText[] KindValues = Enum.GetValues<IdentityKind>()
        .Select(k => JsonEncodedText.Encode(k.ToString())).ToArray();
    private static readonly IdentityKind[] Kinds = Enum.GetValues<IdentityKind>();

    public override Identity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An identity is stored as an object.");
        }
        IdentityKind? kind = null;
        string? value = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var isKind = reader.ValueTextEquals(KindName.EncodedUtf8Bytes);
            var isValue = !isKind && reader.ValueTextEquals(ValueName.EncodedUtf8Bytes);
            reader.Read();
            if (isKind)
            {
                kind = reader.TokenType == JsonTokenType.Number
                    ? (IdentityKind)reader.GetInt32()
                    : Enum.TryParse<IdentityKind>(reader.GetString(), ignoreCase: true, out var k) ? k : throw new JsonException("An unknown identity kind.");
            }
            else if (isValue)
            {
                value = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }
        return new Identity(kind ?? throw new JsonException("An identity without a kind."), value ?? throw new JsonException("An identity without a value."));
    }

    public override void Write(Utf8JsonWriter writer, Identity value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        var i = Array.IndexOf(Kinds, value.Kind);
        if (i >= 0)
        {
            writer.WriteString(KindName, KindValues[i]);
        }
        else
        {
            // Unknown kinds are rejected before anything is stored; written as the enum converter would.
            writer.WriteString(KindName, value.Kind.ToString());
        }
        writer.WriteString(ValueName, value.Value);
        writer.WriteEndObject();
    }
}

/// <summary>Serialisation of stored documents, and the checks that make round trips exact.</summary>
internal static class StoreJson
{
    /// <summary>The domain context with the storage converters (same camelCase shape as <see cref="MarketingJsonContext.Default"/>).</summary>
    public static MarketingJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new StoredMoneyConverter(), new StoredIdentityConverter() },
    });

    public static string SerializeEvent(MarketingEvent e) =>
        JsonSerializer.Serialize(e with { CustomerId = null }, Context.MarketingEvent);

    /// <summary>Writes the document <see cref="SerializeEvent"/> returns (byte-identical with a writer made with <see cref="WriterOptions"/>).</summary>
    public static void WriteEvent(Utf8JsonWriter writer, MarketingEvent e) =>
        JsonSerializer.Serialize(writer, e with { CustomerId = null }, Context.MarketingEvent);

    /// <summary>Writer options equal to those <see cref="JsonSerializer"/> uses with <see cref="Context"/>, so documents are byte-identical.</summary>
    internal static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = Context.Options.Encoder,
        Indented = Context.Options.WriteIndented,
        MaxDepth = Context.Options.MaxDepth,
    };

    public static MarketingEvent DeserializeEvent(string json, string customerId) =>
        (JsonSerializer.Deserialize(json, Context.MarketingEvent)
            ?? throw new MarketingStoreException("A stored event could not be read.")) with { CustomerId = new CustomerId(customerId) };

    public static string SerializeProfile(CustomerProfile p) => JsonSerializer.Serialize(p, Context.CustomerProfile);

    /// <summary>
    /// Reads a profile written by <see cref="SerializeProfile"/>. The collections are read one by one
    /// because <see cref="CustomerProfile"/>'s read-only set properties cannot be populated by the
    /// serializer directly.
    /// </summary>
    public static CustomerProfile DeserializeProfile(string json, string id, long version)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var ctx = Context;
        var consents = new Dictionary<ConsentPurpose, ConsentState>();
        if (root.TryGetProperty("consents", out var c))
        {
            foreach (var entry in c.EnumerateObject())
            {
                consents[new ConsentPurpose(entry.Name)] = new ConsentState(
                    entry.Value.GetProperty("granted").GetBoolean(),
                    entry.Value.GetProperty("changedAt").GetDateTimeOffset());
            }
        }
        return new CustomerProfile
        {
            Id = new CustomerId(id),
            Identities = root.TryGetProperty("identities", out var i) ? i.Deserialize(ctx.IReadOnlyListIdentity) ?? [] : [],
            Traits = root.TryGetProperty("traits", out var t) ? t.Deserialize(ctx.IReadOnlyDictionaryStringPropertyValue) ?? new Dictionary<string, PropertyValue>() : new Dictionary<string, PropertyValue>(),
            StaticTags = Tags(root, "staticTags"),
            DynamicTags = Tags(root, "dynamicTags"),
            Consents = consents,
            FirstSeen = root.GetProperty("firstSeen").GetDateTimeOffset(),
            LastSeen = root.GetProperty("lastSeen").GetDateTimeOffset(),
            EventCount = root.GetProperty("eventCount").GetInt64(),
            MergedFrom = root.TryGetProperty("mergedFrom", out var m) ? [.. m.EnumerateArray().Select(x => new CustomerId(x.GetString()!))] : [],
            Version = version,
        };
    }

    private static HashSet<string> Tags(JsonElement root, string name)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (root.TryGetProperty(name, out var tags))
        {
            foreach (var tag in tags.EnumerateArray())
            {
                set.Add(tag.GetString()!);
            }
        }
        return set;
    }

    /// <summary>The stored meta of a message with the default content type, no headers and no not-before time (most messages).</summary>
    public static readonly string DefaultMetaJson = JsonSerializer.Serialize(new OutboxMeta(), StorageJsonContext.Default.OutboxMeta);

    private static readonly OutboxMeta DefaultMeta = new();

    public static string SerializeMeta(OutboxMessage m) =>
        m.Headers.Count == 0 && m.NotBefore is null && m.ContentType == DefaultMeta.ContentType
            ? DefaultMetaJson
            : JsonSerializer.Serialize(new OutboxMeta
            {
                ContentType = m.ContentType,
                Headers = new Dictionary<string, string>(m.Headers, StringComparer.Ordinal),
                NotBefore = m.NotBefore,
            }, StorageJsonContext.Default.OutboxMeta);

    public static OutboxMeta DeserializeMeta(string json) =>
        JsonSerializer.Deserialize(json, StorageJsonContext.Default.OutboxMeta) ?? new OutboxMeta();
}

/// <summary>Validation shared by every store so that what is accepted reads back unchanged.</summary>
internal static class StoreChecks
{
    public static void Event(MarketingEvent e, int index, bool requireCustomer = true)
    {
        ArgumentNullException.ThrowIfNull(e);
        StoreLimits.EnsureKey(e.Id, "id", index);
        if ((requireCustomer && e.CustomerId is null) || e.CustomerId is { Value: null })
        {
            throw new MarketingValidationException("customerId", ValidationReason.Missing, "Stored events need a customer id.", index);
        }
        Identities(e.Identities, index);
        StoreLimits.EnsureText(e.CampaignId, "campaignId", index);
        StoreLimits.EnsureText(e.SessionId, "sessionId", index);
        StoreLimits.EnsureText(e.Region, "region", index);
        StoreLimits.EnsureText(e.IpAddress, "ipAddress", index);
        Properties(e.Properties, "properties", index);
        if (e.Order is { } o)
        {
            StoreLimits.EnsureText(o.OrderId, "order.orderId", index);
            StoreLimits.EnsureText(o.CouponCode, "order.couponCode", index);
            if (o.Lines is null)
            {
                throw new MarketingValidationException("order.lines", ValidationReason.Missing, "An order needs its lines.", index);
            }
            for (var i = 0; i < o.Lines.Count; i++)
            {
                if (o.Lines[i] is null)
                {
                    throw new MarketingValidationException($"order.lines[{i}]", ValidationReason.Missing, "Order lines must not be null.", index);
                }
                StoreLimits.EnsureText(o.Lines[i].ProductId, $"order.lines[{i}].productId", index);
                StoreLimits.EnsureText(o.Lines[i].Category, $"order.lines[{i}].category", index);
            }
        }
    }

    public static void Profile(CustomerProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Id.Value is null)
        {
            throw new MarketingValidationException("id", ValidationReason.Missing, "A profile needs an id.");
        }
        if (p.Version < 0)
        {
            throw new MarketingValidationException("version", ValidationReason.Negative, "Versions are never negative.");
        }
        Identities(p.Identities, null);
        Properties(p.Traits, "traits", null);
        if (p.StaticTags is null || p.DynamicTags is null)
        {
            throw new MarketingValidationException(p.StaticTags is null ? "staticTags" : "dynamicTags", ValidationReason.InvalidFormat, "Tags must be a set, not null.");
        }
        foreach (var t in p.StaticTags)
        {
            StoreLimits.EnsureText(t, "staticTags", null);
        }
        foreach (var t in p.DynamicTags)
        {
            StoreLimits.EnsureText(t, "dynamicTags", null);
        }
    }

    public static void Identity(Identity identity, string field = "identity", int? index = null)
    {
        if (!Enum.IsDefined(identity.Kind))
        {
            throw new MarketingValidationException($"{field}.kind", ValidationReason.UnknownIdentityKind, "Unknown identity kind.", index);
        }
        StoreLimits.EnsureKey(identity.Value, $"{field}.value", index);
    }

    public static void Consent(ConsentRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        StoreLimits.EnsureKey(r.Source, "source");
        if (r.PolicyVersion is not null)
        {
            StoreLimits.EnsureKey(r.PolicyVersion, "policyVersion");
        }
        if (r.ProofHash is not null)
        {
            StoreLimits.EnsureKey(r.ProofHash, "proofHash");
        }
    }

    public static void Audit(AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        StoreLimits.EnsureKey(r.Actor, "actor");
        StoreLimits.EnsureKey(r.Action, "action");
        ColumnText(r.Details, "details");
    }

    /// <summary>Free text stored in its own column (not inside JSON): no unpaired surrogates and no NUL, which SQL text types cannot hold.</summary>
    public static void ColumnText(string? value, string field)
    {
        StoreLimits.EnsureText(value, field);
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "The text must not contain NUL characters.");
        }
    }

    public static void Outbox(OutboxMessage m, int index)
    {
        ArgumentNullException.ThrowIfNull(m);
        StoreLimits.EnsureKey(m.Destination, "destination", index);
        StoreLimits.EnsureKey(m.IdempotencyKey, "idempotencyKey", index);
        StoreLimits.EnsureKey(m.ContentType, "contentType", index);
        foreach (var (k, v) in m.Headers)
        {
            StoreLimits.EnsureKey(k, "headers", index);
            StoreLimits.EnsureText(v, "headers", index);
        }
    }

    public static void Claim(string workerId, int maxCount, TimeSpan leaseDuration)
    {
        StoreLimits.EnsureKey(workerId, "workerId");
        if (maxCount < 1)
        {
            throw new MarketingValidationException("maxCount", ValidationReason.OutOfRange, "Claim at least one message.");
        }
        if (leaseDuration <= TimeSpan.Zero)
        {
            throw new MarketingValidationException("leaseDuration", ValidationReason.OutOfRange, "Leases must be positive.");
        }
    }

    private static void Identities(IReadOnlyList<Identity>? identities, int? index)
    {
        if (identities is null)
        {
            throw new MarketingValidationException("identities", ValidationReason.InvalidFormat, "Identities must be a list, not null.", index);
        }
        for (var i = 0; i < identities.Count; i++)
        {
            Identity(identities[i], $"identities[{i}]", index);
        }
    }

    private static void Properties(IReadOnlyDictionary<string, PropertyValue>? properties, string field, int? index)
    {
        if (properties is null)
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidFormat, "Properties must be an object, not null.", index);
        }
        foreach (var (k, v) in properties)
        {
            StoreLimits.EnsureText(k, field, index);
            StoreLimits.EnsureText(v.AsString(), field, index);
        }
    }
}

/// <summary>
/// Serialises the stored form of events (<see cref="StoreJson.SerializeEvent"/>, byte-identical) into one
/// reused UTF-8 buffer, for bulk paths: no intermediate string per event. One instance per batch; not thread-safe.
/// </summary>
internal sealed class EventJsonBuffer : IDisposable
{
    private readonly ArrayBufferWriter<byte> _bytes = new(1024);
    private readonly Utf8JsonWriter _writer;
    private char[] _chars = ArrayPool<char>.Shared.Rent(1024);

    public EventJsonBuffer() => _writer = new Utf8JsonWriter(_bytes, StoreJson.WriterOptions);

    /// <summary>The event's document as UTF-8; valid until the next call.</summary>
    public ReadOnlySpan<byte> Utf8(MarketingEvent e)
    {
        _bytes.ResetWrittenCount();
        _writer.Reset();
        StoreJson.WriteEvent(_writer, e);
        _writer.Flush();
        return _bytes.WrittenSpan;
    }

    /// <summary>The event's document as UTF-16 in a reused buffer; valid until the next call.</summary>
    public ReadOnlyMemory<char> Chars(MarketingEvent e)
    {
        var utf8 = Utf8(e);
        var max = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (_chars.Length < max)
        {
            ArrayPool<char>.Shared.Return(_chars);
            _chars = ArrayPool<char>.Shared.Rent(max);
        }
        var n = Encoding.UTF8.GetChars(utf8, _chars);
        return _chars.AsMemory(0, n);
    }

    /// <summary>The event's document as a string.</summary>
    public string String(MarketingEvent e) => Encoding.UTF8.GetString(Utf8(e));

    public void Dispose()
    {
        _writer.Dispose();
        ArrayPool<char>.Shared.Return(_chars);
        _chars = [];
    }
}
