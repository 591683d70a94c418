using System.Globalization;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.AspNetCore.HealthChecks;

/// <summary>The database answers and its schema is at the provider's latest version. Healthy for the in-memory stores (no migrator).</summary>
internal sealed class MarketingDatabaseHealthCheck(IServiceProvider services, ILogger<MarketingDatabaseHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var migrator = services.GetService<IStorageMigrator>();
        if (migrator is null)
        {
            return HealthCheckResult.Healthy("In-memory stores (no database).");
        }
        int version;
        try
        {
            version = await migrator.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Failed(logger, "database", ex, context, "The database cannot be reached.");
        }
        var data = new Dictionary<string, object> { ["schemaVersion"] = version, ["latestVersion"] = migrator.LatestVersion };
        return version >= migrator.LatestVersion
            ? HealthCheckResult.Healthy("The database answers and is migrated.", data)
            : new HealthCheckResult(context.Registration.FailureStatus,
                string.Create(CultureInfo.InvariantCulture, $"The database schema is at version {version}; this host needs {migrator.LatestVersion} (migrations not applied)."), data: data);
    }

    internal static HealthCheckResult Failed(ILogger logger, string check, Exception ex, HealthCheckContext context, string description)
    {
        Log.HealthCheckFailed(logger, check, RedactedException.Code(ex));
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(ex);
            Log.HealthCheckException(logger, check, redacted);
        }
        // The description names the failure kind only; the exception (possibly holding connection details) stays out of the report.
        return new HealthCheckResult(context.Registration.FailureStatus, description + " (" + RedactedException.Code(ex) + ")");
    }
}

/// <summary>
/// The outbox backlog per destination: the age of the oldest waiting message and the dead letters in
/// the window, against the degraded and unhealthy thresholds.
/// </summary>
internal sealed class MarketingOutboxHealthCheck(IServiceProvider services, IOptionsMonitor<MarketingHealthCheckOptions> options, TimeProvider time, ILogger<MarketingOutboxHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var outbox = services.GetService<IOutboxStore>();
        if (outbox is null)
        {
            return HealthCheckResult.Healthy("No outbox is registered.");
        }
        var o = options.CurrentValue;
        var now = time.GetUtcNow();
        IReadOnlyList<OutboxDestinationBacklog> backlog;
        try
        {
            backlog = await outbox.GetBacklogAsync(now - o.DeadLetterWindow, string.IsNullOrEmpty(o.IgnoredDeadLetterPrefix) ? null : o.IgnoredDeadLetterPrefix, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return MarketingDatabaseHealthCheck.Failed(logger, "outbox", ex, context, "The outbox cannot be read.");
        }
        var status = HealthStatus.Healthy;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (var b in backlog)
        {
            var age = b.OldestPendingEnqueuedAt is { } oldest ? now - oldest : TimeSpan.Zero;
            data[b.Destination + ".pending"] = b.Pending;
            data[b.Destination + ".oldestAgeSeconds"] = Math.Max(0, (long)age.TotalSeconds);
            data[b.Destination + ".deadLettered"] = b.DeadLettered;
            var mine = age >= o.BacklogAgeUnhealthy || b.DeadLettered >= o.DeadLettersUnhealthy ? HealthStatus.Unhealthy
                : age >= o.BacklogAgeDegraded || b.DeadLettered >= o.DeadLettersDegraded ? HealthStatus.Degraded
                : HealthStatus.Healthy;
            if (mine != HealthStatus.Healthy)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{b.Destination}: {b.Pending} waiting (oldest {(long)age.TotalSeconds} s), {b.DeadLettered} dead-lettered"));
            }
            status = Worst(status, mine == HealthStatus.Unhealthy ? context.Registration.FailureStatus : mine);
        }
        var description = notes.Count == 0 ? "The outbox is flowing." : string.Join("; ", notes);
        return new HealthCheckResult(status, description, data: data);
    }

    private static HealthStatus Worst(HealthStatus a, HealthStatus b) => (HealthStatus)Math.Min((int)a, (int)b);
}

/// <summary>Each registered platform token provider hands out a token within the timeout.</summary>
internal sealed class MarketingTokenHealthCheck(IServiceProvider services, IOptionsMonitor<MarketingHealthCheckOptions> options, TimeProvider time, ILogger<MarketingTokenHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.CurrentValue;
        var checkedKeys = new List<string>();
        var failed = new List<string>();
        foreach (var key in o.TokenProviderKeys)
        {
            if (services.GetKeyedService<IAccessTokenProvider>(key) is not { } provider)
            {
                continue;
            }
            checkedKeys.Add(key);
            using var timeout = new CancellationTokenSource(o.TokenTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                var token = await provider.GetTokenAsync(null, linked.Token).ConfigureAwait(false);
                if (string.IsNullOrEmpty(token.Value) || (token.ExpiresAt is { } expires && expires <= time.GetUtcNow()))
                {
                    failed.Add(key + " (no valid token)");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.HealthCheckFailed(logger, "platform-tokens:" + key, RedactedException.Code(ex));
                failed.Add(key + (timeout.IsCancellationRequested ? " (timed out)" : " (" + RedactedException.Code(ex) + ")"));
            }
        }
        var data = new Dictionary<string, object> { ["checked"] = string.Join(",", checkedKeys) };
        return failed.Count == 0
            ? HealthCheckResult.Healthy(checkedKeys.Count == 0 ? "No platform token providers are registered." : "Every platform token provider hands out a token.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, "Token providers failing: " + string.Join(", ", failed), data: data);
    }
}
