using System.Text.Json;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>The mass-message tasks whose results are still polled, kept in the state store (shared by every host).</summary>
internal sealed class WeComMassTaskTracker(IStateStore store, WeComOptions options, TimeProvider timeProvider)
{
    public const string Scope = "wecom.mass_tasks";

    private string IndexKey => options.CorpId + "|index";

    private string TaskKey(string msgId) => options.CorpId + "|" + msgId;

    public async ValueTask TrackAsync(string msgId, CancellationToken cancellationToken)
    {
        var taskKey = TaskKey(msgId);
        if (await store.GetAsync(Scope, taskKey, cancellationToken).ConfigureAwait(false) is null)
        {
            try
            {
                await store.SaveAsync(Scope, taskKey, JsonSerializer.Serialize(new WeComTrackedTask(msgId, timeProvider.GetUtcNow(), []), WeComJsonContext.Default.WeComTrackedTask), 0, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // tracked already
            }
        }
        await UpdateIndexAsync(ids => ids.Contains(msgId) ? null : [.. ids, msgId], cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<string>> OpenAsync(CancellationToken cancellationToken)
    {
        var entry = await store.GetAsync(Scope, IndexKey, cancellationToken).ConfigureAwait(false);
        return entry is null ? [] : ReadIndex(entry).MsgIds;
    }

    public async ValueTask<(WeComTrackedTask? Task, long Version)> GetAsync(string msgId, CancellationToken cancellationToken)
    {
        var entry = await store.GetAsync(Scope, TaskKey(msgId), cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return (null, 0);
        }
        try
        {
            return (JsonSerializer.Deserialize(entry.Value, WeComJsonContext.Default.WeComTrackedTask), entry.Version);
        }
        catch (JsonException)
        {
            return (null, entry.Version);
        }
    }

    public async ValueTask SaveAsync(WeComTrackedTask task, long version, CancellationToken cancellationToken) =>
        await store.SaveAsync(Scope, TaskKey(task.MsgId), JsonSerializer.Serialize(task, WeComJsonContext.Default.WeComTrackedTask), version, cancellationToken).ConfigureAwait(false);

    public async ValueTask CloseAsync(string msgId, CancellationToken cancellationToken)
    {
        await UpdateIndexAsync(ids => ids.Contains(msgId) ? [.. ids.Where(i => i != msgId)] : null, cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(Scope, TaskKey(msgId), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask UpdateIndexAsync(Func<List<string>, List<string>?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entry = await store.GetAsync(Scope, IndexKey, cancellationToken).ConfigureAwait(false);
            var ids = entry is null ? [] : ReadIndex(entry).MsgIds;
            if (change(ids) is not { } updated)
            {
                return;
            }
            try
            {
                await store.SaveAsync(Scope, IndexKey, JsonSerializer.Serialize(new WeComTaskIndex(updated), WeComJsonContext.Default.WeComTaskIndex), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 20)
            {
                // changed meanwhile: read again
            }
        }
    }

    private static WeComTaskIndex ReadIndex(StateEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Value, WeComJsonContext.Default.WeComTaskIndex) is { MsgIds: not null } index ? index : new WeComTaskIndex([]);
        }
        catch (JsonException)
        {
            return new WeComTaskIndex([]);
        }
    }
}

/// <summary>What one results poll did.</summary>
/// <param name="Tasks">Tasks polled.</param>
/// <param name="Delivered">Customers reported delivered.</param>
/// <param name="Failed">Customers reported failed (not a contact any more, over WeCom's monthly limit).</param>
/// <param name="Closed">Tasks finished or past <see cref="WeComOptions.MassResultTracking"/> and no longer polled.</param>
public sealed record WeComMassResultsPoll(int Tasks, int Delivered, int Failed, int Closed);

/// <summary>
/// Polls the results of the mass-message tasks the channel created (<c>get_groupmsg_task</c> for the members' parts,
/// <c>get_groupmsg_send_result</c> per member, cursor-paged) and reports each customer's result once through
/// <see cref="IMessageStatusReporter"/>: status 1 → delivered, 2 (not a contact) and 3 (already received this month's
/// mass messages) → failed with codes <c>not_contact</c> and <c>monthly_limit</c>. A task is closed when every member
/// sent it and every result is reported, or after <see cref="WeComOptions.MassResultTracking"/>. One host polls at a
/// time (a lease).
/// </summary>
public sealed partial class WeComMassMessageResults
{
    private readonly WeComClient _client;
    private readonly WeComMassTaskTracker _tasks;
    private readonly IMessageStatusReporter _reporter;
    private readonly ILeaseStore? _leases;
    private readonly WeComOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _owner = "wecom-results-" + Guid.NewGuid().ToString("N");

    /// <summary>Creates the poller.</summary>
    /// <param name="client">The WeCom client.</param>
    /// <param name="store">The shared state store the channel tracks tasks in.</param>
    /// <param name="reporter">Where results go (messaging's reporter).</param>
    /// <param name="leases">The lease store (one polling host at a time), if any.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public WeComMassMessageResults(WeComClient client, IStateStore store, IMessageStatusReporter reporter, ILeaseStore? leases = null, TimeProvider? timeProvider = null, ILogger<WeComMassMessageResults>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(reporter);
        _client = client;
        _options = client.Options;
        _time = timeProvider ?? TimeProvider.System;
        _tasks = new WeComMassTaskTracker(store, _options, _time);
        _reporter = reporter;
        _leases = leases;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Polls every open task once (nothing when another host holds the polling lease).</summary>
    /// <param name="cancellationToken">Cancels the poll.</param>
    public async Task<WeComMassResultsPoll> PollAsync(CancellationToken cancellationToken = default)
    {
        LeaseGrant? grant = null;
        if (_leases is not null)
        {
            grant = await _leases.TryAcquireAsync("wecom-mass-results:" + _options.CorpId, _owner, TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
            if (grant is null)
            {
                return new WeComMassResultsPoll(0, 0, 0, 0);
            }
        }
        try
        {
            int tasks = 0, delivered = 0, failed = 0, closed = 0;
            foreach (var msgId in await _tasks.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                tasks++;
                var (d, f, done) = await PollTaskAsync(msgId, cancellationToken).ConfigureAwait(false);
                delivered += d;
                failed += f;
                if (done)
                {
                    closed++;
                    await _tasks.CloseAsync(msgId, cancellationToken).ConfigureAwait(false);
                }
            }
            LogPolled(_logger, tasks, delivered, failed, closed);
            return new WeComMassResultsPoll(tasks, delivered, failed, closed);
        }
        finally
        {
            if (grant is not null)
            {
                await _leases!.ReleaseAsync(grant, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<(int Delivered, int Failed, bool Done)> PollTaskAsync(string msgId, CancellationToken cancellationToken)
    {
        var (task, version) = await _tasks.GetAsync(msgId, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            return (0, 0, true);
        }
        var reported = new HashSet<string>(task.Reported ?? [], StringComparer.Ordinal);
        int delivered = 0, failed = 0;
        var members = new List<WeComMassTaskMember>();
        var guard = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var (page, next) = await _client.GetMassTaskAsync(msgId, cursor, cancellationToken).ConfigureAwait(false);
            members.AddRange(page);
            cursor = next;
        }
        while (cursor is not null && guard.Add(cursor) && guard.Count < _options.MaxPages);
        var pending = members.Count == 0;
        foreach (var member in members)
        {
            if (member.Status != 2)
            {
                pending = true;
                continue;
            }
            guard.Clear();
            cursor = null;
            do
            {
                var (results, next) = await _client.GetMassSendResultAsync(msgId, member.UserId, cursor, cancellationToken).ConfigureAwait(false);
                foreach (var r in results)
                {
                    var providerId = WeComMassMessageChannel.ProviderMessageId(msgId, r.ExternalUserId);
                    if (r.Status == 0)
                    {
                        pending = true;
                        continue;
                    }
                    if (!reported.Add(providerId))
                    {
                        continue;
                    }
                    var (status, code) = r.Status switch
                    {
                        1 => (ProviderMessageStatus.Delivered, (string?)null),
                        2 => (ProviderMessageStatus.Failed, "not_contact"),
                        _ => (ProviderMessageStatus.Failed, "monthly_limit"),
                    };
                    await _reporter.ReportAsync(Channel.WeCom, providerId, status, r.SentAt ?? _time.GetUtcNow(), code, cancellationToken).ConfigureAwait(false);
                    if (status == ProviderMessageStatus.Delivered)
                    {
                        delivered++;
                    }
                    else
                    {
                        failed++;
                    }
                }
                cursor = next;
            }
            while (cursor is not null && guard.Add(cursor) && guard.Count < _options.MaxPages);
        }
        try
        {
            await _tasks.SaveAsync(task with { Reported = [.. reported] }, version, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // another poll saved first: reports are idempotent by event id
        }
        var expired = _time.GetUtcNow() - task.Created > _options.MassResultTracking;
        return (delivered, failed, !pending || expired);
    }

    [LoggerMessage(EventId = 5520, Level = LogLevel.Debug, Message = "Polled {Tasks} WeCom mass tasks: {Delivered} delivered, {Failed} failed, {Closed} closed")]
    private static partial void LogPolled(ILogger logger, int tasks, int delivered, int failed, int closed);
}
