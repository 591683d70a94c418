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
        var required = RequiredPurposesFor(purpose, destination);
        var current = await _store.GetCurrentManyAsync([customerId], PurposesToRead(required), cancellationToken).ConfigureAwait(false);
        var decision = Decide(customerId, purpose, destination, required, current, UseTexts.For(purpose, destination));
        Record(decision);
        return decision;
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
        // One batched read for every customer (the store resolves the same-instant withdrawal rule).
        var required = RequiredPurposesFor(purpose, destination);
        var entries = await _store.GetCurrentManyAsync(seen, PurposesToRead(required), cancellationToken).ConfigureAwait(false);
        var byCustomer = new Dictionary<CustomerId, List<CurrentConsent>>(ordered.Count);
        foreach (var entry in entries)
        {
            if (!byCustomer.TryGetValue(entry.Record.CustomerId, out var list))
            {
                byCustomer[entry.Record.CustomerId] = list = new List<CurrentConsent>(required.Count + 1);
            }
            list.Add(entry);
        }
        var texts = UseTexts.For(purpose, destination);
        foreach (var id in ordered)
        {
            var decision = Decide(id, purpose, destination, required, byCustomer.GetValueOrDefault(id), texts);
            Record(decision);
            if (decision.Allowed)
            {
                allowed.Add(id);
            }
            else
            {
                denied.Add(decision);
            }
        }
        return new ConsentFilterResult(allowed, denied);
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

    private static CurrentConsent? Find(IReadOnlyList<CurrentConsent>? current, ConsentPurpose purpose)
    {
        if (current is not null)
        {
            for (var i = 0; i < current.Count; i++)
            {
                if (current[i].Record.Purpose == purpose)
                {
                    return current[i];
                }
            }
        }
        return null;
    }

    /// <summary>Decides from the customer's current records of the purposes read (<see cref="PurposesToRead"/>).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">The purpose of the use.</param>
    /// <param name="destination">The destination, if any.</param>
    /// <param name="required">The purposes the use needs (<see cref="RequiredPurposesFor"/>).</param>
    /// <param name="current">The customer's current records, or <see langword="null"/> when there are none.</param>
    /// <param name="texts">The texts of this purpose and destination (built once per call, shared by its customers).</param>
    private ConsentDecision Decide(CustomerId customerId, ConsentPurpose purpose, Channel? destination, IReadOnlyList<ConsentPurpose> required, IReadOnlyList<CurrentConsent>? current, UseTexts texts)
    {
        var where = texts.Where;
        if (Find(current, ConsentLedger.RestrictionPurpose) is { Record: { Granted: true } restriction })
        {
            return new(customerId, purpose, destination, false, ConsentDecisionReason.Restricted, ConsentLedger.RestrictionPurpose,
                $"Denied: processing is restricted by a data-subject request since {restriction.RecordedAt:O}.");
        }
        var allGranted = true;
        for (var i = 0; i < required.Count; i++)
        {
            var needed = required[i];
            var separate = needed != purpose;
            if (Find(current, needed) is { } entry)
            {
                if (!entry.IsGranted)
                {
                    var record = entry.Record;
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

    [LoggerMessage(EventId = 9010, Level = LogLevel.Debug, Message = "Consent gate denied customer {CustomerId} for purpose {Purpose} to {Destination}: {Reason} on {DecidingPurpose}.")]
    private static partial void LogDenied(ILogger logger, CustomerId customerId, string purpose, string destination, ConsentDecisionReason reason, string decidingPurpose);
}
