using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>The export's log messages (event ids 12100–12199). Never a customer id, identity or value.</summary>
internal static partial class ParquetExportLog
{
    [LoggerMessage(12100, LogLevel.Information, "Parquet export run {Run} completed: {Files} files, {Rows} rows written, {Deleted} files removed in {ElapsedMs} ms.")]
    public static partial void ExportCompleted(ILogger logger, long run, int files, long rows, int deleted, long elapsedMs);

    [LoggerMessage(12101, LogLevel.Warning, "Parquet export run {Run} removed {Count} files left by an interrupted export.")]
    public static partial void LeftoversRemoved(ILogger logger, long run, int count);

    [LoggerMessage(12102, LogLevel.Warning, "Parquet export run {Run} failed ({ExceptionType}); the next export resumes from the last checkpoint.")]
    public static partial void ExportFailed(ILogger logger, long run, string exceptionType);

    [LoggerMessage(12103, LogLevel.Debug, "Parquet export wrote {Path} ({Rows} rows).")]
    public static partial void FileWritten(ILogger logger, string path, long rows);

    [LoggerMessage(12104, LogLevel.Information, "Erasure rewrote {Rewritten} and deleted {Deleted} exported Parquet files ({Rows} rows removed).")]
    public static partial void Erased(ILogger logger, int rewritten, int deleted, long rows);

    [LoggerMessage(12105, LogLevel.Information, "Parquet export skipped segment memberships: segmentation is not registered.")]
    public static partial void MembershipsSkipped(ILogger logger);
}
