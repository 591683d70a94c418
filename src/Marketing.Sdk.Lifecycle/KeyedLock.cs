namespace Marketing.Sdk.Lifecycle;

/// <summary>Striped async locks: serialises work on one key (a customer) within the process.</summary>
internal sealed class KeyedLock : IDisposable
{
    private readonly SemaphoreSlim[] _stripes;

    public KeyedLock(int stripes = 256)
    {
        _stripes = new SemaphoreSlim[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    public async ValueTask<Releaser> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_stripes.Length)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(stripe);
    }

    /// <summary>Locks several keys at once (distinct stripes in a fixed order, so two callers never deadlock).</summary>
    public async ValueTask<MultiReleaser> AcquireAllAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var stripes = keys.Select(k => (int)((uint)StringComparer.Ordinal.GetHashCode(k) % (uint)_stripes.Length)).Distinct().Order().ToArray();
        var taken = new List<SemaphoreSlim>(stripes.Length);
        try
        {
            foreach (var i in stripes)
            {
                await _stripes[i].WaitAsync(cancellationToken).ConfigureAwait(false);
                taken.Add(_stripes[i]);
            }
        }
        catch
        {
            new MultiReleaser(taken).Dispose();
            throw;
        }
        return new MultiReleaser(taken);
    }

    public void Dispose()
    {
        foreach (var s in _stripes)
        {
            s.Dispose();
        }
    }

    public readonly struct Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }

    public readonly struct MultiReleaser(List<SemaphoreSlim> semaphores) : IDisposable
    {
        public void Dispose()
        {
            for (var i = semaphores.Count - 1; i >= 0; i--)
            {
                semaphores[i].Release();
            }
        }
    }
}
