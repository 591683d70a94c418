using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>
/// WeCom's limit of mass messages per customer per natural month, counted durably in the <see cref="IStateStore"/>
/// (shared by every host) before a message is sent: one document per corp, customer (by pseudonym) and month in
/// <see cref="WeComOptions.CapTimeZone"/>, holding the ids of the messages that took a place. A message id already
/// holding a place keeps it (a retry does not count twice); a place is taken with an optimistic write, so two hosts
/// cannot both take the last one.
/// </summary>
public sealed class WeComMonthlyCap
{
    /// <summary>The state-store scope of the counts.</summary>
    public const string Scope = "wecom.mass_cap";

    private readonly IStateStore _store;
    private readonly WeComOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeZoneInfo _zone;

    /// <summary>Creates the cap.</summary>
    /// <param name="store">The shared state store.</param>
    /// <param name="options">The settings (corp, limit, time zone).</param>
    /// <param name="timeProvider">The clock.</param>
    public WeComMonthlyCap(IStateStore store, WeComOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(options.CapTimeZone);
    }

    /// <summary>The month (<c>yyyy-MM</c>) an instant falls in, in the cap's time zone.</summary>
    /// <param name="at">The instant.</param>
    public string MonthOf(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, _zone).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>How many places a customer's month has taken now.</summary>
    /// <param name="externalUserId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<int> CountAsync(string externalUserId, CancellationToken cancellationToken = default)
    {
        var entry = await _store.GetAsync(Scope, Key(externalUserId), cancellationToken).ConfigureAwait(false);
        return entry is null ? 0 : Read(entry).MessageIds.Count;
    }

    /// <summary>
    /// Takes a place for <paramref name="messageId"/> in the customer's current month; returns <see langword="false"/>
    /// when the month is full (the message must not be sent). A message that holds a place already returns
    /// <see langword="true"/> without taking another.
    /// </summary>
    /// <param name="externalUserId">The customer.</param>
    /// <param name="messageId">The SDK's message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<bool> TryReserveAsync(string externalUserId, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(externalUserId);
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var key = Key(externalUserId);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            var ledger = entry is null ? new WeComCapLedger([]) : Read(entry);
            if (ledger.MessageIds.Contains(messageId))
            {
                return true;
            }
            if (ledger.MessageIds.Count >= _options.MonthlyMassMessageLimit)
            {
                return false;
            }
            var updated = new WeComCapLedger([.. ledger.MessageIds, messageId]);
            try
            {
                await _store.SaveAsync(Scope, key, JsonSerializer.Serialize(updated, WeComJsonContext.Default.WeComCapLedger), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyConflictException) when (attempt < 20)
            {
                // another host took a place meanwhile: read again
            }
        }
    }

    private string Key(string externalUserId) => $"{_options.CorpId}|{WeComClient.Pseudonym(externalUserId)}|{MonthOf(_time.GetUtcNow())}";

    private static WeComCapLedger Read(StateEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Value, WeComJsonContext.Default.WeComCapLedger) is { MessageIds: not null } ledger ? ledger : Full;
        }
        catch (JsonException)
        {
            return Full; // an unreadable count fails closed: nothing more is sent this month
        }
    }

    private static WeComCapLedger Full { get; } = new([.. Enumerable.Range(0, WeComOptions.PlatformMonthlyMassMessageLimit).Select(i => "unreadable-" + i.ToString(CultureInfo.InvariantCulture))]);
}
