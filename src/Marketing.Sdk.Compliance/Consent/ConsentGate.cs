using System.Diagnostics.Metrics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.Consent;

/// <summary>
/// The consent gate over the consent ledger. A use needs its purpose; a third-party destination also
/// needs <see cref="ConsentPurpose.ThirdPartySharing"/>, a destination abroad also
/// <see cref="ConsentPurpose.CrossBorderTransfer"/>, and a purpose in
/// <see cref="ComplianceOptions.SensitiveDataPurposes"/> also <see cref="ConsentPurpose.SensitiveData"/>
/// — each its own, separate consent. A purpose in <see cref="ComplianceOptions.RequiredPurposes"/>
/// without a record is denied (default deny); a withdrawal is always honoured (the latest record wins,
/// and a grant and a withdrawal at the same instant count as withdrawn); a processing restriction
/// denies everything.
/// </summary>
public sealed partial class ConsentGate : IConsentGate
{
    private readonly IConsentStore _store;
    private readonly ComplianceOptions _options;
    private readonly ILogger _logger;
    private readonly Counter<long> _decisions;

    /// <summary>Creates the gate (normally resolved from DI as <see cref="IConsentGate"/>).</summary>
    /// <param name="store">The consent store.</param>
    /// <param name="options">The compliance options.</param>
    /// <param name="meterFactory">Creates the meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger.</param>
    public ConsentGate(IConsentStore store, IOptions<ComplianceOptions> options, IMeterFactory? meterFactory = null, ILogger<ConsentGate>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options.Value;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _decisions = ComplianceTelemetry.CreateMeter(meterFactory).CreateCounter<long>("marketing.consent.gate.decisions", description: "Consent gate decisions by outcome and reason.");
    }

    /// <summary>The purposes a use needs, in the order they are checked.</summary>
    /// <param name="purpose">The purpose of the use.</param>
    /// <param name="destination">The destination, if any.</param>
    public IReadOnlyList<ConsentPurpose> RequiredPurposesFor(ConsentPurpose purpose, Channel? destination)
    {
        var list = new List<ConsentPurpose> { purpose };
        if (_options.SensitiveDataPurposes.Contains(purpose))
        {
            list.Add(ConsentPurpose.SensitiveData);
        }
        if (destination is { } d)
        {
            if (_options.ThirdPartyDestinations.Contains(d))
            {
                list.Add(ConsentPurpose.ThirdPartySharing);
            }
            if (_options.CrossBorderDestinations.Contains(d))
            {
                list.Add(ConsentPurpose.CrossBorderTransfer);
            }
        }
        return [.. list.Distinct()];
    }

    /// <inheritdoc />
    public async ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default)
    {
        var result = await DecideManyAsync([customerId], purpose, destination, cancellationToken).ConfigureAwait(false);
        return result[0];
    }

    /// <inheritdoc />
    public async ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var seen = new HashSet<CustomerId>();
        var ordered = new List<CustomerId>();
        foreach (var id in customerIds)
        {
            if (seen.Add(id))
            {
                ordered.Add(id);
            }
        }
        var allowed = new List<CustomerId>(ordered.Count);
        var denied = new List<ConsentDecision>();
        if (ordered.Count == 0)
        {
            return new ConsentFilterResult(allowed, denied);
        }
        foreach (var decision in await DecideManyAsync(ordered, purpose, destination, cancellationToken).ConfigureAwait(false))
        {
            if (decision.Allowed)
            {
                allowed.Add(decision.CustomerId);
            }
            else
            {
                denied.Add(decision);
            }
        }
        return new ConsentFilterResult(allowed, denied);
    }

    /// <summary>
    /// Decides for distinct customers, in their order. One batched read of the consent flags
    /// (<see cref="IConsentStore.GetCurrentStatusManyAsync"/>; the store resolves the same-instant withdrawal
    /// rule) decides every customer whose decision needs no record details; the few denied because of a
    /// record — withdrawn, restricted — are decided again from their current records, which the
    /// explanation quotes.
    /// </summary>
    private async ValueTask<ConsentDecision[]> DecideManyAsync(List<CustomerId> customers, ConsentPurpose purpose, Channel? destination, CancellationToken cancellationToken)
    {
        var required = RequiredPurposesFor(purpose, destination);
        var toRead = PurposesToRead(required);
        var statuses = await _store.GetCurrentStatusManyAsync(customers, toRead, cancellationToken).ConfigureAwait(false);
        var byCustomer = Group(statuses, static s => s.CustomerId, customers.Count, required.Count + 1);
        var texts = UseTexts.For(purpose, destination);
        var decisions = new ConsentDecision?[customers.Count];
        List<int>? needRecords = null;
        for (var i = 0; i < customers.Count; i++)
        {
            var id = customers[i];
            if ((decisions[i] = Decide(id, purpose, destination, required, byCustomer.GetValueOrDefault(id), null, texts)) is null)
            {
                (needRecords ??= []).Add(i);
            }
        }
        if (needRecords is not null)
        {
            var records = await _store.GetCurrentManyAsync([.. needRecords.Select(i => customers[i])], toRead, cancellationToken).ConfigureAwait(false);
            var recordsByCustomer = Group(records, static r => r.Record.CustomerId, needRecords.Count, required.Count + 1);
            foreach (var i in needRecords)
            {
                var current = recordsByCustomer.GetValueOrDefault(customers[i]);
                decisions[i] = Decide(customers[i], purpose, destination, required, current?.ConvertAll(ConsentStatus.From), current, texts)
                    ?? throw new InvalidOperationException("A decision with the current records in hand always completes.");
            }
        }
        var result = new ConsentDecision[decisions.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = decisions[i]!;
            Record(result[i]);
        }
        return result;
    }

    private static Dictionary<CustomerId, List<T>> Group<T>(IReadOnlyList<T> entries, Func<T, CustomerId> customer, int customers, int perCustomer)
    {
        var byCustomer = new Dictionary<CustomerId, List<T>>(customers);
        foreach (var entry in entries)
        {
            var id = customer(entry);
            if (!byCustomer.TryGetValue(id, out var list))
            {
                byCustomer[id] = list = new List<T>(perCustomer);
            }
            list.Add(entry);
        }
        return byCustomer;
    }

    /// <summary>The purposes a decision reads: the required ones and the restriction marker.</summary>
    private static HashSet<ConsentPurpose> PurposesToRead(IReadOnlyList<ConsentPurpose> required) => [.. required, ConsentLedger.RestrictionPurpose];

    private void Record(ConsentDecision decision)
    {
        _decisions.Add(1, new KeyValuePair<string, object?>("allowed", decision.Allowed), new KeyValuePair<string, object?>("reason", decision.Reason.ToString()));
        if (!decision.Allowed)
        {
            LogDenied(_logger, decision.CustomerId, decision.Purpose.Value, decision.Destination?.Value ?? "internal", decision.Reason, decision.DecidingPurpose.Value);
        }
    }

    private static ConsentStatus? Find(List<ConsentStatus>? statuses, ConsentPurpose purpose)
    {
        if (statuses is not null)
        {
            foreach (var status in statuses)
            {
                if (status.Purpose == purpose)
                {
                    return status;
                }
            }
        }
        return null;
    }

    private static ConsentRecord FindRecord(List<CurrentConsent> records, ConsentPurpose purpose) =>
        records.Find(r => r.Record.Purpose == purpose)?.Record ?? throw new InvalidOperationException("Every status comes with its record.");

    /// <summary>Decides from the customer's consent flags of the purposes read (<see cref="PurposesToRead"/>).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">The purpose of the use.</param>
    /// <param name="destination">The destination, if any.</param>
    /// <param name="required">The purposes the use needs (<see cref="RequiredPurposesFor"/>).</param>
    /// <param name="statuses">The customer's consent flags, or <see langword="null"/> when there are none.</param>
    /// <param name="records">The current records behind <paramref name="statuses"/>, or <see langword="null"/> when only the flags were read.</param>
    /// <param name="texts">The texts of this purpose and destination (built once per call, shared by its customers).</param>
    /// <returns>The decision, or <see langword="null"/> when it is a denial whose explanation quotes a record and <paramref name="records"/> is <see langword="null"/>.</returns>
    private ConsentDecision? Decide(CustomerId customerId, ConsentPurpose purpose, Channel? destination, IReadOnlyList<ConsentPurpose> required, List<ConsentStatus>? statuses, List<CurrentConsent>? records, UseTexts texts)
    {
        var where = texts.Where;
        if (Find(statuses, ConsentLedger.RestrictionPurpose) is { CurrentIsGrant: true })
        {
            if (records is null)
            {
                return null;
            }
            var restriction = FindRecord(records, ConsentLedger.RestrictionPurpose);
            return new(customerId, purpose, destination, false, ConsentDecisionReason.Restricted, ConsentLedger.RestrictionPurpose,
                $"Denied: processing is restricted by a data-subject request since {restriction.RecordedAt:O}.");
        }
        var allGranted = true;
        for (var i = 0; i < required.Count; i++)
        {
            var needed = required[i];
            var separate = needed != purpose;
            if (Find(statuses, needed) is { } entry)
            {
                if (!entry.IsGranted)
                {
                    if (records is null)
                    {
                        return null;
                    }
                    var record = FindRecord(records, needed);
                    return new(customerId, purpose, destination, false, separate ? ConsentDecisionReason.SeparateConsentMissing : ConsentDecisionReason.Withdrawn, needed,
                        $"Denied: consent for '{needed}' was withdrawn at {record.RecordedAt:O} (source {record.Source}); using data for '{purpose}'{where} needs it.");
                }
                continue;
            }
            if (_options.RequiredPurposes.Contains(needed) || separate)
            {
                return new(customerId, purpose, destination, false, separate ? ConsentDecisionReason.SeparateConsentMissing : ConsentDecisionReason.NoRecord, needed,
                    separate
                        ? $"Denied: using data for '{purpose}'{where} needs the separate consent '{needed}', which was never given."
                        : $"Denied: '{needed}' needs consent and the customer has no consent record for it (default deny).");
            }
            allGranted = false;
        }
        return allGranted
            ? new(customerId, purpose, destination, true, ConsentDecisionReason.Granted, purpose, texts.Granted)
            : new(customerId, purpose, destination, true, ConsentDecisionReason.NotRequired, purpose, texts.NotRequired);
    }

    /// <summary>The destination phrase and the two "allowed" explanations of one purpose and destination.</summary>
    private sealed record UseTexts(string Where, string Granted, string NotRequired)
    {
        public static UseTexts For(ConsentPurpose purpose, Channel? destination)
        {
            var where = destination is { } d ? $" to {d}" : "";
            return new(where,
                $"Allowed: every consent needed for '{purpose}'{where} is granted.",
                $"Allowed: '{purpose}' does not need consent under the configured policy and was not withdrawn.");
        }
    }

    [LoggerMessage(EventId = 8010, Level = LogLevel.Debug, Message = "Consent gate denied customer {CustomerId} for purpose {Purpose} to {Destination}: {Reason} on {DecidingPurpose}.")]
    private static partial void LogDenied(ILogger logger, CustomerId customerId, string purpose, string destination, ConsentDecisionReason reason, string decidingPurpose);
}
