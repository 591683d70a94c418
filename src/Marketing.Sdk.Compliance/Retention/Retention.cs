using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.Retention;

/// <summary>The kinds of data a retention policy applies to.</summary>
public enum RetentionDataKind
{
    /// <summary>Whole customers (profile, events, identities, consents, component data) not seen for longer than the policy's age: erased like an erasure request.</summary>
    InactiveCustomers = 1,
    /// <summary>Completed data-subject request records older than the policy's age (open ones are kept). Requires an <see cref="IStateStore"/>-backed or in-memory tracker.</summary>
    CompletedRequests = 2,
}

/// <summary>A retention policy: data of a kind older than <see cref="MaxAge"/> is deleted.</summary>
/// <param name="Name">A name for logs and audit entries.</param>
/// <param name="Kind">What the policy applies to.</param>
/// <param name="MaxAge">How long the data may be kept.</param>
public sealed record RetentionPolicy(string Name, RetentionDataKind Kind, TimeSpan MaxAge);

/// <summary>What one retention run deleted.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="CustomersErased">Customers erased.</param>
/// <param name="RecordsDeleted">Records deleted in all.</param>
public sealed record RetentionRunResult(string Policy, long CustomersErased, long RecordsDeleted);

/// <summary>Applies the configured retention policies.</summary>
public sealed partial class RetentionEnforcer
{
    private readonly IProfileStore _profiles;
    private readonly DataSubjectRequestService _dsr;
    private readonly TimeProvider _time;
    private readonly ComplianceOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the enforcer (normally resolved from DI).</summary>
    /// <param name="profiles">The profile store.</param>
    /// <param name="dsr">The data-subject request service (erasure).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="options">The options with the policies.</param>
    /// <param name="logger">The logger.</param>
    public RetentionEnforcer(IProfileStore profiles, DataSubjectRequestService dsr, TimeProvider timeProvider, IOptions<ComplianceOptions> options, ILogger<RetentionEnforcer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        _dsr = dsr ?? throw new ArgumentNullException(nameof(dsr));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _options = options.Value;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Runs every policy once.</summary>
    /// <param name="cancellationToken">Cancels the run.</param>
    public async ValueTask<IReadOnlyList<RetentionRunResult>> RunAsync(CancellationToken cancellationToken = default)
    {
        var results = new List<RetentionRunResult>();
        foreach (var policy in _options.RetentionPolicies)
        {
            var cutoff = _time.GetUtcNow() - policy.MaxAge;
            long customers = 0, records = 0;
            if (policy.Kind == RetentionDataKind.InactiveCustomers)
            {
                var stale = new List<CustomerId>();
                await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
                {
                    var lastSeen = profile.LastSeen == default ? profile.FirstSeen : profile.LastSeen;
                    if (lastSeen < cutoff)
                    {
                        stale.Add(profile.Id);
                    }
                }
                foreach (var id in stale)
                {
                    var result = await _dsr.EraseAsync(id, null, cancellationToken).ConfigureAwait(false);
                    customers++;
                    records += result.Total;
                }
            }
            else
            {
                records = await _dsr.PurgeCompletedAsync(cutoff, cancellationToken).ConfigureAwait(false);
            }
            LogRun(_logger, policy.Name, customers, records);
            results.Add(new RetentionRunResult(policy.Name, customers, records));
        }
        return results;
    }

    [LoggerMessage(EventId = 8030, Level = LogLevel.Information, Message = "Retention policy {Policy} erased {Customers} customers and {Records} records.")]
    private static partial void LogRun(ILogger logger, string policy, long customers, long records);
}

/// <summary>When retention last ran, and under which lease (state document <c>compliance.retention</c>/<c>last-run</c>).</summary>
/// <param name="At">When the run started.</param>
/// <param name="FencingToken">The fencing token of the lease the run held.</param>
internal sealed record RetentionRunMarker(DateTimeOffset At, long FencingToken);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RetentionRunMarker))]
internal sealed partial class RetentionJsonContext : JsonSerializerContext;

/// <summary>
/// Runs the retention policies every <see cref="ComplianceOptions.RetentionInterval"/> while the host runs, on
/// one host at a time: it ticks every interval (at most every hour), each tick takes or renews the lease
/// <see cref="LeaseName"/> (three ticks long), and the holder runs the policies when the last recorded run
/// (a state document shared by the hosts) is an interval old. So with N hosts the policies run once per
/// interval, a restart does not run them again early, and a host that stops renewing is replaced.
/// </summary>
internal sealed partial class RetentionBackgroundService : BackgroundService
{
    /// <summary>The lease of the retention duty.</summary>
    public const string LeaseName = "marketing.compliance.retention";

    /// <summary>The state scope of the last-run marker.</summary>
    internal const string Scope = "compliance.retention";

    /// <summary>The key of the last-run marker.</summary>
    internal const string LastRunKey = "last-run";

    private static readonly TimeSpan MaxTick = TimeSpan.FromHours(1);
    private readonly IServiceProvider _services;
    private readonly IStateStore _state;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly LeasedSchedule? _schedule;

    public RetentionBackgroundService(IServiceProvider services, ILeaseStore leases, IStateStore state, IOptions<ComplianceOptions> options, TimeProvider timeProvider, ILogger<RetentionBackgroundService>? logger = null)
        : this(services, leases, state, options, timeProvider, logger, HostId.Current)
    {
    }

    internal RetentionBackgroundService(IServiceProvider services, ILeaseStore leases, IStateStore state, IOptions<ComplianceOptions> options, TimeProvider timeProvider, ILogger<RetentionBackgroundService>? logger, string owner)
    {
        _services = services;
        _state = state;
        _time = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var o = options.Value;
        _interval = o.RetentionInterval;
        if (o.RunRetention && o.RetentionPolicies.Count > 0)
        {
            var tick = _interval < MaxTick ? _interval : MaxTick;
            _schedule = new LeasedSchedule(leases, timeProvider, LeaseName, owner, tick, tick * 3);
        }
    }

    /// <summary>The lease held after the last tick, if any.</summary>
    internal LeaseGrant? Lease => _schedule?.Current;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _schedule is null ? Task.CompletedTask : _schedule.RunAsync(RunAsync, Failed, stoppingToken);

    /// <summary>One tick: takes or renews the lease and, holding it, runs the policies if they are due. Returns whether it held the lease.</summary>
    internal ValueTask<bool> TickAsync(CancellationToken cancellationToken = default) =>
        _schedule is null ? ValueTask.FromResult(false) : _schedule.TickAsync(RunAsync, Failed, cancellationToken);

    private async ValueTask RunAsync(LeaseGrant lease, CancellationToken cancellationToken)
    {
        var entry = await _state.GetAsync(Scope, LastRunKey, cancellationToken).ConfigureAwait(false);
        var last = Read(entry);
        var now = _time.GetUtcNow();
        if (last is not null && (last.FencingToken > lease.FencingToken || now - last.At < _interval))
        {
            return; // ran less than an interval ago, or a newer holder ran: not due
        }
        await _services.GetRequiredService<RetentionEnforcer>().RunAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var marker = JsonSerializer.Serialize(new RetentionRunMarker(now, lease.FencingToken), RetentionJsonContext.Default.RetentionRunMarker);
            await _state.SaveAsync(Scope, LastRunKey, marker, entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // Another holder recorded its run meanwhile (a takeover during this run): its marker stands.
        }
    }

    /// <summary>The marker, or <see langword="null"/> when none is stored or it is unreadable (then retention runs and rewrites it: running early is harmless).</summary>
    private static RetentionRunMarker? Read(StateEntry? entry)
    {
        if (entry is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(entry.Value, RetentionJsonContext.Default.RetentionRunMarker);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Failed(Exception ex)
    {
        // Component erasers are host code and store failures carry provider exceptions: either may hold
        // personal data in its message. The type and code at Error, the redacted exception at Debug; the
        // next tick retries, and the host keeps running.
        var code = RedactedException.Code(ex);
        LogFailed(_logger, code);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(ex);
            LogFailedDetail(_logger, redacted);
        }
    }

    [LoggerMessage(EventId = 8031, Level = LogLevel.Error, Message = "A retention run failed ({ErrorCode}); it is retried at the next interval.")]
    private static partial void LogFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 8032, Level = LogLevel.Debug, Message = "A retention run failed (redacted detail).")]
    private static partial void LogFailedDetail(ILogger logger, Exception exception);
}
