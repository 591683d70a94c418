using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// Faults an emulator injects, each drawn per request from a seeded generator (so a run is
/// repeatable). Rates are probabilities in [0, 1] and their sum must not exceed 1.
/// </summary>
public sealed record FaultOptions
{
    /// <summary>Share of requests answered with a 5xx (the platform's own server-error envelope).</summary>
    public double ServerErrorRate { get; init; }

    /// <summary>Share of requests answered with the platform's throttling error (its code and wait hint).</summary>
    public double ThrottleRate { get; init; }

    /// <summary>
    /// Share of requests that are processed but answered only after <see cref="SlowResponse"/> — longer
    /// than a client's timeout, so the client gives up on a request the platform did accept (the case
    /// platform deduplication exists for).
    /// </summary>
    public double TimeoutRate { get; init; }

    /// <summary>Share of requests that are processed but answered with a truncated, unparsable body.</summary>
    public double MalformedRate { get; init; }

    /// <summary>
    /// Share of requests that are processed and then lose their connection before any answer (the server resets it):
    /// the client learns at once that the outcome is unknown, without waiting for a timeout.
    /// </summary>
    public double ConnectionDropRate { get; init; }

    /// <summary>
    /// Share of requests refused unprocessed with HTTP 429 and a <c>Retry-After</c> header of
    /// <see cref="TooManyRequestsRetryAfter"/> (as a gateway in front of the platform answers), whatever the platform's own
    /// throttling envelope is.
    /// </summary>
    public double TooManyRequestsRate { get; init; }

    /// <summary>The <c>Retry-After</c> of a <see cref="TooManyRequestsRate"/> answer (default 2 s; whole seconds are sent).</summary>
    public TimeSpan TooManyRequestsRetryAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a "timeout" answer is held back (default 5 s). <see cref="Timeout.InfiniteTimeSpan"/> holds it until
    /// the client gives up, so a test's verdict never depends on which of two clocks runs out first; with
    /// <see cref="PlatformEmulator.HeldRequestsProcessedAsync"/> a test waits for the request to have been processed.
    /// </summary>
    public TimeSpan SlowResponse { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Seed of the fault generator.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>No faults.</summary>
    public static FaultOptions None { get; } = new();
}

/// <summary>The kinds of injected fault, for <see cref="PlatformEmulator.InjectedFaults"/>.</summary>
public enum FaultKind
{
    /// <summary>A 5xx answer.</summary>
    ServerError = 1,
    /// <summary>A throttling answer.</summary>
    Throttle = 2,
    /// <summary>A processed request answered too late.</summary>
    Timeout = 3,
    /// <summary>A processed request answered with a broken body.</summary>
    Malformed = 4,
    /// <summary>An expired-token answer.</summary>
    TokenExpired = 5,
    /// <summary>A processed request whose connection was dropped before the answer.</summary>
    ConnectionDropped = 6,
    /// <summary>An HTTP 429 answer with <c>Retry-After</c>.</summary>
    TooManyRequests = 7,
}

/// <summary>
/// The base of every platform emulator: a real Kestrel server on loopback (ephemeral port) that
/// speaks one platform's wire format. Subclasses map the platform's routes and error envelopes; the
/// base injects faults on demand (<see cref="Faults"/>, <see cref="ExpireTokenOnce"/>) and counts
/// requests. Use it in tests as the platform's sandbox: point the client's <c>BaseAddress</c> at
/// <see cref="BaseAddress"/>.
/// </summary>
public abstract class PlatformEmulator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<FaultKind, int> _faults = new();
    private readonly Lock _randomLock = new();
    private WebApplication? _app;
    private Random _random = new(1);
    private FaultOptions _faultOptions = FaultOptions.None;
    private int _tokenExpiryPending;
    private long _requests;
    private long _latencyTicks;
    private readonly Lock _heldLock = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _heldWaiters = [];
    private int _heldProcessed;

    /// <summary>Creates the emulator (call <see cref="StartAsync"/>).</summary>
    /// <param name="platform">The platform name.</param>
    protected PlatformEmulator(string platform) => Platform = platform;

    /// <summary>The platform name.</summary>
    public string Platform { get; }

    /// <summary>The emulator's address, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The faults to inject from now on (replacing the generator's seed).</summary>
    public FaultOptions Faults
    {
        get => _faultOptions;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var sum = value.ServerErrorRate + value.ThrottleRate + value.TimeoutRate + value.MalformedRate + value.ConnectionDropRate + value.TooManyRequestsRate;
            if (value.ServerErrorRate < 0 || value.ThrottleRate < 0 || value.TimeoutRate < 0 || value.MalformedRate < 0 || value.ConnectionDropRate < 0 || value.TooManyRequestsRate < 0
                || value.TooManyRequestsRetryAfter < TimeSpan.Zero || sum > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "Fault rates must be non-negative and sum to at most 1.");
            }
            lock (_randomLock)
            {
                _random = new Random(value.Seed);
                _faultOptions = value;
            }
        }
    }

    /// <summary>
    /// How long every request waits before it is processed: the network's and the platform's own answer time,
    /// which a loopback server otherwise lacks. Zero (the default) answers at once.
    /// </summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _latencyTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _latencyTicks, value.Ticks);
        }
    }

    /// <summary>Requests received (including faulted ones).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Requests of a <see cref="FaultOptions.TimeoutRate"/> fault that have been processed (their answers held back).</summary>
    public int HeldRequestsProcessed
    {
        get
        {
            lock (_heldLock)
            {
                return _heldProcessed;
            }
        }
    }

    /// <summary>
    /// Completes once <paramref name="count"/> requests of a <see cref="FaultOptions.TimeoutRate"/> fault have been
    /// processed (the platform accepted them; their answers are held back): the state a test of "the client gave up
    /// on a request the platform did process" waits for, instead of a guessed delay.
    /// </summary>
    /// <param name="count">How many processed held requests to wait for (at least 1).</param>
    /// <returns>A task that completes when that many have been processed.</returns>
    public Task HeldRequestsProcessedAsync(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_heldLock)
        {
            if (_heldProcessed >= count)
            {
                return Task.CompletedTask;
            }
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _heldWaiters.Add((count, signal));
            return signal.Task;
        }
    }

    private void OnHeldRequestProcessed()
    {
        List<TaskCompletionSource> ready;
        lock (_heldLock)
        {
            _heldProcessed++;
            ready = [.. _heldWaiters.Where(w => w.Count <= _heldProcessed).Select(w => w.Signal)];
            _heldWaiters.RemoveAll(w => w.Count <= _heldProcessed);
        }
        foreach (var signal in ready)
        {
            signal.TrySetResult();
        }
    }

    /// <summary>Faults injected so far, by kind.</summary>
    public IReadOnlyDictionary<FaultKind, int> InjectedFaults => _faults;

    /// <summary>Makes the next authenticated request fail as if its access token had expired (the platform's own expired-token answer).</summary>
    public virtual void ExpireTokenOnce() => Interlocked.Exchange(ref _tokenExpiryPending, 1);

    /// <summary>Starts the server on a free loopback port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("The emulator is already started.");
        }
        // An embedded server: no configuration files (a default builder watches the current directory for
        // appsettings changes, and every write of a database beside it wakes that watcher), no environment
        // settings, no console logging, and no console lifetime (which would take Ctrl+C and SIGTERM away
        // from the host process and keep it running).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        var app = builder.Build();
        app.Use(InjectFaultsAsync);
        MapRoutes(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        _app = app;
    }

    /// <summary>The lifetime of a server that lives inside another process: started and stopped by its owner only.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Maps the platform's routes.</summary>
    /// <param name="routes">The route builder.</param>
    protected abstract void MapRoutes(IEndpointRouteBuilder routes);

    /// <summary>Writes the platform's 5xx answer.</summary>
    /// <param name="context">The request.</param>
    protected abstract Task WriteServerErrorAsync(HttpContext context);

    /// <summary>Writes the platform's throttling answer (its status, code and wait hint).</summary>
    /// <param name="context">The request.</param>
    protected abstract Task WriteThrottledAsync(HttpContext context);

    /// <summary>Writes the platform's expired-token answer.</summary>
    /// <param name="context">The request.</param>
    protected abstract Task WriteTokenExpiredAsync(HttpContext context);

    /// <summary>Whether faults may be injected into this request (default: every request; e.g. not the OAuth token endpoint).</summary>
    /// <param name="context">The request.</param>
    protected virtual bool IsFaultable(HttpContext context) => true;

    /// <summary>Counts an injected fault (for subclasses that inject their own).</summary>
    /// <param name="kind">The kind.</param>
    protected void CountFault(FaultKind kind) => _faults.AddOrUpdate(kind, 1, (_, n) => n + 1);

    private async Task InjectFaultsAsync(HttpContext context, RequestDelegate next)
    {
        Interlocked.Increment(ref _requests);
        if (Volatile.Read(ref _latencyTicks) is > 0 and var latency)
        {
            await Task.Delay(TimeSpan.FromTicks(latency), context.RequestAborted).ConfigureAwait(false);
        }
        if (!IsFaultable(context))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (Interlocked.Exchange(ref _tokenExpiryPending, 0) == 1)
        {
            CountFault(FaultKind.TokenExpired);
            await WriteTokenExpiredAsync(context).ConfigureAwait(false);
            return;
        }
        FaultOptions faults;
        double draw;
        lock (_randomLock)
        {
            faults = _faultOptions;
            draw = _random.NextDouble();
        }
        if ((draw -= faults.ServerErrorRate) < 0)
        {
            CountFault(FaultKind.ServerError);
            await WriteServerErrorAsync(context).ConfigureAwait(false);
        }
        else if ((draw -= faults.ThrottleRate) < 0)
        {
            CountFault(FaultKind.Throttle);
            await WriteThrottledAsync(context).ConfigureAwait(false);
        }
        else if ((draw -= faults.TimeoutRate) < 0)
        {
            CountFault(FaultKind.Timeout);
            await ProcessThenAsync(context, next, async (body, ctx) =>
            {
                OnHeldRequestProcessed();
                try
                {
                    await Task.Delay(faults.SlowResponse, ctx.RequestAborted).ConfigureAwait(false);
                    await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // the client gave up, as intended
                }
            }).ConfigureAwait(false);
        }
        else if ((draw -= faults.MalformedRate) < 0)
        {
            CountFault(FaultKind.Malformed);
            await ProcessThenAsync(context, next, (body, ctx) =>
            {
                ctx.Response.ContentLength = null;
                return ctx.Response.Body.WriteAsync(body[..(body.Length / 2)], ctx.RequestAborted).AsTask();
            }).ConfigureAwait(false);
        }
        else if ((draw -= faults.ConnectionDropRate) < 0)
        {
            CountFault(FaultKind.ConnectionDropped);
            await ProcessThenAsync(context, next, (_, ctx) =>
            {
                ctx.Abort();
                return Task.CompletedTask;
            }).ConfigureAwait(false);
        }
        else if ((draw -= faults.TooManyRequestsRate) < 0)
        {
            CountFault(FaultKind.TooManyRequests);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(faults.TooManyRequestsRetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            await next(context).ConfigureAwait(false);
        }
    }

    private static async Task ProcessThenAsync(HttpContext context, RequestDelegate next, Func<ReadOnlyMemory<byte>, HttpContext, Task> answer)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = original;
        }
        await answer(buffer.ToArray(), context).ConfigureAwait(false);
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
        GC.SuppressFinalize(this);
    }
}
