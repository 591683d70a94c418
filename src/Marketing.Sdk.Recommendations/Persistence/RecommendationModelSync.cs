using Marketing.Sdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Recommendations;

/// <summary>
/// Keeps this host's <see cref="RecommendationModelHolder"/> on the store's current version: loads it
/// at start, and on each check loads a newer one. A version that cannot be loaded (corrupt or
/// missing chunk, wrong hash) is reported and skipped; the host keeps serving what it has.
/// </summary>
internal sealed class RecommendationModelSync(
    RecommendationModelHolder holder, IRecommendationModelStore store, RecommendationMetrics metrics, ILogger<RecommendationModelSync> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _initialised;
    private long _corruptVersion;
    private long _lastSeen;

    /// <summary>Whether a first check has completed (successfully or with nothing published).</summary>
    public bool Initialised => _initialised;

    /// <summary>The store's current version at the last successful check, or <see langword="null"/> when nothing was published (or no check succeeded).</summary>
    public long? LastSeenVersion => Interlocked.Read(ref _lastSeen) is var v and > 0 ? v : null;

    /// <summary>The version whose load failed last as corrupt (skipped until a newer one is published), or 0.</summary>
    public long CorruptVersion => Interlocked.Read(ref _corruptVersion);

    /// <summary>Runs the first check unless one already completed; store failures are logged, not thrown.</summary>
    public async ValueTask EnsureInitialisedAsync(CancellationToken cancellationToken)
    {
        if (!_initialised)
        {
            await CheckAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the current version number and loads that version when it is newer than the one held.
    /// Returns the version served afterwards (<see langword="null"/> when none). Never throws for
    /// store or data failures (they are logged and counted); throws only when cancelled.
    /// </summary>
    public async ValueTask<long?> CheckAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await store.GetCurrentVersionAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _lastSeen, current ?? 0);
            _initialised = true;
            var held = holder.CurrentVersion?.Version ?? 0;
            if (current is not { } v || v <= held || v == CorruptVersion)
            {
                return holder.CurrentVersion?.Version;
            }
            using var activity = RecommendationTelemetry.Source.StartActivity("load_model");
            var loaded = await store.LoadAsync(v, cancellationToken).ConfigureAwait(false);
            if (holder.PublishVersion(loaded.Model, loaded.Version))
            {
                metrics.ModelsLoaded.Add(1);
                Log.ModelLoaded(logger, v, loaded.Version.SizeBytes);
            }
            return holder.CurrentVersion?.Version;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (RecommendationException ex) when (ex.Reason == RecommendationErrorReason.ModelCorrupt)
        {
            if (ex.ModelVersion is { } bad)
            {
                Interlocked.Exchange(ref _corruptVersion, bad);
            }
            metrics.LoadFailures.Add(1, new KeyValuePair<string, object?>("reason", "corrupt"));
            Log.ModelCorrupt(logger, ex.ModelVersion ?? 0, ex.Message, holder.CurrentVersion?.Version ?? 0);
            return holder.CurrentVersion?.Version;
        }
#pragma warning disable CA1031 // A failed check is logged; the host keeps its model and the next check tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            metrics.LoadFailures.Add(1, new KeyValuePair<string, object?>("reason", "store"));
            Log.ModelCheckFailed(logger, RedactedException.Code(ex));
            if (logger.IsEnabled(LogLevel.Debug))
            {
                var redacted = RedactedException.From(ex);
                Log.ModelCheckFailedDetail(logger, redacted);
            }
            return holder.CurrentVersion?.Version;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
