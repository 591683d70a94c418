using System.ComponentModel.DataAnnotations;
using Marketing.Sdk.Attribution;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>The kinds of data a Parquet export writes (a folder each under <see cref="ParquetExportOptions.Directory"/>).</summary>
[Flags]
public enum ParquetExportKinds
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Behaviour events (<c>events/</c>), incremental by ingestion time, partitioned by the day they occurred.</summary>
    Events = 1,
    /// <summary>Profiles (<c>profiles/</c>), a snapshot rewritten by each export, partitioned by the export's day.</summary>
    Profiles = 2,
    /// <summary>Identities (<c>identities/</c>), pseudonymised unless <see cref="ParquetExportOptions.IncludeRawIdentities"/>; a snapshot like profiles.</summary>
    Identities = 4,
    /// <summary>Attribution paths (<c>attribution_paths/</c>): one row per touch of each conversion's path; a snapshot like profiles.</summary>
    AttributionPaths = 8,
    /// <summary>Segment memberships (<c>segment_memberships/</c>), when segmentation is registered; a snapshot like profiles.</summary>
    SegmentMemberships = 16,
    /// <summary>Every kind.</summary>
    All = Events | Profiles | Identities | AttributionPaths | SegmentMemberships,
}

/// <summary>The compression codec of the written files.</summary>
public enum ParquetExportCompression
{
    /// <summary>Snappy (the default of most engines).</summary>
    Snappy,
    /// <summary>Zstandard.</summary>
    Zstd,
    /// <summary>Gzip.</summary>
    Gzip,
    /// <summary>No compression.</summary>
    None,
}

/// <summary>Settings of the Parquet export (<c>AddParquetExport</c>).</summary>
public sealed class ParquetExportOptions
{
    /// <summary>The <see cref="Storage.IStateStore"/> scope of the export's checkpoint.</summary>
    public const string StateScope = "export.parquet";

    /// <summary>The folder the files are written under (one sub-folder per kind). Required.</summary>
    [Required]
    public string? Directory { get; set; }

    /// <summary>The kinds exported. Default <see cref="ParquetExportKinds.All"/>.</summary>
    public ParquetExportKinds Kinds { get; set; } = ParquetExportKinds.All;

    /// <summary>Rows per Parquet row group (the unit engines read and skip by); the writer holds at most one row group per open file in memory. Default 50 000.</summary>
    [Range(1, 1_000_000)]
    public int RowGroupSize { get; set; } = 50_000;

    /// <summary>Rows per file before the writer starts the next part of the partition. Default 1 000 000.</summary>
    [Range(1, 100_000_000)]
    public int MaxRowsPerFile { get; set; } = 1_000_000;

    /// <summary>Customers read from the store per round trip when building attribution paths. Default 500.</summary>
    [Range(1, 10_000)]
    public int PageSize { get; set; } = 500;

    /// <summary>The compression codec. Default <see cref="ParquetExportCompression.Snappy"/>.</summary>
    public ParquetExportCompression Compression { get; set; } = ParquetExportCompression.Snappy;

    /// <summary>
    /// The key of the HMAC-SHA256 that pseudonymises identity values (base64, at least 32 bytes once decoded).
    /// Required when identities are exported without <see cref="IncludeRawIdentities"/>. A secret: keep it in a
    /// secret store; the same key gives the same pseudonyms across exports, so joins across files keep working.
    /// </summary>
    public string? PseudonymisationKey { get; set; }

    /// <summary>Writes identity values as they are instead of their HMAC. Default false: opt in only where the destination may hold them.</summary>
    public bool IncludeRawIdentities { get; set; }

    /// <summary>
    /// Events received less than this before an export are left to the next one, so an ingestion still committing
    /// when the export reads is not skipped. Default 1 minute.
    /// </summary>
    public TimeSpan IngestionSettleTime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long before its ingestion an event may have occurred (set it to <c>IngestionOptions.MaxEventAge</c> when the host
    /// sets that): an incremental export then reads only events that occurred since the previous export's window minus
    /// this. <see langword="null"/> (the default) reads every stored event, streamed, and keeps the ones received since the
    /// previous export: complete whatever the events' age, at the cost of a full pass over the event table.
    /// </summary>
    public TimeSpan? LateEventWindow { get; set; }

    /// <summary>How attribution paths are cut (lookback, touch and conversion types, touches per path). Default: <see cref="PathBuilderOptions"/>'s defaults.</summary>
    public PathBuilderOptions Paths { get; set; } = new();

    /// <summary>Whether a data-subject erasure (the compliance package's erasure, through <see cref="IPersonalDataEraser"/>) also rewrites the exported files that hold the customer. Default true.</summary>
    public bool EraseFromExportedFiles { get; set; } = true;
}

/// <summary>Checks the cross-field rules of <see cref="ParquetExportOptions"/>.</summary>
internal sealed class ParquetExportOptionsValidator : IValidateOptions<ParquetExportOptions>
{
    public ValidateOptionsResult Validate(string? name, ParquetExportOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            errors.Add("ParquetExportOptions.Directory is required.");
        }
        if (options.RowGroupSize is < 1 or > 1_000_000)
        {
            errors.Add("ParquetExportOptions.RowGroupSize must be between 1 and 1000000.");
        }
        if (options.MaxRowsPerFile < options.RowGroupSize)
        {
            errors.Add("ParquetExportOptions.MaxRowsPerFile must be at least RowGroupSize.");
        }
        if (options.PageSize is < 1 or > 10_000)
        {
            errors.Add("ParquetExportOptions.PageSize must be between 1 and 10000.");
        }
        if (options.IngestionSettleTime < TimeSpan.Zero)
        {
            errors.Add("ParquetExportOptions.IngestionSettleTime must not be negative.");
        }
        if (options.LateEventWindow is { } late && late <= TimeSpan.Zero)
        {
            errors.Add("ParquetExportOptions.LateEventWindow must be positive when set.");
        }
        if ((options.Kinds & ~ParquetExportKinds.All) != 0)
        {
            errors.Add("ParquetExportOptions.Kinds names an unknown kind.");
        }
        if (!Enum.IsDefined(options.Compression))
        {
            errors.Add("ParquetExportOptions.Compression is not a known codec.");
        }
        if (options.Kinds.HasFlag(ParquetExportKinds.Identities) && !options.IncludeRawIdentities && !IdentityPseudonymiser.IsValidKey(options.PseudonymisationKey))
        {
            errors.Add("ParquetExportOptions.PseudonymisationKey must be base64 of at least 32 bytes when identities are exported pseudonymised (or set IncludeRawIdentities).");
        }
        if (options.Paths is null)
        {
            errors.Add("ParquetExportOptions.Paths is required.");
        }
        else
        {
            try
            {
                options.Paths.Validate();
            }
            catch (MarketingValidationException e)
            {
                errors.Add("ParquetExportOptions.Paths: " + e.Message);
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
