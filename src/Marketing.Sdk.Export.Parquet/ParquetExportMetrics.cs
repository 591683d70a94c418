using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>The meter <c>Marketing.Sdk.Export.Parquet</c>.</summary>
internal sealed class ParquetExportMetrics : IDisposable
{
    public const string MeterName = "Marketing.Sdk.Export.Parquet";

    private readonly Meter _meter;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _files;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _erasedRows;

    public ParquetExportMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _rows = _meter.CreateCounter<long>("marketing.export.parquet.rows", "{row}", "Rows written, by kind.");
        _files = _meter.CreateCounter<long>("marketing.export.parquet.files", "{file}", "Files written, by kind.");
        _runs = _meter.CreateCounter<long>("marketing.export.parquet.runs", "{run}", "Export runs, by outcome (completed, failed).");
        _erasedRows = _meter.CreateCounter<long>("marketing.export.parquet.erased_rows", "{row}", "Rows removed from exported files by erasures.");
    }

    public void FileWritten(string kind, long rows)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _rows.Add(rows, tag);
        _files.Add(1, tag);
    }

    public void Run(bool completed) => _runs.Add(1, new KeyValuePair<string, object?>("outcome", completed ? "completed" : "failed"));

    public void Erased(long rows) => _erasedRows.Add(rows);

    public void Dispose() => _meter.Dispose();
}
