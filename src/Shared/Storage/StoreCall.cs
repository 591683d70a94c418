using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>
/// One call of a public store method: turns provider exceptions into <see cref="StoreProviderException"/>
/// (leaving the SDK's own exceptions and cancellations alone).
/// </summary>
internal sealed class StoreCall : IDisposable
{
    private readonly RelationalDatabase _db;
    private readonly string _store;
    private readonly string _operation;

    public StoreCall(RelationalDatabase db, string store, string operation)
    {
        _db = db;
        _store = store;
        _operation = operation;
    }

    /// <summary>Exception filter: notes the failure; true when <paramref name="exception"/> is a provider exception to wrap.</summary>
    public bool Fail(Exception exception)
    {
        Failure = exception;
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
    }
}

internal static class StoreCalls
{
    public static StoreCall Call(this RelationalDatabase db, string store, string operation) => new(db, store, operation);

    /// <summary>Streams <paramref name="source"/> as one store call.</summary>
    public static async IAsyncEnumerable<T> Stream<T>(this RelationalDatabase db, string store, string operation, IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = db.Call(store, operation);
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
