using System.Text;
using System.Text.Json;
using Parquet.Schema;

namespace Marketing.Sdk.Export.Parquet.Writing;

/// <summary>A kind's columns (in schema order) and the rows buffered for the next row group.</summary>
internal abstract class ExportTable
{
    protected ExportTable(string kind, StringColumn customerId, params ExportColumn[] columns)
    {
        Kind = kind;
        CustomerId = customerId;
        Columns = columns;
        Schema = new ParquetSchema(columns.Select(c => (Field)c.Field).ToArray());
    }

    /// <summary>The kind's folder name.</summary>
    public string Kind { get; }

    public ExportColumn[] Columns { get; }

    public ParquetSchema Schema { get; }

    /// <summary>The column holding the customer id (erasure removes the rows whose value is the erased customer's id).</summary>
    public StringColumn CustomerId { get; }

    /// <summary>Rows buffered.</summary>
    public int Count { get; set; }

    /// <summary>Whether the file's schema is this table's (same column names in the same order).</summary>
    public bool Matches(ParquetSchema schema) => schema.DataFields.Select(f => f.Name).SequenceEqual(Columns.Select(c => c.Field.Name), StringComparer.Ordinal);

    public static ExportTable? ForKind(string kind) => kind switch
    {
        EventsTable.Name => new EventsTable(),
        ProfilesTable.Name => new ProfilesTable(),
        IdentitiesTable.Name => new IdentitiesTable(),
        AttributionPathsTable.Name => new AttributionPathsTable(),
        SegmentMembershipsTable.Name => new SegmentMembershipsTable(),
        _ => null,
    };

    protected static DateTime Utc(DateTimeOffset value) => value.UtcDateTime;

    protected static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary><c>events</c>: one row per stored event.</summary>
internal sealed class EventsTable : ExportTable
{
    public const string Name = "events";

    private readonly StringColumn _eventId;
    private readonly StringColumn _type;
    private readonly ValueColumn<DateTime> _occurredAt;
    private readonly ValueColumn<int> _offset;
    private readonly NullableColumn<DateTime> _receivedAt;
    private readonly StringColumn _channel;
    private readonly StringColumn _campaign;
    private readonly StringColumn _session;
    private readonly StringColumn _region;
    private readonly NullableColumn<decimal> _amount;
    private readonly StringColumn _currency;
    private readonly StringColumn _orderId;
    private readonly ValueColumn<int> _flags;
    private readonly StringColumn _properties;
    private readonly StringColumn _order;

    public EventsTable() : this(new StringColumn("customer_id", false)) { }

    private EventsTable(StringColumn customer) : base(Name, customer,
        new StringColumn("event_id", false), customer, new StringColumn("type", false),
        new ValueColumn<DateTime>(Fields.Timestamp("occurred_at", false)), new ValueColumn<int>(new DataField<int>("occurred_offset_minutes", false)),
        new NullableColumn<DateTime>(Fields.Timestamp("received_at", true)),
        new StringColumn("channel", true), new StringColumn("campaign_id", true), new StringColumn("session_id", true), new StringColumn("region", true),
        new NullableColumn<decimal>(Fields.Amount("value_amount")), new StringColumn("value_currency", true), new StringColumn("order_id", true),
        new ValueColumn<int>(new DataField<int>("flags", false)), new StringColumn("properties_json", false), new StringColumn("order_json", true))
    {
        _eventId = (StringColumn)Columns[0];
        _type = (StringColumn)Columns[2];
        _occurredAt = (ValueColumn<DateTime>)Columns[3];
        _offset = (ValueColumn<int>)Columns[4];
        _receivedAt = (NullableColumn<DateTime>)Columns[5];
        _channel = (StringColumn)Columns[6];
        _campaign = (StringColumn)Columns[7];
        _session = (StringColumn)Columns[8];
        _region = (StringColumn)Columns[9];
        _amount = (NullableColumn<decimal>)Columns[10];
        _currency = (StringColumn)Columns[11];
        _orderId = (StringColumn)Columns[12];
        _flags = (ValueColumn<int>)Columns[13];
        _properties = (StringColumn)Columns[14];
        _order = (StringColumn)Columns[15];
    }

    public void Add(MarketingEvent e, CustomerId customerId)
    {
        var i = Count++;
        _eventId.Set(i, e.Id);
        CustomerId.Set(i, customerId.Value);
        _type.Set(i, e.Type.Value);
        _occurredAt.Set(i, Utc(e.OccurredAt));
        _offset.Set(i, (int)e.OccurredAt.Offset.TotalMinutes);
        _receivedAt.Set(i, e.ReceivedAt is { } r ? Utc(r) : null);
        _channel.Set(i, e.Channel?.Value);
        _campaign.Set(i, e.CampaignId);
        _session.Set(i, e.SessionId);
        _region.Set(i, e.Region);
        var money = e.Value;
        _amount.Set(i, money?.Amount);
        _currency.Set(i, money?.Currency);
        _orderId.Set(i, e.Order?.OrderId);
        _flags.Set(i, (int)e.Flags);
        _properties.Set(i, JsonSerializer.Serialize(e.Properties, MarketingJsonContext.Default.IReadOnlyDictionaryStringPropertyValue));
        _order.Set(i, e.Order is { } order ? JsonSerializer.Serialize(order, MarketingJsonContext.Default.Order) : null);
    }
}

/// <summary><c>profiles</c>: one row per profile.</summary>
internal sealed class ProfilesTable : ExportTable
{
    public const string Name = "profiles";

    public ProfilesTable() : this(new StringColumn("customer_id", false)) { }

    private ProfilesTable(StringColumn customer) : base(Name, customer,
        customer, new ValueColumn<long>(new DataField<long>("version", false)),
        new ValueColumn<DateTime>(Fields.Timestamp("first_seen", false)), new ValueColumn<DateTime>(Fields.Timestamp("last_seen", false)),
        new ValueColumn<long>(new DataField<long>("event_count", false)), new ValueColumn<int>(new DataField<int>("identity_count", false)),
        new StringColumn("traits_json", false), new StringColumn("static_tags_json", false), new StringColumn("dynamic_tags_json", false),
        new StringColumn("consents_json", false), new StringColumn("merged_from_json", false))
    {
    }

    public void Add(CustomerProfile p)
    {
        var i = Count++;
        CustomerId.Set(i, p.Id.Value);
        ((ValueColumn<long>)Columns[1]).Set(i, p.Version);
        ((ValueColumn<DateTime>)Columns[2]).Set(i, Utc(p.FirstSeen));
        ((ValueColumn<DateTime>)Columns[3]).Set(i, Utc(p.LastSeen));
        ((ValueColumn<long>)Columns[4]).Set(i, p.EventCount);
        ((ValueColumn<int>)Columns[5]).Set(i, p.Identities.Count);
        ((StringColumn)Columns[6]).Set(i, JsonSerializer.Serialize(p.Traits, MarketingJsonContext.Default.IReadOnlyDictionaryStringPropertyValue));
        ((StringColumn)Columns[7]).Set(i, Strings(p.StaticTags.Order(StringComparer.Ordinal)));
        ((StringColumn)Columns[8]).Set(i, Strings(p.DynamicTags.Order(StringComparer.Ordinal)));
        ((StringColumn)Columns[9]).Set(i, Json(w =>
        {
            w.WriteStartObject();
            foreach (var (purpose, state) in p.Consents.OrderBy(c => c.Key.Value, StringComparer.Ordinal))
            {
                w.WriteStartObject(purpose.Value);
                w.WriteBoolean("granted", state.Granted);
                w.WriteString("changed_at", state.ChangedAt.ToUniversalTime());
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }));
        ((StringColumn)Columns[10]).Set(i, Strings(p.MergedFrom.Select(m => m.Value)));
    }

    private static string Strings(IEnumerable<string> values) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    });
}

/// <summary><c>identities</c>: one row per identity linked to a profile.</summary>
internal sealed class IdentitiesTable : ExportTable
{
    public const string Name = "identities";

    public IdentitiesTable() : this(new StringColumn("customer_id", false)) { }

    private IdentitiesTable(StringColumn customer) : base(Name, customer,
        customer, new StringColumn("kind", false), new StringColumn("value", false), new ValueColumn<bool>(new DataField<bool>("pseudonymised", false)))
    {
    }

    public void Add(CustomerId customerId, IdentityKind kind, string value, bool pseudonymised)
    {
        var i = Count++;
        CustomerId.Set(i, customerId.Value);
        ((StringColumn)Columns[1]).Set(i, kind.ToString());
        ((StringColumn)Columns[2]).Set(i, value);
        ((ValueColumn<bool>)Columns[3]).Set(i, pseudonymised);
    }
}

/// <summary><c>attribution_paths</c>: one row per touch of a conversion's path (one row with null touch columns for a conversion without touches).</summary>
internal sealed class AttributionPathsTable : ExportTable
{
    public const string Name = "attribution_paths";

    public AttributionPathsTable() : this(new StringColumn("customer_id", false)) { }

    private AttributionPathsTable(StringColumn customer) : base(Name, customer,
        customer, new StringColumn("conversion_event_id", false), new StringColumn("conversion_type", false),
        new ValueColumn<DateTime>(Fields.Timestamp("converted_at", false)),
        new NullableColumn<decimal>(Fields.Amount("conversion_value_amount")), new StringColumn("conversion_value_currency", true),
        new ValueColumn<int>(new DataField<int>("touch_count", false)), new NullableColumn<int>(new DataField<int>("touch_index", true)),
        new StringColumn("touch_channel", true), new StringColumn("touch_campaign_id", true),
        new NullableColumn<DateTime>(Fields.Timestamp("touch_at", true)), new StringColumn("touch_event_id", true))
    {
    }

    public void Add(CustomerId customerId, MarketingEvent conversion, int touchCount, int? index, MarketingEvent? touch)
    {
        var i = Count++;
        CustomerId.Set(i, customerId.Value);
        ((StringColumn)Columns[1]).Set(i, conversion.Id);
        ((StringColumn)Columns[2]).Set(i, conversion.Type.Value);
        ((ValueColumn<DateTime>)Columns[3]).Set(i, Utc(conversion.OccurredAt));
        var money = conversion.Value ?? conversion.Order?.Revenue;
        ((NullableColumn<decimal>)Columns[4]).Set(i, money?.Amount);
        ((StringColumn)Columns[5]).Set(i, money?.Currency);
        ((ValueColumn<int>)Columns[6]).Set(i, touchCount);
        ((NullableColumn<int>)Columns[7]).Set(i, index);
        ((StringColumn)Columns[8]).Set(i, touch?.Channel?.Value);
        ((StringColumn)Columns[9]).Set(i, touch?.CampaignId);
        ((NullableColumn<DateTime>)Columns[10]).Set(i, touch is null ? null : Utc(touch.OccurredAt));
        ((StringColumn)Columns[11]).Set(i, touch?.Id);
    }
}

/// <summary><c>segment_memberships</c>: one row per (segment, member).</summary>
internal sealed class SegmentMembershipsTable : ExportTable
{
    public const string Name = "segment_memberships";

    public SegmentMembershipsTable() : this(new StringColumn("customer_id", false)) { }

    private SegmentMembershipsTable(StringColumn customer) : base(Name, customer,
        new StringColumn("segment_id", false), new StringColumn("segment_name", true), customer)
    {
    }

    public void Add(string segmentId, string? segmentName, CustomerId customerId)
    {
        var i = Count++;
        ((StringColumn)Columns[0]).Set(i, segmentId);
        ((StringColumn)Columns[1]).Set(i, segmentName);
        CustomerId.Set(i, customerId.Value);
    }
}
