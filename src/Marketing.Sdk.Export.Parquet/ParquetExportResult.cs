namespace Marketing.Sdk.Export.Parquet;

/// <summary>One file written (or rewritten) by the export.</summary>
/// <param name="Kind">The kind (its folder name: <c>events</c>, <c>profiles</c>, <c>identities</c>, <c>attribution_paths</c>, <c>segment_memberships</c>).</param>
/// <param name="Path">The path relative to <see cref="ParquetExportOptions.Directory"/>, with <c>/</c> separators (e.g. <c>events/date=2026-12-01/part-000003-0000.parquet</c>).</param>
/// <param name="Rows">Rows in the file.</param>
public sealed record ParquetExportFile(string Kind, string Path, long Rows);

/// <summary>What an export did: the manifest of the files it wrote and removed.</summary>
/// <param name="Run">The export's run number (in every file name it wrote).</param>
/// <param name="EventsReceivedFrom">Events received at or after this instant were exported (<see langword="null"/> on the first export: every event).</param>
/// <param name="EventsReceivedBefore">… and before this one; the next export starts here.</param>
/// <param name="Written">The files written.</param>
/// <param name="Deleted">The files removed (older snapshots, leftovers of an interrupted export), relative paths.</param>
public sealed record ParquetExportResult(long Run, DateTimeOffset? EventsReceivedFrom, DateTimeOffset EventsReceivedBefore,
    IReadOnlyList<ParquetExportFile> Written, IReadOnlyList<string> Deleted)
{
    /// <summary>Rows written of a kind.</summary>
    /// <param name="kind">The kind's folder name.</param>
    public long RowsOf(string kind) => Written.Where(f => string.Equals(f.Kind, kind, StringComparison.Ordinal)).Sum(f => f.Rows);
}

/// <summary>What erasing a customer from the exported files did.</summary>
/// <param name="RowsRemoved">Rows removed across the files.</param>
/// <param name="Rewritten">The files rewritten without the customer's rows (each with its remaining rows), relative paths: copies made elsewhere (a lakehouse, a bucket) must be replaced by these.</param>
/// <param name="Deleted">The files deleted because only the customer's rows were in them: copies elsewhere must be deleted.</param>
public sealed record ParquetErasureResult(long RowsRemoved, IReadOnlyList<ParquetExportFile> Rewritten, IReadOnlyList<string> Deleted);
