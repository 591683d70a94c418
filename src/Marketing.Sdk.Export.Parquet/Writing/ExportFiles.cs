using System.Globalization;
using Parquet;

namespace Marketing.Sdk.Export.Parquet.Writing;

/// <summary>File names and layout: <c>&lt;kind&gt;/date=YYYY-MM-DD/part-&lt;run:6&gt;-&lt;seq:4&gt;.parquet</c>, written as <c>.tmp</c> then renamed.</summary>
internal static class ExportFiles
{
    public const string Extension = ".parquet";
    public const string TempExtension = ".tmp";

    public static string PartitionFolder(string kind, DateOnly day) => kind + "/date=" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string RelativePath(string kind, DateOnly day, long run, int seq) =>
        PartitionFolder(kind, day) + "/part-" + run.ToString("D6", CultureInfo.InvariantCulture) + "-" + seq.ToString("D4", CultureInfo.InvariantCulture) + Extension;

    /// <summary>The run number in a file name written by the export, or <see langword="null"/> for another name.</summary>
    public static long? RunOf(string fileName)
    {
        var name = Path.GetFileName(fileName);
        if (name.EndsWith(TempExtension, StringComparison.Ordinal))
        {
            name = name[..^TempExtension.Length];
        }
        if (!name.StartsWith("part-", StringComparison.Ordinal) || !name.EndsWith(Extension, StringComparison.Ordinal) || name.Length < 16)
        {
            return null;
        }
        return long.TryParse(name.AsSpan(5, 6), NumberStyles.None, CultureInfo.InvariantCulture, out var run) ? run : null;
    }

    public static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    /// <summary>The kind's files (and temporary files), every partition.</summary>
    public static IEnumerable<string> FilesOf(string root, string kind, bool includeTemp)
    {
        var folder = Path.Combine(root, kind);
        if (!Directory.Exists(folder))
        {
            return [];
        }
        return Directory.EnumerateFiles(folder, "part-*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(Extension, StringComparison.Ordinal) || (includeTemp && f.EndsWith(Extension + TempExtension, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal);
    }

    public static CompressionMethod Codec(ParquetExportCompression compression) => compression switch
    {
        ParquetExportCompression.Zstd => CompressionMethod.Zstd,
        ParquetExportCompression.Gzip => CompressionMethod.Gzip,
        ParquetExportCompression.None => CompressionMethod.None,
        _ => CompressionMethod.Snappy,
    };
}

/// <summary>One Parquet file being written: row groups flushed from the table's buffer, then renamed into place on completion.</summary>
internal sealed class PartitionFile : IAsyncDisposable
{
    private readonly ExportTable _table;
    private readonly string _tempPath;
    private readonly string _finalPath;
    private FileStream? _stream;
    private ParquetWriter? _writer;
    private bool _completed;

    private PartitionFile(ExportTable table, string finalPath)
    {
        _table = table;
        _finalPath = finalPath;
        _tempPath = finalPath + ExportFiles.TempExtension;
    }

    public long Rows { get; private set; }

    public static async Task<PartitionFile> CreateAsync(ExportTable table, string finalPath, ParquetExportCompression compression, CancellationToken cancellationToken)
    {
        var file = new PartitionFile(table, finalPath);
        Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
        file._stream = new FileStream(file._tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
        file._writer = await ParquetWriter.CreateAsync(table.Schema, file._stream, new ParquetOptions { CompressionMethod = ExportFiles.Codec(compression) }, false, cancellationToken).ConfigureAwait(false);
        return file;
    }

    /// <summary>Writes the table's buffered rows as one row group and empties the buffer.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var count = _table.Count;
        if (count == 0)
        {
            return;
        }
        using (var group = _writer!.CreateRowGroup())
        {
            foreach (var column in _table.Columns)
            {
                await column.WriteAsync(group, count, cancellationToken).ConfigureAwait(false);
            }
            group.CompleteValidate();
        }
        Rows += count;
        _table.Count = 0;
    }

    /// <summary>Flushes, closes the file, makes it durable and renames it into place.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _writer!.DisposeAsync().ConfigureAwait(false);
        _writer = null;
        await _stream!.FlushAsync(cancellationToken).ConfigureAwait(false);
        _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        File.Move(_tempPath, _finalPath, overwrite: true);
        _completed = true;
    }

    /// <summary>Abandons an incomplete file (its temporary file is deleted).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            try
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The file is abandoned anyway.
            }
            _writer = null;
        }
        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stream = null;
        }
        if (!_completed)
        {
            File.Delete(_tempPath);
        }
    }
}

/// <summary>Shared state of one export run.</summary>
internal sealed class ExportRun(string root, long run, ParquetExportOptions options, ParquetExportMetrics metrics, Action<string, long> written)
{
    public string Root { get; } = root;
    public long Run { get; } = run;
    public ParquetExportOptions Options { get; } = options;
    public List<ParquetExportFile> Written { get; } = [];

    public void Completed(ParquetExportFile file)
    {
        Written.Add(file);
        metrics.FileWritten(file.Kind, file.Rows);
        written(file.Path, file.Rows);
    }
}

/// <summary>Writes a kind's rows into day partitions: a new file when the day changes or the file is full, a row group when the buffer is full.</summary>
internal sealed class KindWriter<TTable>(TTable table, ExportRun run) : IAsyncDisposable where TTable : ExportTable
{
    private PartitionFile? _file;
    private DateOnly _day;
    private string? _path;
    private int _seq;

    public TTable Table { get; } = table;

    /// <summary>Makes room for one more row of <paramref name="day"/>'s partition; add it to <see cref="Table"/> after this.</summary>
    public async ValueTask<TTable> NextAsync(DateOnly day, CancellationToken cancellationToken)
    {
        if (_file is not null && (_day != day || _file.Rows + Table.Count >= run.Options.MaxRowsPerFile))
        {
            await CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_file is null)
        {
            _day = day;
            _path = ExportFiles.RelativePath(Table.Kind, day, run.Run, _seq++);
            _file = await PartitionFile.CreateAsync(Table, Path.Combine(run.Root, _path), run.Options.Compression, cancellationToken).ConfigureAwait(false);
        }
        else if (Table.Count >= run.Options.RowGroupSize)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        return Table;
    }

    /// <summary>Completes the open file, if any.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_file is null)
        {
            return;
        }
        await _file.CompleteAsync(cancellationToken).ConfigureAwait(false);
        run.Completed(new ParquetExportFile(Table.Kind, _path!, _file.Rows));
        await _file.DisposeAsync().ConfigureAwait(false);
        _file = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }
        Table.Count = 0;
    }
}
