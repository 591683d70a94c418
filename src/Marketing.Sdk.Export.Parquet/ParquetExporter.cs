using System.Diagnostics.Metrics;
using Marketing.Sdk.Export.Parquet.Writing;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Parquet;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>
/// Exports the store to day-partitioned (Hive-style) Parquet files for DuckDB, Spark or a lakehouse:
/// events incrementally by ingestion time, profiles, identities, attribution paths and segment memberships as a
/// snapshot per export; erases a customer from the files already written. Reads the stores in pages and holds at
/// most one row group per open file in memory. One export or erasure at a time per exporter; run exports from one
/// host per directory (the checkpoint's version detects a second one).
/// </summary>
public class ParquetExporter : IDisposable
{
    private static readonly string[] AllKinds = [EventsTable.Name, ProfilesTable.Name, IdentitiesTable.Name, AttributionPathsTable.Name, SegmentMembershipsTable.Name];
    private static readonly string[] SnapshotKinds = [ProfilesTable.Name, IdentitiesTable.Name, AttributionPathsTable.Name, SegmentMembershipsTable.Name];

    private readonly IEventStore _events = null!;
    private readonly IProfileStore _profiles = null!;
    private readonly IStateStore _state = null!;
    private readonly ISegmentService? _segments;
    private readonly ParquetExportOptions _options = null!;
    private readonly TimeProvider _time = null!;
    private readonly ParquetExportMetrics _metrics = null!;
    private readonly ILogger _logger = null!;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>For mocking.</summary>
    protected ParquetExporter()
    {
    }

    /// <summary>Creates the exporter (the DI entry point <c>AddParquetExport</c> registers one).</summary>
    /// <param name="events">The event store.</param>
    /// <param name="profiles">The profile store.</param>
    /// <param name="state">The state store that keeps the checkpoint (scope <see cref="ParquetExportOptions.StateScope"/>).</param>
    /// <param name="options">The settings (validated).</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="segments">The segment service whose memberships are exported; memberships are skipped when null.</param>
    /// <param name="meterFactory">Creates the meter <c>Marketing.Sdk.Export.Parquet</c>.</param>
    /// <param name="logger">The logger.</param>
    public ParquetExporter(IEventStore events, IProfileStore profiles, IStateStore state, ParquetExportOptions options,
        TimeProvider? timeProvider = null, ISegmentService? segments = null, IMeterFactory? meterFactory = null, ILogger<ParquetExporter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var invalid = new ParquetExportOptionsValidator().Validate(null, options);
        if (invalid.Failed)
        {
            throw new ParquetExportException("The Parquet export options are invalid: " + invalid.FailureMessage);
        }
        _events = events;
        _profiles = profiles;
        _state = state;
        _segments = segments;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = new ParquetExportMetrics(meterFactory);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    private string Root => Path.GetFullPath(_options.Directory!);

    /// <summary>
    /// Writes what is new since the last export: the events received since then (up to
    /// <see cref="ParquetExportOptions.IngestionSettleTime"/> ago) into their occurrence day's partition, and a new snapshot of
    /// the other kinds (the previous snapshot's files are removed once the checkpoint is saved). Files appear by rename
    /// only when complete; an export interrupted before its checkpoint is redone by the next one, whose first step removes
    /// the interrupted run's files, so nothing is duplicated or lost.
    /// </summary>
    /// <param name="cancellationToken">Cancels the export (it is then redone by the next one).</param>
    /// <returns>The manifest: the files written and removed.</returns>
    /// <exception cref="ParquetExportException">A file could not be written, or another export saved the checkpoint meanwhile.</exception>
    public virtual async Task<ParquetExportResult> ExportAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var run = 0L;
        try
        {
            var started = _time.GetTimestamp();
            var entry = await _state.GetAsync(ParquetExportOptions.StateScope, ExportCheckpoint.Key, cancellationToken).ConfigureAwait(false);
            var checkpoint = entry is null ? ExportCheckpoint.Initial : ExportCheckpoint.Read(entry.Value);
            run = checkpoint.Run + 1;
            var now = _time.GetUtcNow();
            var from = checkpoint.EventsReceivedBefore;
            var before = now - _options.IngestionSettleTime;
            if (from is { } f && before < f)
            {
                before = f;
            }
            var root = Root;
            Directory.CreateDirectory(root);
            var deleted = RemoveLeftovers(root, checkpoint.Run);
            if (deleted.Count > 0)
            {
                ParquetExportLog.LeftoversRemoved(_logger, run, deleted.Count);
            }

            var context = new ExportRun(root, run, _options, _metrics, (path, rows) => ParquetExportLog.FileWritten(_logger, path, rows));
            var day = DateOnly.FromDateTime(now.UtcDateTime);
            var kinds = _options.Kinds;
            var snapshots = new List<string>();
            if (kinds.HasFlag(ParquetExportKinds.Events))
            {
                await ExportEventsAsync(context, from, before, cancellationToken).ConfigureAwait(false);
            }
            if ((kinds & (ParquetExportKinds.Profiles | ParquetExportKinds.Identities)) != 0)
            {
                await ExportProfilesAsync(context, day, kinds, cancellationToken).ConfigureAwait(false);
                if (kinds.HasFlag(ParquetExportKinds.Profiles))
                {
                    snapshots.Add(ProfilesTable.Name);
                }
                if (kinds.HasFlag(ParquetExportKinds.Identities))
                {
                    snapshots.Add(IdentitiesTable.Name);
                }
            }
            if (kinds.HasFlag(ParquetExportKinds.AttributionPaths))
            {
                await ExportPathsAsync(context, day, cancellationToken).ConfigureAwait(false);
                snapshots.Add(AttributionPathsTable.Name);
            }
            if (kinds.HasFlag(ParquetExportKinds.SegmentMemberships))
            {
                if (_segments is null)
                {
                    ParquetExportLog.MembershipsSkipped(_logger);
                }
                else
                {
                    await ExportMembershipsAsync(context, day, cancellationToken).ConfigureAwait(false);
                    snapshots.Add(SegmentMembershipsTable.Name);
                }
            }

            var next = new ExportCheckpoint(run, before, _time.GetUtcNow());
            try
            {
                await _state.SaveAsync(ParquetExportOptions.StateScope, ExportCheckpoint.Key, next.Write(), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException e)
            {
                throw new ParquetExportException("Another export saved the Parquet export checkpoint meanwhile; run exports of one directory from one host at a time.", e);
            }

            foreach (var kind in snapshots)
            {
                foreach (var file in ExportFiles.FilesOf(root, kind, includeTemp: false))
                {
                    if (ExportFiles.RunOf(file) is { } r && r < run)
                    {
                        deleted.Add(Delete(root, file));
                    }
                }
            }
            var result = new ParquetExportResult(run, from, before, context.Written, deleted);
            _metrics.Run(completed: true);
            ParquetExportLog.ExportCompleted(_logger, run, context.Written.Count, context.Written.Sum(w => w.Rows), deleted.Count,
                (long)_time.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _metrics.Run(completed: false);
            ParquetExportLog.ExportFailed(_logger, run, e.GetType().Name);
            if (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new ParquetExportException("A Parquet export file could not be written.", e);
            }
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Removes a customer's rows from every exported file (events, profiles, identities, attribution paths, memberships):
    /// each file holding any is rewritten without them (temporary file, then rename) or deleted when nothing remains. The
    /// result lists those files, so copies made elsewhere can be replaced or deleted. Registered as an
    /// <see cref="IPersonalDataEraser"/> (<c>export.parquet</c>), so a data-subject erasure calls it.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call (files already rewritten stay rewritten).</param>
    /// <returns>The files rewritten and deleted.</returns>
    public virtual async Task<ParquetErasureResult> EraseCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var root = Root;
            var rewritten = new List<ParquetExportFile>();
            var deleted = new List<string>();
            var removed = 0L;
            if (Directory.Exists(root))
            {
                foreach (var kind in AllKinds)
                {
                    foreach (var file in ExportFiles.FilesOf(root, kind, includeTemp: false).ToList())
                    {
                        var (rows, remaining) = await RewriteWithoutAsync(file, kind, customerId.Value, cancellationToken).ConfigureAwait(false);
                        if (rows == 0)
                        {
                            continue;
                        }
                        removed += rows;
                        if (remaining == 0)
                        {
                            deleted.Add(Delete(root, file));
                        }
                        else
                        {
                            rewritten.Add(new ParquetExportFile(kind, ExportFiles.Relative(root, file), remaining));
                        }
                    }
                }
            }
            _metrics.Erased(removed);
            ParquetExportLog.Erased(_logger, rewritten.Count, deleted.Count, removed);
            return new ParquetErasureResult(removed, rewritten, deleted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ParquetExportException("An exported Parquet file could not be rewritten.", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ExportEventsAsync(ExportRun run, DateTimeOffset? from, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var query = from is { } f && _options.LateEventWindow is { } late ? new EventQuery { From = f - late } : EventQuery.All;
        await using var writer = new KindWriter<EventsTable>(new EventsTable(), run);
        await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
        {
            var received = e.ReceivedAt ?? e.OccurredAt;
            if ((from is { } lower && received < lower) || received >= before || e.CustomerId is not { } customer)
            {
                continue;
            }
            var table = await writer.NextAsync(DateOnly.FromDateTime(e.OccurredAt.UtcDateTime), cancellationToken).ConfigureAwait(false);
            table.Add(e, customer);
        }
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ExportProfilesAsync(ExportRun run, DateOnly day, ParquetExportKinds kinds, CancellationToken cancellationToken)
    {
        var withProfiles = kinds.HasFlag(ParquetExportKinds.Profiles);
        var withIdentities = kinds.HasFlag(ParquetExportKinds.Identities);
        var pseudonymiser = withIdentities ? new IdentityPseudonymiser(_options.PseudonymisationKey, _options.IncludeRawIdentities) : null;
        await using var profiles = new KindWriter<ProfilesTable>(new ProfilesTable(), run);
        await using var identities = new KindWriter<IdentitiesTable>(new IdentitiesTable(), run);
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            if (withProfiles)
            {
                (await profiles.NextAsync(day, cancellationToken).ConfigureAwait(false)).Add(profile);
            }
            if (pseudonymiser is not null)
            {
                foreach (var identity in profile.Identities)
                {
                    (await identities.NextAsync(day, cancellationToken).ConfigureAwait(false)).Add(profile.Id, identity.Kind, pseudonymiser.Apply(identity), !pseudonymiser.Raw);
                }
            }
        }
        await profiles.CompleteAsync(cancellationToken).ConfigureAwait(false);
        await identities.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ExportPathsAsync(ExportRun run, DateOnly day, CancellationToken cancellationToken)
    {
        var paths = new PathCutter(_options.Paths);
        var query = new EventQuery { Types = [.. _options.Paths.TouchEventTypes, .. _options.Paths.ConversionEventTypes] };
        await using var writer = new KindWriter<AttributionPathsTable>(new AttributionPathsTable(), run);
        var page = new List<CustomerId>(_options.PageSize);
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(profile.Id);
            if (page.Count == _options.PageSize)
            {
                await WritePageAsync().ConfigureAwait(false);
            }
        }
        await WritePageAsync().ConfigureAwait(false);
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);

        async Task WritePageAsync()
        {
            if (page.Count == 0)
            {
                return;
            }
            var events = await _events.ReadManyAsync(page, query, cancellationToken).ConfigureAwait(false);
            foreach (var customer in page)
            {
                if (!events.TryGetValue(customer, out var list))
                {
                    continue;
                }
                foreach (var (conversion, touches) in paths.Cut(list))
                {
                    if (touches.Count == 0)
                    {
                        (await writer.NextAsync(day, cancellationToken).ConfigureAwait(false)).Add(customer, conversion, 0, null, null);
                    }
                    for (var i = 0; i < touches.Count; i++)
                    {
                        (await writer.NextAsync(day, cancellationToken).ConfigureAwait(false)).Add(customer, conversion, touches.Count, i, touches[i]);
                    }
                }
            }
            page.Clear();
        }
    }

    private async Task ExportMembershipsAsync(ExportRun run, DateOnly day, CancellationToken cancellationToken)
    {
        await using var writer = new KindWriter<SegmentMembershipsTable>(new SegmentMembershipsTable(), run);
        var definitions = new List<SegmentDefinition>();
        await foreach (var definition in _segments!.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            definitions.Add(definition);
        }
        foreach (var definition in definitions.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            await foreach (var member in _segments.GetMembersAsync(definition.Id, cancellationToken).ConfigureAwait(false))
            {
                (await writer.NextAsync(day, cancellationToken).ConfigureAwait(false)).Add(definition.Id, definition.Name, member);
            }
        }
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes temporary files, files of runs after the checkpoint (an interrupted run) and snapshots older than the last committed one.</summary>
    private static List<string> RemoveLeftovers(string root, long committed)
    {
        var deleted = new List<string>();
        foreach (var kind in AllKinds)
        {
            var kept = new List<(string File, long Run)>();
            foreach (var file in ExportFiles.FilesOf(root, kind, includeTemp: true))
            {
                var run = ExportFiles.RunOf(file);
                if (file.EndsWith(ExportFiles.TempExtension, StringComparison.Ordinal) || run is null || run > committed)
                {
                    deleted.Add(Delete(root, file));
                }
                else
                {
                    kept.Add((file, run.Value));
                }
            }
            if (SnapshotKinds.Contains(kind) && kept.Count > 0)
            {
                var latest = kept.Max(k => k.Run);
                deleted.AddRange(kept.Where(k => k.Run < latest).Select(k => Delete(root, k.File)));
            }
        }
        return deleted;
    }

    private static string Delete(string root, string file)
    {
        File.Delete(file);
        return ExportFiles.Relative(root, file);
    }

    /// <summary>Rewrites <paramref name="file"/> without the rows of <paramref name="customerId"/>; returns the rows removed and remaining (0 removed: untouched).</summary>
    private async Task<(long Removed, long Remaining)> RewriteWithoutAsync(string file, string kind, string customerId, CancellationToken cancellationToken)
    {
        var table = ExportTable.ForKind(kind)!;
        var customerIndex = Array.IndexOf(table.Columns, table.CustomerId);
        await using (var input = File.OpenRead(file))
        await using (var reader = await ParquetReader.CreateAsync(input, null, false, cancellationToken).ConfigureAwait(false))
        {
            if (!table.Matches(reader.Schema))
            {
                throw new ParquetExportException($"An exported {kind} file does not have the {kind} schema of this version.");
            }
            var hit = false;
            for (var g = 0; g < reader.RowGroupCount && !hit; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var count = checked((int)group.RowCount);
                await table.CustomerId.ReadAsync(group, reader.Schema.DataFields[customerIndex], count, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < count && !hit; i++)
                {
                    hit = string.Equals(table.CustomerId[i], customerId, StringComparison.Ordinal);
                }
            }
            if (!hit)
            {
                return (0, 0);
            }
        }
        var removed = 0L;
        await using var output = await PartitionFile.CreateAsync(table, file, _options.Compression, cancellationToken).ConfigureAwait(false);
        await using (var input = File.OpenRead(file))
        await using (var reader = await ParquetReader.CreateAsync(input, null, false, cancellationToken).ConfigureAwait(false))
        {
            var fields = reader.Schema.DataFields;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var count = checked((int)group.RowCount);
                for (var c = 0; c < table.Columns.Length; c++)
                {
                    await table.Columns[c].ReadAsync(group, fields[c], count, cancellationToken).ConfigureAwait(false);
                }
                var kept = 0;
                for (var i = 0; i < count; i++)
                {
                    if (string.Equals(table.CustomerId[i], customerId, StringComparison.Ordinal))
                    {
                        removed++;
                        continue;
                    }
                    if (kept != i)
                    {
                        foreach (var column in table.Columns)
                        {
                            column.Move(i, kept);
                        }
                    }
                    kept++;
                }
                table.Count = kept;
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        var remaining = output.Rows;
        if (remaining > 0)
        {
            await output.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        return (removed, remaining);
    }

    /// <summary>Releases the meter.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the meter and the gate.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _metrics?.Dispose();
            _gate.Dispose();
        }
    }
}
