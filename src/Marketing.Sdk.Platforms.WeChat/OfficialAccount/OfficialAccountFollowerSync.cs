using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>What one follower sync run did.</summary>
/// <param name="Followers">Followers read in this run.</param>
/// <param name="Linked">Followers whose <c>wechat_follower_synced</c> event was accepted (their openid, and unionid where known, linked to a profile).</param>
/// <param name="AlreadyLinked">Followers whose event had been accepted by an earlier run (duplicates).</param>
/// <param name="WithUnionId">Followers that came with a unionid.</param>
/// <param name="Rejected">Followers whose event the collector rejected.</param>
/// <param name="Completed">Whether the run reached the end of the follower list (the next run starts from the beginning); otherwise it stopped at its bound and the next run goes on from where it stopped.</param>
public sealed record FollowerSyncResult(int Followers, int Linked, int AlreadyLinked, int WithUnionId, int Rejected, bool Completed);

/// <summary>
/// Links the Official Account's followers to customer profiles: pages through <c>/cgi-bin/user/get</c> (10 000 per
/// page), asks <c>/cgi-bin/user/info/batchget</c> (100 at a time) for each follower's unionid, and tracks one
/// <c>wechat_follower_synced</c> event per follower with its <see cref="IdentityKind.WeChatOpenId"/> (and
/// <see cref="IdentityKind.WeChatUnionId"/>), so identity resolution links them to the customer known by the same
/// unionid (e.g. from the mini-program or WeCom) or creates a profile. A run is bounded
/// (<see cref="OfficialAccountOptions.MaxFollowersPerSync"/>) and resumable: its place is kept in the
/// <see cref="IStateStore"/> after every 100 followers, so the next run — on any host — goes on from there. Event ids
/// are derived from the AppID and the ids, so running again never stores an event twice.
/// </summary>
public sealed partial class OfficialAccountFollowerSync
{
    /// <summary>The event type of a synced follower.</summary>
    public static EventType FollowerSyncedEvent { get; } = EventType.Create("wechat_follower_synced");

    /// <summary>The event property holding the account's AppID.</summary>
    public const string AppIdProperty = "wechat_app_id";

    /// <summary>The event property saying whether the user follows the account.</summary>
    public const string SubscribedProperty = "subscribed";

    /// <summary>The state scope of the sync's place.</summary>
    public const string CheckpointScope = "wechat.oa.follower_sync";

    private readonly OfficialAccountClient _client;
    private readonly IEventCollector _collector;
    private readonly IStateStore? _state;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the sync.</summary>
    /// <param name="client">The Official Account client.</param>
    /// <param name="collector">The event collector the follower events go to.</param>
    /// <param name="state">Keeps the sync's place between runs and hosts, if given (otherwise each run starts from the beginning).</param>
    /// <param name="timeProvider">The clock (event times).</param>
    /// <param name="logger">The logger.</param>
    public OfficialAccountFollowerSync(OfficialAccountClient client, IEventCollector collector, IStateStore? state = null, TimeProvider? timeProvider = null, ILogger<OfficialAccountFollowerSync>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(collector);
        _client = client;
        _collector = collector;
        _state = state;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    private string AppId => _client.Options.AppId;

    /// <summary>Runs the sync from where the last run stopped, for at most <paramref name="maxFollowers"/> followers.</summary>
    /// <param name="maxFollowers">The bound of this run (default <see cref="OfficialAccountOptions.MaxFollowersPerSync"/>).</param>
    /// <param name="cancellationToken">Cancels the run; the place reached so far is kept.</param>
    /// <exception cref="PlatformApiException">The platform refused a call, could not be reached or answered something unreadable; the place reached so far is kept.</exception>
    public async Task<FollowerSyncResult> RunAsync(int? maxFollowers = null, CancellationToken cancellationToken = default)
    {
        var bound = maxFollowers ?? _client.Options.MaxFollowersPerSync;
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1, nameof(maxFollowers));
        var (after, version) = await LoadAsync(cancellationToken).ConfigureAwait(false);
        int followers = 0, linked = 0, duplicates = 0, withUnion = 0, rejected = 0;
        var completed = true;
        await foreach (var page in _client.GetFollowersAsync(after, cancellationToken).ConfigureAwait(false))
        {
            var take = Math.Min(page.OpenIds.Count, bound - followers);
            for (var start = 0; start < take; start += OfficialAccountClient.UsersPerBatchGet)
            {
                var chunk = page.OpenIds.Skip(start).Take(Math.Min(OfficialAccountClient.UsersPerBatchGet, take - start)).ToList();
                var infos = (await _client.GetUserInfosAsync(chunk, cancellationToken).ConfigureAwait(false)).ToDictionary(u => u.OpenId, StringComparer.Ordinal);
                var events = chunk.Select(openId => Event(openId, infos.GetValueOrDefault(openId))).ToList();
                withUnion += events.Count(e => e.Identities.Count > 1);
                var tracked = await _collector.TrackBatchAsync(events, cancellationToken).ConfigureAwait(false);
                foreach (var r in tracked.Results)
                {
                    switch (r.Status)
                    {
                        case TrackStatus.Accepted:
                            linked++;
                            break;
                        case TrackStatus.Duplicate:
                            duplicates++;
                            break;
                        default:
                            rejected++;
                            break;
                    }
                }
                followers += chunk.Count;
                version = await SaveAsync(chunk[^1], version, cancellationToken).ConfigureAwait(false);
            }
            if (take < page.OpenIds.Count || (followers >= bound && page.NextOpenId is not null))
            {
                completed = false;
                break;
            }
        }
        if (completed)
        {
            await SaveAsync(null, version, cancellationToken).ConfigureAwait(false);
        }
        LogRun(_logger, followers, linked, duplicates, withUnion, rejected, completed);
        return new FollowerSyncResult(followers, linked, duplicates, withUnion, rejected, completed);
    }

    private MarketingEvent Event(string openId, OfficialAccountUserInfo? info)
    {
        var unionId = info?.UnionId;
        List<Identity> identities = [Identity.WeChatOpenId(openId)];
        if (unionId is not null)
        {
            identities.Add(Identity.WeChatUnionId(unionId));
        }
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{AppId}|{openId}|{unionId}"));
        return new MarketingEvent
        {
            Id = "wechat-oa-follower:" + Convert.ToHexStringLower(digest)[..40],
            Type = FollowerSyncedEvent,
            OccurredAt = _time.GetUtcNow(),
            Identities = identities,
            Channel = Channel.WeChat,
            Properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal)
            {
                [AppIdProperty] = AppId,
                [SubscribedProperty] = PropertyValue.From(info?.Subscribed ?? true),
            },
        };
    }

    private async Task<(string? After, long Version)> LoadAsync(CancellationToken cancellationToken)
    {
        if (_state is null)
        {
            return (null, 0);
        }
        var entry = await _state.GetAsync(CheckpointScope, AppId, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return (null, 0);
        }
        try
        {
            var checkpoint = JsonSerializer.Deserialize(entry.Value, OfficialAccountJsonContext.Default.FollowerSyncCheckpoint);
            return (checkpoint?.After, entry.Version);
        }
        catch (JsonException)
        {
            return (null, entry.Version); // an unreadable place: start again (events de-duplicate)
        }
    }

    private async Task<long> SaveAsync(string? after, long version, CancellationToken cancellationToken)
    {
        if (_state is null)
        {
            return version;
        }
        var json = JsonSerializer.Serialize(new FollowerSyncCheckpoint(after), OfficialAccountJsonContext.Default.FollowerSyncCheckpoint);
        try
        {
            return await _state.SaveAsync(CheckpointScope, AppId, json, version, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // Another host's run moved the place meanwhile; take its version and keep ours (both only move forward
            // through the same list, and events de-duplicate).
            var current = await _state.GetAsync(CheckpointScope, AppId, cancellationToken).ConfigureAwait(false);
            return await _state.SaveAsync(CheckpointScope, AppId, json, current?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 5565, Level = LogLevel.Information, Message = "Official Account follower sync: {Followers} read, {Linked} linked, {Duplicates} already linked, {WithUnionId} with unionid, {Rejected} rejected, completed {Completed}")]
    private static partial void LogRun(ILogger logger, int followers, int linked, int duplicates, int withUnionId, int rejected, bool completed);
}
