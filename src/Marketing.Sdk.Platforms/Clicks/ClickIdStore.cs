using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Clicks;

/// <summary>One platform's latest click of a customer, as captured from a landing URL.</summary>
/// <param name="Platform">The platform.</param>
/// <param name="At">When the click landed (the event's time).</param>
/// <param name="Ids">The platform's click ids (only that platform's fields are set).</param>
/// <param name="SessionId">The session the click landed in, if known.</param>
public sealed record CapturedClick(ClickPlatform Platform, DateTimeOffset At, [property: PersonalData] ClickIdentifiers Ids, [property: PseudonymousData] string? SessionId)
{
    /// <summary>Describes the click without its ids.</summary>
    public override string ToString() => $"CapturedClick {{ Platform = {Platform}, At = {At:O}, {Ids} }}";
}

/// <summary>
/// The click ids captured from each customer's landing URLs, kept in the shared <see cref="IStateStore"/> so every host
/// sees them: one document per customer (scope <c>platforms.clicks</c>, key <c>{customerId}|</c>, so a durable store's
/// customer erasure removes it), holding the latest click of each platform with its time and session — at most one entry
/// per platform. Writes are compare-and-swap (a concurrent write is read again); a later click of a platform replaces an
/// earlier one, the same click seen again keeps its first time. Conversions are attributed to a stored click only within
/// the platform's window (<see cref="ClickIdOptions"/>).
/// </summary>
public sealed class ClickIdStore
{
    internal const string Scope = "platforms.clicks";
    private const int Attempts = 32;
    private readonly IStateStore _store;
    private readonly ClickIdOptions _options;

    /// <summary>Creates the store.</summary>
    /// <param name="store">The shared state store.</param>
    /// <param name="options">The windows.</param>
    public ClickIdStore(IStateStore store, IOptions<ClickIdOptions>? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options?.Value ?? new ClickIdOptions();
    }

    /// <summary>The options in use.</summary>
    public ClickIdOptions Options => _options;

    /// <summary>Records the click ids of one landing (a later click of a platform replaces the stored one).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="clicks">The click ids (from <see cref="ClickIdParser.Parse"/>).</param>
    /// <param name="at">When the click landed.</param>
    /// <param name="sessionId">The session, if known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask RecordAsync(CustomerId customerId, ClickIdentifiers clicks, DateTimeOffset at, string? sessionId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clicks);
        return RecordAsync(customerId, Split(clicks, at, sessionId), cancellationToken);
    }

    /// <summary>Records captured clicks of one customer in one compare-and-swap write.</summary>
    internal async ValueTask RecordAsync(CustomerId customerId, IReadOnlyList<CapturedClick> captured, CancellationToken cancellationToken)
    {
        if (captured.Count == 0)
        {
            return;
        }
        await UpdateAsync(customerId, list =>
        {
            var changed = false;
            foreach (var click in captured)
            {
                changed |= Apply(list, Write(click));
            }
            return changed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The latest click of each platform stored for a customer.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<CapturedClick>> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var entry = await _store.GetAsync(Scope, Key(customerId), cancellationToken).ConfigureAwait(false);
        return [.. Read(entry).Select(ToCaptured)];
    }

    /// <summary>
    /// The stored click ids that a conversion of the customer at <paramref name="conversionAt"/> can be attributed to:
    /// each platform's latest click that landed at or before the conversion and within the platform's window; or
    /// <see langword="null"/> when there is none.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="conversionAt">When the conversion happened.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ClickIdentifiers?> ResolveAsync(CustomerId customerId, DateTimeOffset conversionAt, CancellationToken cancellationToken = default) =>
        Select(await GetAsync(customerId, cancellationToken).ConfigureAwait(false), conversionAt, _options);

    /// <summary>
    /// Fills stored click ids into conversions that lack them. The host's values win per platform: a conversion that
    /// already carries any of a platform's click ids keeps exactly those for that platform. Reads every customer's
    /// document in one <see cref="IStateStore.GetManyAsync"/>.
    /// </summary>
    /// <param name="conversions">The conversions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The conversions (the same instances where nothing was filled) and how many got at least one click id.</returns>
    public async ValueTask<(IReadOnlyList<ConversionRequest> Conversions, int Filled)> FillAsync(IReadOnlyList<ConversionRequest> conversions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversions);
        var keys = conversions.Where(c => c is not null && NeedsAny(c.Clicks)).Select(c => Key(c.CustomerId)).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            return (conversions, 0);
        }
        var docs = await _store.GetManyAsync(Scope, keys, cancellationToken).ConfigureAwait(false);
        if (docs.Count == 0)
        {
            return (conversions, 0);
        }
        var result = new ConversionRequest[conversions.Count];
        var filled = 0;
        for (var i = 0; i < conversions.Count; i++)
        {
            var c = conversions[i];
            result[i] = c;
            if (c is null || !docs.TryGetValue(Key(c.CustomerId), out var entry)
                || Select(Read(entry).Select(ToCaptured), c.OccurredAt, _options) is not { } stored)
            {
                continue;
            }
            var merged = Merge(c.Clicks ?? new ClickIdentifiers(), stored);
            if (merged is not null)
            {
                result[i] = c with { Clicks = merged };
                filled++;
            }
        }
        return (result, filled);
    }

    /// <summary>Moves the merged-away customers' clicks to the survivor (the latest of each platform wins); idempotent.</summary>
    /// <param name="survivor">The surviving customer.</param>
    /// <param name="merged">The merged-away customers.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask MergeAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(merged);
        foreach (var loser in merged.Where(m => m != survivor))
        {
            var gone = await _store.GetAsync(Scope, Key(loser), cancellationToken).ConfigureAwait(false);
            if (gone is null)
            {
                continue;
            }
            var moving = Read(gone);
            await UpdateAsync(survivor, list =>
            {
                var changed = false;
                foreach (var click in moving)
                {
                    changed |= Apply(list, click);
                }
                return changed;
            }, cancellationToken).ConfigureAwait(false);
            await _store.DeleteAsync(Scope, Key(loser), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a customer's stored clicks; returns how many documents were deleted (0 or 1).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<long> EraseAsync(CustomerId customerId, CancellationToken cancellationToken = default) =>
        await _store.DeleteAsync(Scope, Key(customerId), cancellationToken).ConfigureAwait(false) ? 1 : 0;

    /// <summary>The click ids of <paramref name="clicks"/> within their windows of a conversion at <paramref name="conversionAt"/>, or <see langword="null"/>.</summary>
    internal static ClickIdentifiers? Select(IEnumerable<CapturedClick> clicks, DateTimeOffset conversionAt, ClickIdOptions options)
    {
        ClickIdentifiers? result = null;
        foreach (var click in clicks)
        {
            if (click.At > conversionAt || conversionAt - click.At > options.WindowOf(click.Platform))
            {
                continue;
            }
            result = Merge(result ?? new ClickIdentifiers(), click.Ids) ?? result;
        }
        return result;
    }

    /// <summary>Splits parsed click ids into one capture per platform.</summary>
    internal static IReadOnlyList<CapturedClick> Split(ClickIdentifiers ids, DateTimeOffset at, string? sessionId)
    {
        var list = new List<CapturedClick>(2);
        if (ids.Gclid is not null || ids.Gbraid is not null || ids.Wbraid is not null)
        {
            list.Add(new(ClickPlatform.Google, at, new ClickIdentifiers { Gclid = ids.Gclid, Gbraid = ids.Gbraid, Wbraid = ids.Wbraid }, sessionId));
        }
        if (ids.Fbc is not null)
        {
            list.Add(new(ClickPlatform.Meta, at, new ClickIdentifiers { Fbc = ids.Fbc }, sessionId));
        }
        if (ids.Ttclid is not null)
        {
            list.Add(new(ClickPlatform.TikTok, at, new ClickIdentifiers { Ttclid = ids.Ttclid }, sessionId));
        }
        if (ids.TencentClickId is not null)
        {
            list.Add(new(ClickPlatform.TencentAds, at, new ClickIdentifiers { TencentClickId = ids.TencentClickId }, sessionId));
        }
        if (ids.OceanEngineCallback is not null)
        {
            list.Add(new(ClickPlatform.OceanEngine, at, new ClickIdentifiers { OceanEngineCallback = ids.OceanEngineCallback }, sessionId));
        }
        return list;
    }

    /// <summary>Fills <paramref name="stored"/> into <paramref name="host"/> per platform where the host has none of that platform's ids; <see langword="null"/> when nothing was filled.</summary>
    internal static ClickIdentifiers? Merge(ClickIdentifiers host, ClickIdentifiers stored)
    {
        var result = host;
        var changed = false;
        if (host.Gclid is null && host.Gbraid is null && host.Wbraid is null && (stored.Gclid ?? stored.Gbraid ?? stored.Wbraid) is not null)
        {
            result = result with { Gclid = stored.Gclid, Gbraid = stored.Gbraid, Wbraid = stored.Wbraid };
            changed = true;
        }
        if (host.Fbc is null && stored.Fbc is not null)
        {
            result = result with { Fbc = stored.Fbc };
            changed = true;
        }
        if (host.Ttclid is null && stored.Ttclid is not null)
        {
            result = result with { Ttclid = stored.Ttclid };
            changed = true;
        }
        if (host.TencentClickId is null && stored.TencentClickId is not null)
        {
            result = result with { TencentClickId = stored.TencentClickId };
            changed = true;
        }
        if (host.OceanEngineCallback is null && stored.OceanEngineCallback is not null)
        {
            result = result with { OceanEngineCallback = stored.OceanEngineCallback };
            changed = true;
        }
        return changed ? result : null;
    }

    private static bool NeedsAny(ClickIdentifiers? c) =>
        c is null || (c.Gclid is null && c.Gbraid is null && c.Wbraid is null) || c.Fbc is null || c.Ttclid is null || c.TencentClickId is null || c.OceanEngineCallback is null;

    /// <summary>Puts a click into the list: a platform's later click replaces its earlier one; the same ids keep the earlier time.</summary>
    private static bool Apply(List<StoredClick> list, StoredClick click)
    {
        var i = list.FindIndex(c => c.Platform == click.Platform);
        if (i < 0)
        {
            list.Add(click);
            return true;
        }
        var current = list[i];
        if (SameIds(current, click))
        {
            if (click.At < current.At)
            {
                list[i] = click;
                return true;
            }
            return false;
        }
        if (click.At > current.At || (click.At == current.At && string.CompareOrdinal(IdText(click), IdText(current)) > 0))
        {
            list[i] = click;
            return true;
        }
        return false;
    }

    private static string IdText(StoredClick c) => string.Join('\u0001', c.Gclid, c.Gbraid, c.Wbraid, c.Fbc, c.Ttclid, c.TencentClickId, c.OceanEngineCallback);

    private static bool SameIds(StoredClick a, StoredClick b) =>
        a.Platform == b.Platform && a.Gclid == b.Gclid && a.Gbraid == b.Gbraid && a.Wbraid == b.Wbraid && a.Ttclid == b.Ttclid
        && a.TencentClickId == b.TencentClickId && a.OceanEngineCallback == b.OceanEngineCallback
        && FbclidOf(a.Fbc) == FbclidOf(b.Fbc);

    /// <summary>The fbclid of an <c>_fbc</c> value (its creation time differs between landings of the same click).</summary>
    private static string? FbclidOf(string? fbc) =>
        fbc is null ? null : fbc.Split('.', 4) is [_, _, _, var id] ? id : fbc;

    private async ValueTask UpdateAsync(CustomerId customerId, Func<List<StoredClick>, bool> change, CancellationToken cancellationToken)
    {
        var key = Key(customerId);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            var list = Read(entry);
            if (!change(list))
            {
                return;
            }
            try
            {
                await _store.SaveAsync(Scope, key, JsonSerializer.Serialize(new ClickDocument(list), ClickJsonContext.Default.ClickDocument), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts)
            {
                // another host wrote the customer's clicks meanwhile: read again
            }
        }
    }

    internal static string Key(CustomerId customerId) => customerId.Value + "|";

    private static List<StoredClick> Read(StateEntry? entry)
    {
        if (entry is null)
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize(entry.Value, ClickJsonContext.Default.ClickDocument)?.Clicks is { } clicks
                ? [.. clicks.Where(c => Enum.IsDefined(c.Platform))]
                : [];
        }
        catch (JsonException)
        {
            return []; // not a document this version wrote: start over
        }
    }

    private static StoredClick Write(CapturedClick c) => new(c.Platform, c.At, c.SessionId, c.Ids.Gclid, c.Ids.Gbraid, c.Ids.Wbraid, c.Ids.Fbc, c.Ids.Ttclid, c.Ids.TencentClickId, c.Ids.OceanEngineCallback);

    private static CapturedClick ToCaptured(StoredClick s) => new(s.Platform, s.At, new ClickIdentifiers
    {
        Gclid = s.Gclid,
        Gbraid = s.Gbraid,
        Wbraid = s.Wbraid,
        Fbc = s.Fbc,
        Ttclid = s.Ttclid,
        TencentClickId = s.TencentClickId,
        OceanEngineCallback = s.OceanEngineCallback,
    }, s.Session);
}

/// <summary>One stored click (personal data: the ids).</summary>
internal sealed record StoredClick(
    ClickPlatform Platform, DateTimeOffset At, string? Session, string? Gclid, string? Gbraid, string? Wbraid, string? Fbc, string? Ttclid, string? TencentClickId, string? OceanEngineCallback);

/// <summary>A customer's click document.</summary>
internal sealed record ClickDocument(List<StoredClick> Clicks);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClickDocument))]
internal sealed partial class ClickJsonContext : JsonSerializerContext;
