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
        var current = await _store.GetCurrentAsync(customerId, cancellationToken).ConfigureAwait(false);
        var history = await HasSameInstantWithdrawalAsync(customerId, current, cancellationToken).ConfigureAwait(false);
        var decision = Decide(customerId, purpose, destination, current, history);
        _decisions.Add(1, new KeyValuePair<string, object?>("allowed", decision.Allowed), new KeyValuePair<string, object?>("reason", decision.Reason.ToString()));
        if (!decision.Allowed)
        {
            LogDenied(_logger, customerId, purpose.Value, destination?.Value ?? "internal", decision.Reason, decision.DecidingPurpose.Value);
        }
        return decision;
    }

    /// <inheritdoc />
    public async ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var seen = new HashSet<CustomerId>();
        var allowed = new List<CustomerId>();
        var denied = new List<ConsentDecision>();
        foreach (var id in customerIds)
        {
            if (!seen.Add(id))
            {
                continue;
            }
            var decision = await CheckAsync(id, purpose, destination, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Purposes whose current grant shares its instant with a withdrawal (the withdrawal wins).</summary>
    private async ValueTask<HashSet<ConsentPurpose>> HasSameInstantWithdrawalAsync(CustomerId customerId, IReadOnlyDictionary<ConsentPurpose, ConsentRecord> current, CancellationToken cancellationToken)
    {
        var result = new HashSet<ConsentPurpose>();
        if (!current.Values.Any(r => r.Granted))
        {
            return result;
        }
        await foreach (var record in _store.ReadHistoryAsync(customerId, null, cancellationToken).ConfigureAwait(false))
        {
            if (!record.Granted && current.TryGetValue(record.Purpose, out var latest) && latest.Granted && latest.RecordedAt == record.RecordedAt)
            {
                result.Add(record.Purpose);
            }
        }
        return result;
    }

    private ConsentDecision Decide(CustomerId customerId, ConsentPurpose purpose, Channel? destination, IReadOnlyDictionary<ConsentPurpose, ConsentRecord> current, HashSet<ConsentPurpose> tiedWithdrawals)
    {
        var where = destination is { } d ? $" to {d}" : "";
        if (current.TryGetValue(ConsentLedger.RestrictionPurpose, out var restriction) && restriction.Granted)
        {
            return new(customerId, purpose, destination, false, ConsentDecisionReason.Restricted, ConsentLedger.RestrictionPurpose,
                $"Denied: processing is restricted by a data-subject request since {restriction.RecordedAt:O}.");
        }
        var allGranted = true;
        foreach (var needed in RequiredPurposesFor(purpose, destination))
        {
            var separate = needed != purpose;
            if (current.TryGetValue(needed, out var record))
            {
                if (!record.Granted || tiedWithdrawals.Contains(needed))
                {
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
            ? new(customerId, purpose, destination, true, ConsentDecisionReason.Granted, purpose, $"Allowed: every consent needed for '{purpose}'{where} is granted.")
            : new(customerId, purpose, destination, true, ConsentDecisionReason.NotRequired, purpose, $"Allowed: '{purpose}' does not need consent under the configured policy and was not withdrawn.");
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Debug, Message = "Consent gate denied customer {CustomerId} for purpose {Purpose} to {Destination}: {Reason} on {DecidingPurpose}.")]
    private static partial void LogDenied(ILogger logger, CustomerId customerId, string purpose, string destination, ConsentDecisionReason reason, string decidingPurpose);
}
