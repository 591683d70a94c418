using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.Consent;

/// <summary>Well-known sources of a consent decision (any other short name is allowed).</summary>
public static class ConsentSources
{
    /// <summary>A web form or banner.</summary>
    public const string Web = "web";
    /// <summary>A native or mini-program app.</summary>
    public const string App = "app";
    /// <summary>A questionnaire or survey.</summary>
    public const string Questionnaire = "questionnaire";
    /// <summary>An import from another system.</summary>
    public const string Import = "import";
    /// <summary>An IAB TCF TC string.</summary>
    public const string Tcf = "tcf";
    /// <summary>A data-subject request.</summary>
    public const string DataSubjectRequest = "dsr";
}

/// <summary>How a consent decision was captured.</summary>
/// <param name="Source">Where (see <see cref="ConsentSources"/>).</param>
/// <param name="PolicyVersion">The policy or consent-text version shown, if known.</param>
/// <param name="ProofHash">A hash of the evidence (see <see cref="ConsentLedger.ComputeProofHash(string)"/>), if kept.</param>
/// <param name="At">When the customer decided; the clock's now when <see langword="null"/>.</param>
public sealed record ConsentCapture(string Source, string? PolicyVersion = null, string? ProofHash = null, DateTimeOffset? At = null);

/// <summary>The share of customers who currently consent, per purpose.</summary>
/// <param name="Customers">How many customers were counted.</param>
/// <param name="Granted">Customers with a current grant, per purpose.</param>
/// <param name="Withdrawn">Customers whose latest record is a withdrawal, per purpose.</param>
public sealed record ConsentRates(long Customers, IReadOnlyDictionary<ConsentPurpose, long> Granted, IReadOnlyDictionary<ConsentPurpose, long> Withdrawn)
{
    /// <summary>Granted customers divided by counted customers (0 when none were counted).</summary>
    /// <param name="purpose">The purpose.</param>
    public double Rate(ConsentPurpose purpose) => Customers == 0 ? 0 : (double)Granted.GetValueOrDefault(purpose) / Customers;
}

/// <summary>
/// The consent ledger: records grants and withdrawals per customer and purpose (append-only, full
/// history, with source, policy version and proof hash), answers the current state, writes an audit
/// entry for each change, keeps the profile's consent summary in step and reports consent rates as
/// metrics (<c>Marketing.Sdk.Compliance</c> meter).
/// </summary>
public sealed partial class ConsentLedger
{
    /// <summary>
    /// The purpose that marks a restriction of processing (GDPR art. 18, PIPL art. 44): a granted
    /// record means "restricted", a withdrawn one lifts it. The consent gate denies every use while
    /// a restriction is in force.
    /// </summary>
    public static ConsentPurpose RestrictionPurpose { get; } = new("dsr_restriction");

    private readonly IConsentStore _store;
    private readonly IAuditLogStore _audit;
    private readonly IProfileStore? _profiles;
    private readonly TimeProvider _time;
    private readonly ComplianceOptions _options;
    private readonly ILogger _logger;
    private readonly Counter<long> _changes;
    private readonly ConcurrentDictionary<ConsentPurpose, double> _lastRates = new();

    /// <summary>Creates the ledger (normally resolved from DI).</summary>
    /// <param name="store">The consent store.</param>
    /// <param name="audit">The audit log.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="options">The compliance options.</param>
    /// <param name="profiles">The profile store whose consent summary is kept in step, if any.</param>
    /// <param name="meterFactory">Creates the meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger.</param>
    public ConsentLedger(IConsentStore store, IAuditLogStore audit, TimeProvider timeProvider, IOptions<ComplianceOptions> options,
        IProfileStore? profiles = null, IMeterFactory? meterFactory = null, ILogger<ConsentLedger>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _options = options.Value;
        _profiles = profiles;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var meter = ComplianceTelemetry.CreateMeter(meterFactory);
        _changes = meter.CreateCounter<long>("marketing.consent.changes", description: "Consent grants and withdrawals recorded.");
        meter.CreateObservableGauge("marketing.consent.rate", ObserveRates, description: "Share of counted customers who consent, per purpose (from the last ComputeRatesAsync).");
    }

    /// <summary>SHA-256 (lower-case hex) of UTF-8 evidence text (a signed form, a TC string), for <see cref="ConsentCapture.ProofHash"/>.</summary>
    /// <param name="evidence">The evidence.</param>
    public static string ComputeProofHash(string evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(evidence)));
    }

    /// <summary>Records that the customer granted consent for a purpose.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">The purpose.</param>
    /// <param name="capture">How the decision was captured.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ConsentRecord> GrantAsync(CustomerId customerId, ConsentPurpose purpose, ConsentCapture capture, CancellationToken cancellationToken = default) =>
        (await RecordAsync(customerId, [purpose], true, capture, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Records that the customer withdrew consent for a purpose.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">The purpose.</param>
    /// <param name="capture">How the decision was captured.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ConsentRecord> WithdrawAsync(CustomerId customerId, ConsentPurpose purpose, ConsentCapture capture, CancellationToken cancellationToken = default) =>
        (await RecordAsync(customerId, [purpose], false, capture, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>The "turn off personalised ads" switch: withdraws every purpose of <see cref="ComplianceOptions.AdPurposes"/> at once.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="capture">How the decision was captured.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask<IReadOnlyList<ConsentRecord>> TurnOffPersonalisedAdsAsync(CustomerId customerId, ConsentCapture capture, CancellationToken cancellationToken = default) =>
        RecordAsync(customerId, [.. _options.AdPurposes.OrderBy(p => p.Value, StringComparer.Ordinal)], false, capture, cancellationToken);

    /// <summary>Records one decision for several purposes (all with the same instant, source and proof).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purposes">The purposes (at least one).</param>
    /// <param name="granted">Grant or withdrawal.</param>
    /// <param name="capture">How the decision was captured.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored records in purpose order.</returns>
    public async ValueTask<IReadOnlyList<ConsentRecord>> RecordAsync(CustomerId customerId, IReadOnlyList<ConsentPurpose> purposes, bool granted, ConsentCapture capture, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(purposes);
        ArgumentNullException.ThrowIfNull(capture);
        if (purposes.Count == 0)
        {
            throw new MarketingValidationException("purposes", ValidationReason.Missing, "At least one purpose is required.");
        }
        if (string.IsNullOrWhiteSpace(capture.Source))
        {
            throw new MarketingValidationException("source", ValidationReason.Missing, "The source of a consent decision is required.");
        }
        var at = capture.At ?? _time.GetUtcNow();
        var stored = new List<ConsentRecord>(purposes.Count);
        foreach (var purpose in purposes.Distinct())
        {
            var record = await _store.AppendAsync(new ConsentRecord
            {
                CustomerId = customerId,
                Purpose = purpose,
                Granted = granted,
                RecordedAt = at,
                Source = capture.Source,
                PolicyVersion = capture.PolicyVersion,
                ProofHash = capture.ProofHash,
            }, cancellationToken).ConfigureAwait(false);
            stored.Add(record);
            _changes.Add(1, new KeyValuePair<string, object?>("purpose", purpose.Value), new KeyValuePair<string, object?>("granted", granted));
            LogConsentChanged(_logger, customerId, purpose.Value, granted, capture.Source);
        }
        await _audit.AppendAsync(new AuditRecord
        {
            RecordedAt = _time.GetUtcNow(),
            Actor = _options.AuditActor,
            Action = granted ? "consent.granted" : "consent.withdrawn",
            Subject = customerId,
            Details = "purposes=" + string.Join(',', stored.Select(r => r.Purpose.Value)) + ";source=" + capture.Source
                + (capture.PolicyVersion is null ? "" : ";policy=" + capture.PolicyVersion),
        }, cancellationToken).ConfigureAwait(false);
        await UpdateProfileSummaryAsync(customerId, cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>The current record per purpose (purposes never recorded are absent).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask<IReadOnlyDictionary<ConsentPurpose, ConsentRecord>> GetCurrentAsync(CustomerId customerId, CancellationToken cancellationToken = default) =>
        _store.GetCurrentAsync(customerId, cancellationToken);

    /// <summary>The full history in append order, optionally for one purpose.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">One purpose, or all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public IAsyncEnumerable<ConsentRecord> GetHistoryAsync(CustomerId customerId, ConsentPurpose? purpose = null, CancellationToken cancellationToken = default) =>
        _store.ReadHistoryAsync(customerId, purpose, cancellationToken);

    /// <summary>Counts current grants and withdrawals per purpose over the given customers and publishes the rates on the <c>marketing.consent.rate</c> gauge.</summary>
    /// <param name="customerIds">The customers to count (e.g. the ids of <see cref="IProfileStore.StreamAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ConsentRates> ComputeRatesAsync(IAsyncEnumerable<CustomerId> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        long customers = 0;
        var granted = new Dictionary<ConsentPurpose, long>();
        var withdrawn = new Dictionary<ConsentPurpose, long>();
        await foreach (var id in customerIds.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            customers++;
            var current = await _store.GetCurrentAsync(id, cancellationToken).ConfigureAwait(false);
            foreach (var (purpose, record) in current)
            {
                var target = record.Granted ? granted : withdrawn;
                target[purpose] = target.GetValueOrDefault(purpose) + 1;
            }
        }
        var rates = new ConsentRates(customers, granted, withdrawn);
        _lastRates.Clear();
        foreach (var purpose in granted.Keys.Concat(withdrawn.Keys).Distinct())
        {
            _lastRates[purpose] = rates.Rate(purpose);
        }
        return rates;
    }

    private IEnumerable<Measurement<double>> ObserveRates() =>
        _lastRates.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("purpose", kv.Key.Value)));

    private async ValueTask UpdateProfileSummaryAsync(CustomerId customerId, CancellationToken cancellationToken)
    {
        if (_profiles is null)
        {
            return;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
            if (profile is null)
            {
                return;
            }
            var current = await _store.GetCurrentAsync(customerId, cancellationToken).ConfigureAwait(false);
            var summary = current.ToDictionary(kv => kv.Key, kv => new ConsentState(kv.Value.Granted, kv.Value.RecordedAt));
            try
            {
                await _profiles.SaveAsync(profile with { Consents = summary }, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException)
            {
                // Another writer changed the profile: read again and re-apply.
            }
        }
        LogSummaryNotUpdated(_logger, customerId);
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Consent recorded for customer {CustomerId}: purpose {Purpose}, granted {Granted}, source {Source}.")]
    private static partial void LogConsentChanged(ILogger logger, CustomerId customerId, string purpose, bool granted, string source);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "The consent summary of profile {CustomerId} could not be updated after repeated concurrent changes; the ledger is authoritative.")]
    private static partial void LogSummaryNotUpdated(ILogger logger, CustomerId customerId);
}
