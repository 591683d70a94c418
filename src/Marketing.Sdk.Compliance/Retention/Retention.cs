using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Diagnostics;
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

/// <summary>Runs the retention policies every <see cref="ComplianceOptions.RetentionInterval"/> while the host runs.</summary>
internal sealed partial class RetentionBackgroundService(IServiceProvider services, IOptions<ComplianceOptions> options, TimeProvider timeProvider, ILogger<RetentionBackgroundService>? logger = null) : BackgroundService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.RunRetention || o.RetentionPolicies.Count == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(o.RetentionInterval, timeProvider);
        do
        {
            try
            {
                await services.GetRequiredService<RetentionEnforcer>().RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Component erasers are host code and store failures carry provider exceptions: either may hold
                // personal data in its message. The type and code at Error, the redacted exception at Debug; the
                // next interval retries, and the host keeps running.
                var code = RedactedException.Code(ex);
                LogFailed(_logger, code);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    var redacted = RedactedException.From(ex);
                    LogFailedDetail(_logger, redacted);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 8031, Level = LogLevel.Error, Message = "A retention run failed ({ErrorCode}); it is retried at the next interval.")]
    private static partial void LogFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 8032, Level = LogLevel.Debug, Message = "A retention run failed (redacted detail).")]
    private static partial void LogFailedDetail(ILogger logger, Exception exception);
}
