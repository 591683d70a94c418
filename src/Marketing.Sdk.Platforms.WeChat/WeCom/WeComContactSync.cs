using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>What one contact-sync run did.</summary>
/// <param name="Pages">Pages of <c>batch/get_by_user</c> read.</param>
/// <param name="Contacts">Contacts read.</param>
/// <param name="Linked">Contacts tracked into the identity graph (new or changed).</param>
/// <param name="Completed">Whether the run reached the end (otherwise the next run resumes from the stored cursor).</param>
public sealed record WeComContactSyncResult(int Pages, int Contacts, int Linked, bool Completed);

/// <summary>
/// Links WeCom external contacts to customer profiles: lists the members with contacts
/// (<c>get_follow_user_list</c>), reads their contacts 100 members at a time with <c>batch/get_by_user</c> (cursor
/// paging, <see cref="WeComOptions.ContactPageSize"/> per page) and tracks one <c>wecom_contact_synced</c> event per
/// contact carrying <see cref="Identity.WeComExternalUserId"/> and, when WeCom returns it,
/// <see cref="Identity.WeChatUnionId"/> — so the identity graph joins the contact to the profile that already holds
/// the unionid (from the Official Account or the shop's login). A run reads at most
/// <see cref="WeComOptions.MaxContactPagesPerRun"/> pages and stores its cursor after every page, so an interrupted or
/// bounded run resumes where it stopped. Event ids are derived from the corp, contact and unionid, so a contact
/// seen again is de-duplicated by the collector.
/// </summary>
public sealed partial class WeComContactSync
{
    /// <summary>The event type tracked per contact.</summary>
    public static EventType ContactSynced { get; } = EventType.Create("wecom_contact_synced");

    /// <summary>The state-store scope of the resumable cursor.</summary>
    public const string Scope = "wecom.contact_sync";

    private const int MembersPerCall = 100;

    private readonly WeComClient _client;
    private readonly IEventCollector _collector;
    private readonly IStateStore _store;
    private readonly WeComOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the sync.</summary>
    /// <param name="client">The WeCom client.</param>
    /// <param name="collector">The event collector the contacts are tracked through.</param>
    /// <param name="store">The shared state store (the resumable cursor).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public WeComContactSync(WeComClient client, IEventCollector collector, IStateStore store, TimeProvider? timeProvider = null, ILogger<WeComContactSync>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(collector);
        ArgumentNullException.ThrowIfNull(store);
        _client = client;
        _collector = collector;
        _store = store;
        _options = client.Options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Runs (or resumes) the sync for at most <see cref="WeComOptions.MaxContactPagesPerRun"/> pages.</summary>
    /// <param name="cancellationToken">Cancels the run (the cursor of the last finished page is kept).</param>
    public async Task<WeComContactSyncResult> SyncAsync(CancellationToken cancellationToken = default)
    {
        var key = _options.CorpId;
        var entry = await _store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
        var state = entry is null ? null : Read(entry);
        var version = entry?.Version ?? 0;
        if (state is null)
        {
            var users = await _client.GetFollowUsersAsync(cancellationToken).ConfigureAwait(false);
            state = new WeComSyncCursor(0, "", [.. users.Distinct(StringComparer.Ordinal)]);
        }
        int pages = 0, contacts = 0, linked = 0;
        var seenCursors = new HashSet<string>(StringComparer.Ordinal);
        while (state.UserIndex < state.Users.Count)
        {
            if (pages >= _options.MaxContactPagesPerRun)
            {
                LogPaused(_logger, pages);
                return new WeComContactSyncResult(pages, contacts, linked, false);
            }
            var members = state.Users.Skip(state.UserIndex).Take(MembersPerCall).ToList();
            var page = await _client.GetContactsByUserAsync(members, state.Cursor.Length == 0 ? null : state.Cursor, _options.ContactPageSize, cancellationToken).ConfigureAwait(false);
            pages++;
            contacts += page.Contacts.Count;
            linked += await TrackAsync(page.Contacts, cancellationToken).ConfigureAwait(false);
            if (page.NextCursor is { } next)
            {
                if (!seenCursors.Add(next))
                {
                    throw new PlatformApiException(WeComClient.PlatformId, PlatformErrorClass.Permanent, null, "batch/get_by_user: the platform sent a cursor it had sent before", Http.PlatformApiClient.RepeatedCursorCode);
                }
                state = state with { Cursor = next };
            }
            else
            {
                state = state with { UserIndex = state.UserIndex + members.Count, Cursor = "" };
                seenCursors.Clear();
            }
            version = await SaveAsync(key, state, version, cancellationToken).ConfigureAwait(false);
        }
        // Done: the next run starts over with a fresh member list.
        await _store.DeleteAsync(Scope, key, cancellationToken).ConfigureAwait(false);
        LogCompleted(_logger, pages, contacts, linked);
        return new WeComContactSyncResult(pages, contacts, linked, true);
    }

    private async Task<int> TrackAsync(IReadOnlyList<WeComContact> contacts, CancellationToken cancellationToken)
    {
        if (contacts.Count == 0)
        {
            return 0;
        }
        var now = _time.GetUtcNow();
        var events = new List<MarketingEvent>(contacts.Count);
        foreach (var c in contacts)
        {
            var identities = new List<Identity> { Identity.WeComExternalUserId(c.ExternalUserId) };
            if (c.UnionId is not null)
            {
                identities.Add(Identity.WeChatUnionId(c.UnionId));
            }
            events.Add(new MarketingEvent
            {
                Id = "wecom-contact:" + WeComClient.Pseudonym(_options.CorpId + "\n" + c.ExternalUserId + "\n" + (c.UnionId ?? "")),
                Type = ContactSynced,
                OccurredAt = c.AddedAt is { } added && added <= now ? added : now,
                Identities = identities,
                Channel = Channel.WeCom,
                Properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal)
                {
                    ["follow_user"] = c.FollowUserId,
                    ["has_unionid"] = c.UnionId is not null,
                },
            });
        }
        var result = await _collector.TrackBatchAsync(events, cancellationToken).ConfigureAwait(false);
        var accepted = result.Results.Count(i => i.Status == TrackStatus.Accepted);
        var rejected = result.Results.Count(i => i.Status == TrackStatus.Rejected);
        if (rejected > 0)
        {
            LogRejected(_logger, rejected);
        }
        return accepted;
    }

    private async Task<long> SaveAsync(string key, WeComSyncCursor state, long version, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(state, WeComJsonContext.Default.WeComSyncCursor);
        try
        {
            return await _store.SaveAsync(Scope, key, json, version, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // Another host runs the sync at the same time: ours stops here, theirs goes on.
            throw new PlatformApiException(WeComClient.PlatformId, PlatformErrorClass.Transient, null, "another host advanced the contact sync at the same time", "concurrent_sync");
        }
    }

    private static WeComSyncCursor? Read(StateEntry entry)
    {
        try
        {
            var state = JsonSerializer.Deserialize(entry.Value, WeComJsonContext.Default.WeComSyncCursor);
            return state is { Users: not null, Cursor: not null } && state.UserIndex >= 0 && state.UserIndex <= state.Users.Count ? state : null;
        }
        catch (JsonException)
        {
            return null; // unreadable: start over
        }
    }

    [LoggerMessage(EventId = 5530, Level = LogLevel.Information, Message = "WeCom contact sync paused after {Pages} pages; the next run resumes from the stored cursor")]
    private static partial void LogPaused(ILogger logger, int pages);

    [LoggerMessage(EventId = 5531, Level = LogLevel.Information, Message = "WeCom contact sync completed: {Pages} pages, {Contacts} contacts, {Linked} linked")]
    private static partial void LogCompleted(ILogger logger, int pages, int contacts, int linked);

    [LoggerMessage(EventId = 5532, Level = LogLevel.Warning, Message = "The event collector rejected {Count} WeCom contacts")]
    private static partial void LogRejected(ILogger logger, int count);
}
