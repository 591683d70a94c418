using Parquet;
using Parquet.Schema;

namespace Marketing.Sdk.Export.Parquet.Writing;

/// <summary>One column of a table: a buffer of at most one row group's values and its Parquet field.</summary>
internal abstract class ExportColumn(DataField field)
{
    public DataField Field { get; } = field;

    public abstract void EnsureCapacity(int count);

    public abstract Task WriteAsync(ParquetRowGroupWriter writer, int count, CancellationToken cancellationToken);

    public abstract Task ReadAsync(ParquetRowGroupReader reader, DataField fileField, int count, CancellationToken cancellationToken);

    /// <summary>Moves the value of row <paramref name="from"/> to row <paramref name="to"/> (compaction when rows are removed).</summary>
    public abstract void Move(int from, int to);

    protected static T[] Grow<T>(T[] values, int count) => values.Length >= count ? values : new T[Math.Max(count, values.Length * 2)];
}

/// <summary>A UTF-8 string column.</summary>
internal sealed class StringColumn(string name, bool nullable) : ExportColumn(new DataField<string>(name, nullable))
{
    private string?[] _values = new string?[16];

    public string? this[int row] => _values[row];

    public void Set(int row, string? value)
    {
        _values = GrowKeep(_values, row + 1);
        _values[row] = value;
    }

    public override void EnsureCapacity(int count) => _values = GrowKeep(_values, count);

    public override async Task WriteAsync(ParquetRowGroupWriter writer, int count, CancellationToken cancellationToken) =>
        await writer.WriteAsync(Field, new ArraySegment<string?>(_values, 0, count)!, null).ConfigureAwait(false);

    public override async Task ReadAsync(ParquetRowGroupReader reader, DataField fileField, int count, CancellationToken cancellationToken)
    {
        EnsureCapacity(count);
        await reader.ReadAsync(fileField, new Memory<string?>(_values, 0, count), null, cancellationToken).ConfigureAwait(false);
    }

    public override void Move(int from, int to) => _values[to] = _values[from];

    private static string?[] GrowKeep(string?[] values, int count)
    {
        if (values.Length >= count)
        {
            return values;
        }
        var grown = new string?[Math.Max(count, values.Length * 2)];
        values.CopyTo(grown, 0);
        return grown;
    }
}

/// <summary>A required column of a value type.</summary>
internal sealed class ValueColumn<T>(DataField field) : ExportColumn(field) where T : struct
{
    private T[] _values = new T[16];

    public T this[int row] => _values[row];

    public void Set(int row, T value)
    {
        if (_values.Length <= row)
        {
            var grown = Grow(_values, row + 1);
            _values.CopyTo(grown, 0);
            _values = grown;
        }
        _values[row] = value;
    }

    public override void EnsureCapacity(int count)
    {
        if (_values.Length < count)
        {
            var grown = Grow(_values, count);
            _values.CopyTo(grown, 0);
            _values = grown;
        }
    }

    public override async Task WriteAsync(ParquetRowGroupWriter writer, int count, CancellationToken cancellationToken) =>
        await writer.WriteAsync<T>(Field, new ReadOnlyMemory<T>(_values, 0, count), null, null, cancellationToken).ConfigureAwait(false);

    public override async Task ReadAsync(ParquetRowGroupReader reader, DataField fileField, int count, CancellationToken cancellationToken)
    {
        EnsureCapacity(count);
        await reader.ReadAsync<T>(fileField, new Memory<T>(_values, 0, count), null, cancellationToken).ConfigureAwait(false);
    }

    public override void Move(int from, int to) => _values[to] = _values[from];
}

/// <summary>An optional column of a value type.</summary>
internal sealed class NullableColumn<T>(DataField field) : ExportColumn(field) where T : struct
{
    private T?[] _values = new T?[16];

    public T? this[int row] => _values[row];

    public void Set(int row, T? value)
    {
        if (_values.Length <= row)
        {
            var grown = Grow(_values, row + 1);
            _values.CopyTo(grown, 0);
            _values = grown;
        }
        _values[row] = value;
    }

    public override void EnsureCapacity(int count)
    {
        if (_values.Length < count)
        {
            var grown = Grow(_values, count);
            _values.CopyTo(grown, 0);
            _values = grown;
        }
    }

    public override async Task WriteAsync(ParquetRowGroupWriter writer, int count, CancellationToken cancellationToken) =>
        await writer.WriteAsync<T>(Field, new ReadOnlyMemory<T?>(_values, 0, count), null, null, cancellationToken).ConfigureAwait(false);

    public override async Task ReadAsync(ParquetRowGroupReader reader, DataField fileField, int count, CancellationToken cancellationToken)
    {
        EnsureCapacity(count);
        await reader.ReadAsync<T>(fileField, new Memory<T?>(_values, 0, count), null, cancellationToken).ConfigureAwait(false);
    }

    public override void Move(int from, int to) => _values[to] = _values[from];
}

/// <summary>Parquet fields of the exported types.</summary>
internal static class Fields
{
    /// <summary>
    /// TIMESTAMP (milliseconds, adjusted to UTC): DuckDB <c>TIMESTAMP WITH TIME ZONE</c>, Spark <c>timestamp</c>. Milliseconds, not
    /// microseconds: Parquet.Net 6.1.0 writes the row-group statistics of a microsecond timestamp column in milliseconds, and
    /// engines that prune row groups by statistics would then skip rows a filter on the column should return.
    /// </summary>
    public static DateTimeDataField Timestamp(string name, bool nullable) =>
        new(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: nullable);

    /// <summary>DECIMAL(38, 9) for money amounts.</summary>
    public static DecimalDataField Amount(string name) => new(name, 38, 9, forceByteArrayEncoding: false, isNullable: true);
}
