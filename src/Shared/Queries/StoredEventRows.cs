using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Marketing.Sdk.Storage;

/// <summary>A field of a stored event document read by <see cref="StoredEventRows"/>: a JSON path under the event.</summary>
/// <param name="Path">The camelCase path, dot-separated (e.g. <c>order.revenue.amount</c>).</param>
internal readonly record struct StoredEventField(string Path)
{
    public static readonly StoredEventField Channel = new("channel");
    public static readonly StoredEventField CampaignId = new("campaignId");
    public static readonly StoredEventField SessionId = new("sessionId");
    public static readonly StoredEventField ValueAmount = new("value.amount");
    public static readonly StoredEventField ValueCurrency = new("value.currency");
    public static readonly StoredEventField OrderId = new("order.orderId");
    public static readonly StoredEventField OrderPlacedAt = new("order.placedAt");
    public static readonly StoredEventField OrderStatus = new("order.status");
    public static readonly StoredEventField RevenueAmount = new("order.revenue.amount");
    public static readonly StoredEventField RevenueCurrency = new("order.revenue.currency");
}

/// <summary>One stored event as a <see cref="StoredEventRows"/> query reads it: the columns and the asked fields as JSON text.</summary>
internal sealed class StoredEventRow
{
    private readonly string?[] _fields;

    public StoredEventRow(string id, EventType type, long occurredAtTicks, string?[] fields)
    {
        Id = id;
        Type = type;
        OccurredAt = new DateTimeOffset(occurredAtTicks, TimeSpan.Zero);
        _fields = fields;
    }

    public string Id { get; }

    public EventType Type { get; }

    public DateTimeOffset OccurredAt { get; }

    /// <summary>The text of a string field (field <paramref name="index"/> of the query), or null when absent or JSON null.</summary>
    public string? Text(int index) => _fields[index] is { } json ? StoredEventRows.DecodeString(json) : null;

    /// <summary>The value of a number field, or null when absent or JSON null.</summary>
    public decimal? Number(int index) =>
        _fields[index] is { } json && decimal.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>An amount of money from an amount field and a currency field, or null when the amount is absent.</summary>
    public Money? Money(int amount, int currency) =>
        Number(amount) is { } a && Text(currency) is { } c ? new Money(a, c) : null;

    /// <summary>An instant from an ISO 8601 string field, or null when absent.</summary>
    public DateTimeOffset? Instant(int index) =>
        Text(index) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;
}

/// <summary>
/// Streams stored events straight from a relational store for analyses that need a few fields of a few event types
/// per customer (conversion paths, order and purchase summaries): one query, rows ordered by customer, each customer's
/// rows handed over together and then dropped, so memory holds one customer's rows at a time and no event object is
/// built. Customers come in ordinal order of their ids (ASCII, so the byte-wise order both databases sort them in).
/// </summary>
internal static class StoredEventRows
{
    /// <summary>Reads the events of <paramref name="types"/> that have a customer, one customer at a time.</summary>
    /// <param name="store">The store.</param>
    /// <param name="types">The event types to read.</param>
    /// <param name="fields">The fields to read from each event's document, in the order <see cref="StoredEventRow"/> indexes them.</param>
    /// <param name="from">Only events at or after this instant, when set.</param>
    /// <param name="to">Only events before this instant, when set.</param>
    /// <param name="onCustomer">Receives a customer's id and rows (in no particular order; the list is reused afterwards).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static ValueTask ReadByCustomerAsync(
        IRelationalQueryStore store, IReadOnlyCollection<EventType> types, IReadOnlyList<StoredEventField> fields,
        DateTimeOffset? from, DateTimeOffset? to, Func<CustomerId, List<StoredEventRow>, ValueTask> onCustomer,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var pg = store.Dialect == SqlDialect.PostgreSql;
        var sql = new StringBuilder("SELECT customer_id, id, type, occurred_at");
        foreach (var f in fields)
        {
            sql.Append(pg ? $", data::json #> '{{{f.Path.Replace('.', ',')}}}'" : $", data -> '$.{f.Path}'");
        }
        sql.Append(" FROM ").Append(store.TableName(SqlStoreTable.Events)).Append(" WHERE customer_id IS NOT NULL AND type IN (");
        var parameters = new List<object?>();
        foreach (var type in types.Distinct())
        {
            sql.Append(parameters.Count == 0 ? "" : ", ").Append("@p").Append(parameters.Count);
            parameters.Add(type.Value);
        }
        sql.Append(')');
        if (from is { } f0)
        {
            sql.Append(" AND occurred_at >= @p").Append(parameters.Count);
            parameters.Add(f0.UtcTicks);
        }
        if (to is { } t0)
        {
            sql.Append(" AND occurred_at < @p").Append(parameters.Count);
            parameters.Add(t0.UtcTicks);
        }
        sql.Append(pg ? " ORDER BY customer_id COLLATE \"C\"" : " ORDER BY customer_id");
        return store.QueryAsync(sql.ToString(), parameters, async (r, ct) =>
        {
            var rows = new List<StoredEventRow>();
            string? current = null;
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var customer = r.GetString(0);
                if (current is not null && !string.Equals(current, customer, StringComparison.Ordinal))
                {
                    await onCustomer(new CustomerId(current), rows).ConfigureAwait(false);
                    rows.Clear();
                }
                current = customer;
                var values = new string?[fields.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = r.IsDBNull(4 + i) ? null : r.GetString(4 + i);
                }
                rows.Add(new StoredEventRow(r.GetString(1), new EventType(r.GetString(2)), r.GetInt64(3), values));
            }
            if (current is not null)
            {
                await onCustomer(new CustomerId(current), rows).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <summary>The string a JSON scalar's text holds (null for JSON null; a number or boolean as written).</summary>
    internal static string? DecodeString(string json)
    {
        if (json.Length == 0 || json[0] != '"')
        {
            return json == "null" ? null : json;
        }
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        return reader.GetString();
    }
}
