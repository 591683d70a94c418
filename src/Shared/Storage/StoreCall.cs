using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>
/// One call of a public store method: an activity (<see cref="StorageTelemetry"/>), a duration and a count (the database's <see cref="StorageMetrics"/>),
/// and provider exceptions turned into <see cref="StoreProviderException"/> (the SDK's own exceptions and
/// cancellations pass through unchanged).
/// </summary>
internal sealed class StoreCall : IDisposable
{
    private readonly RelationalDatabase _db;
    private readonly string _store;
    private readonly string _operation;
    private readonly long _started;
    private readonly Activity? _activity;
    private bool _disposed;

    public StoreCall(RelationalDatabase db, string store, string operation, bool detachActivity = false)
    {
        _db = db;
        _store = store;
        _operation = operation;
        _started = Stopwatch.GetTimestamp();
        var parent = Activity.Current;
        _activity = StorageTelemetry.ActivitySource.StartActivity($"storage.{store}.{operation}", ActivityKind.Client);
        if (_activity is not null)
        {
            _activity.SetTag(StorageTelemetry.DbSystemTag, db.ProviderName);
            _activity.SetTag(StorageTelemetry.ProviderTag, db.ProviderName);
            _activity.SetTag(StorageTelemetry.StoreTag, store);
            _activity.SetTag(StorageTelemetry.OperationTag, operation);
            if (detachActivity)
            {
                // A stream hands control back to its consumer between items: the consumer's work is not part of this call.
                Activity.Current = parent;
            }
        }
    }

    /// <summary>Exception filter: notes the failure; true when <paramref name="exception"/> is a provider exception to wrap.</summary>
    public bool Fail(Exception exception)
    {
        Failure ??= exception;
        return exception is DbException;
    }

    /// <summary>The exception the call failed with, if any.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The wrapped provider exception.</summary>
    public StoreProviderException Wrap(Exception exception)
    {
        var db = (DbException)exception;
        return new StoreProviderException(_db.ProviderName, _store, _operation, _db.IsTransient(db), _db.ErrorCode(db), db);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        var tags = new TagList
        {
            { StorageTelemetry.ProviderTag, _db.ProviderName },
            { StorageTelemetry.StoreTag, _store },
            { StorageTelemetry.OperationTag, _operation },
        };
        string? errorType = null;
        if (Failure is not null)
        {
            errorType = StorageTelemetry.ErrorType(_db, Failure);
            tags.Add(StorageTelemetry.ErrorTypeTag, errorType);
        }
        _db.Metrics.Duration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        _db.Metrics.Operations.Add(1, tags);
        if (_activity is not null)
        {
            if (errorType is not null)
            {
                _activity.SetTag(StorageTelemetry.ErrorTypeTag, errorType);
                _activity.SetStatus(ActivityStatusCode.Error, errorType);
            }
            _activity.Dispose();
        }
    }
}

internal static class StoreCalls
{
    public static StoreCall Call(this RelationalDatabase db, string store, string operation) => new(db, store, operation);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction as a measured store call: commits when it
    /// returns, rolls back when it throws, and wraps a provider exception in <see cref="StoreProviderException"/>.
    /// </summary>
    public static async ValueTask<T> WriteAsync<T>(this RelationalDatabase db, string store, string operation, Func<WriteScope, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        using var call = db.Call(store, operation);
        try
        {
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(scope).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>Streams <paramref name="source"/> as one store call.</summary>
    public static async IAsyncEnumerable<T> Stream<T>(this RelationalDatabase db, string store, string operation, IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = new StoreCall(db, store, operation, detachActivity: true);
        var e = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                T item;
                try
                {
                    if (!await e.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                    item = e.Current;
                }
                catch (Exception ex) when (call.Fail(ex))
                {
                    throw call.Wrap(ex);
                }
                yield return item;
            }
        }
        finally
        {
            await e.DisposeAsync().ConfigureAwait(false);
        }
    }
}
