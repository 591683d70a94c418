using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Generation;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Trials;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Content.Templates;

/// <summary>One version of a channel template.</summary>
/// <param name="TemplateId">The template's id (e.g. <c>cart_sms</c>).</param>
/// <param name="Version">The version, from 1.</param>
/// <param name="Channel">The channel the copy was approved for.</param>
/// <param name="Language">The language the fields compile in.</param>
/// <param name="Copy">The copy: each text field (and list item) is a template over <paramref name="Placeholders"/>.</param>
/// <param name="Placeholders">The declared placeholders.</param>
/// <param name="Reason">Why this version was written (registered by hand, or promoted with the trial's decision).</param>
/// <param name="CreatedAt">When it was written.</param>
public sealed record ContentTemplateVersion(string TemplateId, int Version, string Channel, string Language, ContentVariant Copy, IReadOnlyList<string> Placeholders, string Reason, DateTimeOffset CreatedAt)
{
    /// <summary>Describes the version without its copy.</summary>
    public override string ToString() => $"ContentTemplateVersion {{ TemplateId = {TemplateId}, Version = {Version}, Channel = {Channel}, Language = {Language} }}";
}

/// <summary>
/// The active template of each channel use (e.g. <c>cart_sms</c>) with its version history, kept in the
/// <see cref="IStateStore"/> (scope <c>content.templates</c>; in memory by default, durable and shared by every host on
/// SQLite or PostgreSQL). Only reviewed copy (<see cref="ApprovedContent"/>) becomes a template; registration compiles
/// every field, so an unknown placeholder fails here and not at send time; a new version replaces the active one in one
/// optimistic-concurrency write, so a reader sees the old version or the new one, never a mix.
/// </summary>
public sealed class ContentTemplateStore
{
    internal const string Scope = "content.templates";
    private const int MaxConflictRetries = 8;
    private readonly IStateStore _store;
    private readonly TimeProvider _time;
    private readonly ContentTemplateLimits _limits;
    private readonly int _history;
    private readonly ILogger _logger;

    /// <summary>Creates the store.</summary>
    /// <param name="store">Where templates are kept.</param>
    /// <param name="timeProvider">The clock of <see cref="ContentTemplateVersion.CreatedAt"/>.</param>
    /// <param name="limits">The template bounds (default <see cref="ContentTemplateLimits.Default"/>).</param>
    /// <param name="history">How many versions are kept per template (default 20; the active one is always kept).</param>
    /// <param name="logger">The logger.</param>
    public ContentTemplateStore(IStateStore store, TimeProvider? timeProvider = null, ContentTemplateLimits? limits = null, int history = 20, ILogger<ContentTemplateStore>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        ArgumentOutOfRangeException.ThrowIfLessThan(history, 1);
        _time = timeProvider ?? TimeProvider.System;
        _limits = limits ?? ContentTemplateLimits.Default;
        _history = history;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Compiles approved copy and makes it the template's active version.</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="content">The approved copy.</param>
    /// <param name="language">The language (<c>zh</c> or <c>en</c>).</param>
    /// <param name="placeholders">The placeholders its fields may use.</param>
    /// <param name="reason">Why (kept with the version).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ContentTemplateException">A field uses an undeclared placeholder or bad syntax, or the template id belongs to another channel.</exception>
    public async ValueTask<ContentTemplateVersion> RegisterAsync(string templateId, ApprovedContent content, string language, IEnumerable<string> placeholders, string reason = "registered", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(placeholders);
        ArgumentNullException.ThrowIfNull(reason);
        var declared = placeholders.Distinct(StringComparer.Ordinal).ToList();
        foreach (var (field, text) in content.Variant.Texts())
        {
            ContentTemplate.Compile($"{templateId}.{field}", language, text, declared, _limits);
        }

        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(Scope, templateId, cancellationToken).ConfigureAwait(false);
            var doc = entry is null ? new TemplateDocument { Channel = content.Channel } : Read(entry);
            if (!string.Equals(doc.Channel, content.Channel, StringComparison.Ordinal))
            {
                throw new ContentTemplateException($"template '{templateId}' is for channel '{doc.Channel}', not '{content.Channel}'");
            }

            var version = new TemplateVersionJson
            {
                Version = doc.Versions.Count == 0 ? 1 : doc.Versions.Max(v => v.Version) + 1,
                Language = language,
                VariantId = content.Variant.Id,
                Fields = new Dictionary<string, string>(content.Variant.Fields, StringComparer.Ordinal),
                Lists = content.Variant.Lists?.ToDictionary(l => l.Key, l => l.Value.ToList(), StringComparer.Ordinal),
                Placeholders = declared,
                Reason = reason,
                CreatedAt = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            doc.Versions.Add(version);
            doc.Active = version.Version;
            Trim(doc);
            try
            {
                await _store.SaveAsync(Scope, templateId, JsonSerializer.Serialize(doc, ContentStoreJsonContext.Default.TemplateDocument), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxConflictRetries)
            {
                continue; // another host wrote first: read again and append after its version
            }

            ContentLog.TemplateActivated(_logger, templateId, version.Version, doc.Channel, reason);
            return ToVersion(templateId, doc.Channel, version);
        }
    }

    /// <summary>Makes a trial's winner the template's active version; the decision's reason is kept with it.</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="outcome">The trial's outcome.</param>
    /// <param name="language">The language.</param>
    /// <param name="placeholders">The placeholders.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ContentException">The trial has no winner.</exception>
    /// <exception cref="ContentTemplateException">The winner does not compile with <paramref name="placeholders"/>.</exception>
    public ValueTask<ContentTemplateVersion> PromoteAsync(string templateId, ContentTrialOutcome outcome, string language, IEnumerable<string> placeholders, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Winner is null)
        {
            throw new ContentException($"Trial '{outcome.TrialKey}' has no winner to promote ({outcome.Decision}).");
        }

        return RegisterAsync(templateId, outcome.Winner, language, placeholders, $"promoted from trial '{outcome.TrialKey}': {outcome.Reason}", cancellationToken);
    }

    /// <summary>Makes a kept version active again (a rollback).</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ContentTemplateException">The template or the version is not kept.</exception>
    public async ValueTask<ContentTemplateVersion> ActivateAsync(string templateId, int version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(Scope, templateId, cancellationToken).ConfigureAwait(false) ?? throw new ContentTemplateException($"template '{templateId}' is not registered");
            var doc = Read(entry);
            var kept = doc.Versions.Find(v => v.Version == version) ?? throw new ContentTemplateException($"template '{templateId}' keeps no version {version}");
            doc.Active = version;
            try
            {
                await _store.SaveAsync(Scope, templateId, JsonSerializer.Serialize(doc, ContentStoreJsonContext.Default.TemplateDocument), entry.Version, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxConflictRetries)
            {
                continue;
            }

            ContentLog.TemplateActivated(_logger, templateId, version, doc.Channel, "activated again");
            return ToVersion(templateId, doc.Channel, kept);
        }
    }

    /// <summary>The active version, or <see langword="null"/> when the template is not registered.</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ContentTemplateVersion?> GetActiveAsync(string templateId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        var entry = await _store.GetAsync(Scope, templateId, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        var doc = Read(entry);
        return doc.Versions.Find(v => v.Version == doc.Active) is { } active ? ToVersion(templateId, doc.Channel, active) : null;
    }

    /// <summary>The kept versions, oldest first.</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<ContentTemplateVersion>> GetHistoryAsync(string templateId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        var entry = await _store.GetAsync(Scope, templateId, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return [];
        }

        var doc = Read(entry);
        return [.. doc.Versions.OrderBy(v => v.Version).Select(v => ToVersion(templateId, doc.Channel, v))];
    }

    /// <summary>Renders the active version's fields with the given values.</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="values">The values by placeholder name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ContentTemplateException">The template is not registered, or a value is missing.</exception>
    public async ValueTask<ContentVariant> RenderAsync(string templateId, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var active = await GetActiveAsync(templateId, cancellationToken).ConfigureAwait(false) ?? throw new ContentTemplateException($"template '{templateId}' is not registered");
        string Render(string field, string text) => ContentTemplate.Compile($"{templateId}.{field}", active.Language, text, active.Placeholders, _limits).Render(values);
        var fields = active.Copy.Fields.ToDictionary(f => f.Key, f => Render(f.Key, f.Value), StringComparer.Ordinal);
        var lists = active.Copy.Lists?.ToDictionary(l => l.Key, l => (IReadOnlyList<string>)[.. l.Value.Select((v, i) => Render($"{l.Key}[{i}]", v))], StringComparer.Ordinal);
        return new ContentVariant(active.Copy.Id, fields, lists);
    }

    private void Trim(TemplateDocument doc)
    {
        while (doc.Versions.Count > _history)
        {
            var oldest = doc.Versions.Where(v => v.Version != doc.Active).MinBy(v => v.Version);
            if (oldest is null)
            {
                break;
            }

            doc.Versions.Remove(oldest);
        }
    }

    private static TemplateDocument Read(StateEntry entry) =>
        JsonSerializer.Deserialize(entry.Value, ContentStoreJsonContext.Default.TemplateDocument) ?? throw new ContentTemplateException($"template '{entry.Key}' is stored unreadably");

    private static ContentTemplateVersion ToVersion(string templateId, string channel, TemplateVersionJson v) =>
        new(templateId, v.Version, channel, v.Language, new ContentVariant(v.VariantId, v.Fields, v.Lists?.ToDictionary(l => l.Key, l => (IReadOnlyList<string>)l.Value, StringComparer.Ordinal)),
            v.Placeholders, v.Reason, DateTimeOffset.FromUnixTimeMilliseconds(v.CreatedAt));
}

/// <summary>A template's stored document: its channel, the active version and the kept versions.</summary>
internal sealed class TemplateDocument
{
    public string Channel { get; set; } = "";
    public int Active { get; set; }
    public List<TemplateVersionJson> Versions { get; set; } = [];
}

/// <summary>One stored version.</summary>
internal sealed class TemplateVersionJson
{
    public int Version { get; set; }
    public string Language { get; set; } = "";
    public string VariantId { get; set; } = "";
    public Dictionary<string, string> Fields { get; set; } = [];
    public Dictionary<string, List<string>>? Lists { get; set; }
    public List<string> Placeholders { get; set; } = [];
    public string Reason { get; set; } = "";
    public long CreatedAt { get; set; }
}

/// <summary>Source-generated serialisation of stored templates.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TemplateDocument))]
internal sealed partial class ContentStoreJsonContext : JsonSerializerContext;
