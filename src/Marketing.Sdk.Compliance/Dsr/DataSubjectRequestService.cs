using System.Collections.Concurrent;
using System.Text.Json;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.Dsr;

/// <summary>
/// Carries out data-subject requests: access (a JSON export of profile, identities, events, consents,
/// audit entries and requests), rectification, erasure (the store's <see cref="ICustomerDataEraser"/>
/// plus every registered <see cref="IPersonalDataEraser"/>) and restriction. Each request is tracked
/// with its legal deadline (<see cref="ComplianceOptions.DataSubjectRequestDeadline"/>) in the
/// <see cref="IStateStore"/> when one is registered (in memory otherwise) and leaves an audit entry.
/// </summary>
public sealed partial class DataSubjectRequestService
{
    private const string Scope = "compliance.dsr";
    private readonly IProfileStore _profiles;
    private readonly IEventStore _events;
    private readonly IIdentityGraphStore _identities;
    private readonly IConsentStore _consents;
    private readonly IAuditLogStore _audit;
    private readonly ICustomerDataEraser _eraser;
    private readonly IEnumerable<IPersonalDataEraser> _components;
    private readonly ConsentLedger _ledger;
    private readonly IStateStore? _state;
    private readonly ConcurrentDictionary<string, DataSubjectRequest> _memory = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ComplianceOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the service (normally resolved from DI).</summary>
    /// <param name="profiles">The profile store.</param>
    /// <param name="events">The event store.</param>
    /// <param name="identities">The identity graph.</param>
    /// <param name="consents">The consent store.</param>
    /// <param name="audit">The audit log.</param>
    /// <param name="eraser">The store's erasure.</param>
    /// <param name="components">Every registered component eraser.</param>
    /// <param name="ledger">The consent ledger (for restriction).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="options">The compliance options.</param>
    /// <param name="state">Where requests are tracked; in memory when <see langword="null"/>.</param>
    /// <param name="logger">The logger.</param>
    public DataSubjectRequestService(IProfileStore profiles, IEventStore events, IIdentityGraphStore identities, IConsentStore consents,
        IAuditLogStore audit, ICustomerDataEraser eraser, IEnumerable<IPersonalDataEraser> components, ConsentLedger ledger,
        TimeProvider timeProvider, IOptions<ComplianceOptions> options, IStateStore? state = null, ILogger<DataSubjectRequestService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _identities = identities ?? throw new ArgumentNullException(nameof(identities));
        _consents = consents ?? throw new ArgumentNullException(nameof(consents));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _eraser = eraser ?? throw new ArgumentNullException(nameof(eraser));
        _components = components ?? [];
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _options = options.Value;
        _state = state;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Registers a request received now or earlier (e.g. by email) so that its deadline is tracked.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="customerId">The customer.</param>
    /// <param name="receivedAt">When it was received; now when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<DataSubjectRequest> SubmitAsync(DataSubjectRequestKind kind, CustomerId customerId, DateTimeOffset? receivedAt = null, CancellationToken cancellationToken = default)
    {
        var at = receivedAt ?? _time.GetUtcNow();
        var request = new DataSubjectRequest
        {
            Id = "dsr_" + Guid.CreateVersion7(_time.GetUtcNow()).ToString("N"),
            Kind = kind,
            CustomerId = customerId,
            ReceivedAt = at,
            DueAt = at + _options.DataSubjectRequestDeadline,
        };
        await SaveAsync(request, cancellationToken).ConfigureAwait(false);
        await AuditAsync("dsr.received", customerId, $"request={request.Id};kind={kind};due={request.DueAt:O}", cancellationToken).ConfigureAwait(false);
        return request;
    }

    /// <summary>Answers an access request: gathers everything held about the customer.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="requestId">A request from <see cref="SubmitAsync"/> to complete; a new one when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<PersonalDataExport> ExportAsync(CustomerId customerId, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = await OpenAsync(DataSubjectRequestKind.Access, customerId, requestId, cancellationToken).ConfigureAwait(false);
        var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
        var identities = await _identities.GetIdentitiesAsync(customerId, cancellationToken).ConfigureAwait(false);
        var events = await ToListAsync(_events.ReadAsync(new EventQuery { CustomerId = customerId }, cancellationToken), cancellationToken).ConfigureAwait(false);
        var consents = await ToListAsync(_consents.ReadHistoryAsync(customerId, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        var completed = await CompleteAsync(request, $"events={events.Count};consents={consents.Count}", "dsr.exported", cancellationToken).ConfigureAwait(false);
        var audit = new List<AuditEntry>();
        await foreach (var entry in _audit.ReadAsync(1, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Record.Subject == customerId)
            {
                audit.Add(entry);
            }
        }
        var requests = await GetRequestsAsync(customerId, cancellationToken).ConfigureAwait(false);
        LogCompleted(_logger, completed.Id, completed.Kind, customerId);
        return new PersonalDataExport
        {
            CustomerId = customerId,
            ExportedAt = _time.GetUtcNow(),
            Profile = profile,
            Identities = identities,
            Events = events,
            Consents = consents,
            AuditEntries = audit,
            Requests = requests,
        };
    }

    /// <summary>Answers an access request as one JSON document (UTF-8, indented, camelCase).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="requestId">A request to complete, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<string> ExportJsonAsync(CustomerId customerId, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var export = await ExportAsync(customerId, requestId, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Serialize(export, ComplianceJsonContext.Default.PersonalDataExport);
    }

    /// <summary>Erases the customer from every store (one transaction in the store) and every registered component.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="requestId">A request to complete, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ErasureResult> EraseAsync(CustomerId customerId, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = await OpenAsync(DataSubjectRequestKind.Erasure, customerId, requestId, cancellationToken).ConfigureAwait(false);
        var identities = await _identities.GetIdentitiesAsync(customerId, cancellationToken).ConfigureAwait(false);
        var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (profile is not null)
        {
            identities = [.. identities.Concat(profile.Identities).Distinct()];
        }
        var components = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var component in _components)
        {
            components[component.Name] = components.GetValueOrDefault(component.Name)
                + await component.EraseAsync(customerId, identities, cancellationToken).ConfigureAwait(false);
        }
        var report = await _eraser.EraseAsync(customerId, cancellationToken).ConfigureAwait(false);
        var outcome = $"store_rows={report.Total};components={string.Join(',', components.Select(kv => kv.Key + ":" + kv.Value))}";
        var completed = await CompleteAsync(request, outcome, "dsr.erased", cancellationToken).ConfigureAwait(false);
        LogCompleted(_logger, completed.Id, completed.Kind, customerId);
        return new ErasureResult(completed, report, components);
    }

    /// <summary>Rectifies the profile: applies <paramref name="change"/> and saves it (re-reading on concurrent changes).</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="change">The correction (e.g. <c>p =&gt; p with { Traits = … }</c>); the id must not change.</param>
    /// <param name="requestId">A request to complete, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComplianceException">The profile does not exist or the change altered its id.</exception>
    public async ValueTask<CustomerProfile> RectifyAsync(CustomerId customerId, Func<CustomerProfile, CustomerProfile> change, string? requestId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var request = await OpenAsync(DataSubjectRequestKind.Rectification, customerId, requestId, cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false)
                ?? throw new ComplianceException($"Profile {customerId} does not exist; nothing to rectify.");
            var changed = change(profile);
            if (changed.Id != customerId)
            {
                throw new ComplianceException("A rectification must not change the profile id.");
            }
            try
            {
                var saved = await _profiles.SaveAsync(changed with { Version = profile.Version }, cancellationToken).ConfigureAwait(false);
                await CompleteAsync(request, $"version={saved.Version}", "dsr.rectified", cancellationToken).ConfigureAwait(false);
                LogCompleted(_logger, request.Id, request.Kind, customerId);
                return saved;
            }
            catch (ConcurrencyConflictException) when (attempt < 4)
            {
                // Re-read and re-apply.
            }
        }
    }

    /// <summary>Restricts processing (the consent gate then denies every use) or lifts the restriction.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="restrict"><see langword="true"/> to restrict, <see langword="false"/> to lift.</param>
    /// <param name="requestId">A request to complete, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<DataSubjectRequest> RestrictAsync(CustomerId customerId, bool restrict = true, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = await OpenAsync(DataSubjectRequestKind.Restriction, customerId, requestId, cancellationToken).ConfigureAwait(false);
        await _ledger.RecordAsync(customerId, [ConsentLedger.RestrictionPurpose], restrict, new ConsentCapture(ConsentSources.DataSubjectRequest), cancellationToken).ConfigureAwait(false);
        var completed = await CompleteAsync(request, restrict ? "restricted" : "lifted", restrict ? "dsr.restricted" : "dsr.restriction_lifted", cancellationToken).ConfigureAwait(false);
        LogCompleted(_logger, completed.Id, completed.Kind, customerId);
        return completed;
    }

    /// <summary>The tracked requests, of one customer or all, by receipt time.</summary>
    /// <param name="customerId">The customer, or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<DataSubjectRequest>> GetRequestsAsync(CustomerId? customerId = null, CancellationToken cancellationToken = default)
    {
        var all = new List<DataSubjectRequest>();
        if (_state is null)
        {
            all.AddRange(_memory.Values);
        }
        else
        {
            await foreach (var entry in _state.StreamAsync(Scope, null, cancellationToken).ConfigureAwait(false))
            {
                all.Add(JsonSerializer.Deserialize(entry.Value, ComplianceJsonContext.Default.DataSubjectRequest)!);
            }
        }
        return [.. all.Where(r => customerId is null || r.CustomerId == customerId).OrderBy(r => r.ReceivedAt).ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>Open requests past their deadline.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<DataSubjectRequest>> GetOverdueAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        return [.. (await GetRequestsAsync(null, cancellationToken).ConfigureAwait(false)).Where(r => r.IsOverdue(now))];
    }

    /// <summary>Deletes completed request records completed before <paramref name="cutoff"/>; returns how many.</summary>
    /// <param name="cutoff">Completed before this instant.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<long> PurgeCompletedAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        long deleted = 0;
        foreach (var r in await GetRequestsAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (r.Status == DataSubjectRequestStatus.Completed && r.CompletedAt < cutoff)
            {
                var removed = _state is null ? _memory.TryRemove(r.Id, out _) : await _state.DeleteAsync(Scope, r.Id, cancellationToken).ConfigureAwait(false);
                deleted += removed ? 1 : 0;
            }
        }
        return deleted;
    }

    private async ValueTask<DataSubjectRequest> OpenAsync(DataSubjectRequestKind kind, CustomerId customerId, string? requestId, CancellationToken cancellationToken)
    {
        if (requestId is null)
        {
            return await SubmitAsync(kind, customerId, null, cancellationToken).ConfigureAwait(false);
        }
        var found = (await GetRequestsAsync(customerId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Id == requestId);
        if (found is null || found.Kind != kind)
        {
            throw new ComplianceException($"No open {kind} request '{requestId}' exists for customer {customerId}.");
        }
        return found;
    }

    private async ValueTask<DataSubjectRequest> CompleteAsync(DataSubjectRequest request, string outcome, string action, CancellationToken cancellationToken)
    {
        var completed = request with { Status = DataSubjectRequestStatus.Completed, CompletedAt = _time.GetUtcNow(), Outcome = outcome };
        await SaveAsync(completed, cancellationToken).ConfigureAwait(false);
        await AuditAsync(action, request.CustomerId, $"request={request.Id};{outcome}", cancellationToken).ConfigureAwait(false);
        return completed;
    }

    private async ValueTask SaveAsync(DataSubjectRequest request, CancellationToken cancellationToken)
    {
        if (_state is null)
        {
            _memory[request.Id] = request;
            return;
        }
        var existing = await _state.GetAsync(Scope, request.Id, cancellationToken).ConfigureAwait(false);
        await _state.SaveAsync(Scope, request.Id, JsonSerializer.Serialize(request, ComplianceJsonContext.Default.DataSubjectRequest), existing?.Version ?? 0, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask AuditAsync(string action, CustomerId customerId, string details, CancellationToken cancellationToken) =>
        await _audit.AppendAsync(new AuditRecord { RecordedAt = _time.GetUtcNow(), Actor = _options.AuditActor, Action = action, Subject = customerId, Details = details }, cancellationToken).ConfigureAwait(false);

    private static async ValueTask<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            list.Add(item);
        }
        return list;
    }

    [LoggerMessage(EventId = 8020, Level = LogLevel.Information, Message = "Data-subject request {RequestId} ({Kind}) completed for customer {CustomerId}.")]
    private static partial void LogCompleted(ILogger logger, string requestId, DataSubjectRequestKind kind, CustomerId customerId);
}
