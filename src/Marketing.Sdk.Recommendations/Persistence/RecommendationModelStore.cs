using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Recommendations;

/// <summary>What is stored about one published model version.</summary>
public sealed record RecommendationModelVersion
{
    /// <summary>The version number: 1, 2, … in publish order, never reused.</summary>
    public required long Version { get; init; }

    /// <summary>The algorithm, e.g. <c>hybrid(SAR (jaccard), Content (TF-IDF), Popularity (recency-weighted))</c>.</summary>
    public required string Algorithm { get; init; }

    /// <summary>The settings the model was trained with (name → invariant text).</summary>
    public required IReadOnlyDictionary<string, string> Options { get; init; }

    /// <summary>When the model was trained.</summary>
    public required DateTimeOffset TrainedAt { get; init; }

    /// <summary>The earliest interaction the model learned from, if any.</summary>
    public DateTimeOffset? DataFrom { get; init; }

    /// <summary>The latest interaction the model learned from, if any.</summary>
    public DateTimeOffset? DataTo { get; init; }

    /// <summary>Figures of the training run (interactions, customers, products, …).</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>The SHA-256 of the serialised model, lower-case hex; checked on every load.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The size of the serialised model in bytes.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>How many chunk documents hold it.</summary>
    public required int ChunkCount { get; init; }

    /// <summary>When it was published.</summary>
    public required DateTimeOffset PublishedAt { get; init; }

    /// <summary>The fencing token of the lease it was published under, if any.</summary>
    public long? FencingToken { get; init; }

    /// <summary>Whether every chunk was written (a version that is not complete never becomes current).</summary>
    public bool Complete { get; init; }
}

/// <summary>A model read from the store with its version.</summary>
/// <param name="Version">What is stored about the version.</param>
/// <param name="Model">The model, ranking exactly as the one that was published.</param>
public sealed record StoredRecommendationModel(RecommendationModelVersion Version, RecommendationModel Model);

/// <summary>
/// Durable, versioned recommendation models shared by every host on one store. A publish writes
/// the new version completely before it becomes current in one compare-and-swap step; a load
/// verifies the content hash. Registered by <c>AddRecommendations</c> over the host's
/// <see cref="IStateStore"/>.
/// </summary>
public interface IRecommendationModelStore
{
    /// <summary>
    /// Stores <paramref name="model"/> as a new version and makes it current (unless a newer version
    /// became current meanwhile); deletes versions beyond the retention.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="metrics">Figures of the training run to keep with it; may be <see langword="null"/>.</param>
    /// <param name="fencingToken">The fencing token of the lease the publisher holds, if any: a publish with a lower token than the current version's is refused.</param>
    /// <param name="cancellationToken">Cancels the call (a version cancelled before the switch never becomes current).</param>
    /// <returns>The stored version.</returns>
    /// <exception cref="RecommendationException"><see cref="RecommendationErrorReason.StalePublisher"/> when a newer lease holder has published; <see cref="RecommendationErrorReason.InvalidData"/> when the model exceeds <see cref="RecommendationOptions.MaxModelBytes"/>.</exception>
    ValueTask<RecommendationModelVersion> PublishAsync(RecommendationModel model, IReadOnlyDictionary<string, double>? metrics = null, long? fencingToken = null, CancellationToken cancellationToken = default);

    /// <summary>The current version number (one small document read), or <see langword="null"/> when nothing was ever published.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long?> GetCurrentVersionAsync(CancellationToken cancellationToken = default);

    /// <summary>What is stored about a version, or <see langword="null"/> when there is no such version.</summary>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<RecommendationModelVersion?> GetVersionAsync(long version, CancellationToken cancellationToken = default);

    /// <summary>The stored versions, oldest first (incomplete ones included, marked by <see cref="RecommendationModelVersion.Complete"/>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<RecommendationModelVersion>> ListVersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads a version and checks its hash.</summary>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="RecommendationException"><see cref="RecommendationErrorReason.ModelCorrupt"/> when the version is missing, incomplete, a chunk is missing or the hash or data is wrong.</exception>
    ValueTask<StoredRecommendationModel> LoadAsync(long version, CancellationToken cancellationToken = default);
}

/// <summary>The model store over <see cref="IStateStore"/>: documents in scope <c>recommendations.models</c>.</summary>
/// <remarks>
/// Keys: <c>seq</c> (the last version number handed out), <c>m/{version}</c> (the version's
/// metadata, written before its chunks and marked complete after them), <c>c/{version}/{index}</c>
/// (base64 chunks of at most <see cref="RecommendationOptions.ModelChunkBytes"/> bytes) and
/// <c>current</c> (the pointer, switched by compare-and-swap).
/// </remarks>
internal sealed class StateStoreRecommendationModelStore(
    IStateStore store, IOptions<RecommendationOptions> options, TimeProvider time, RecommendationMetrics telemetry, ILogger<StateStoreRecommendationModelStore> logger) : IRecommendationModelStore
{
    internal const string Scope = "recommendations.models";
    private const string CurrentKey = "current";
    private const string SequenceKey = "seq";
    private const int MaxCasAttempts = 64;

    internal static string MetaKey(long version) => "m/" + version.ToString("D19", CultureInfo.InvariantCulture);

    internal static string ChunkKey(long version, int index) =>
        "c/" + version.ToString("D19", CultureInfo.InvariantCulture) + "/" + index.ToString("D6", CultureInfo.InvariantCulture);

    public async ValueTask<RecommendationModelVersion> PublishAsync(RecommendationModel model, IReadOnlyDictionary<string, double>? metrics = null, long? fencingToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var o = options.Value;
        var blob = ModelSerializer.Serialize(model);
        if (blob.LongLength > o.MaxModelBytes)
        {
            throw new RecommendationException(RecommendationErrorReason.InvalidData, "The model is larger than MaxModelBytes allows.");
        }
        var current = await ReadPointerAsync(cancellationToken).ConfigureAwait(false);
        if (IsStale(current?.Pointer, fencingToken))
        {
            throw Stale(current!.Value.Pointer.Version);
        }
        var version = await NextVersionAsync(cancellationToken).ConfigureAwait(false);
        var chunkCount = (int)((blob.LongLength + o.ModelChunkBytes - 1) / o.ModelChunkBytes);
        var meta = new RecommendationModelVersion
        {
            Version = version,
            Algorithm = Algorithm(model),
            Options = Describe(model),
            TrainedAt = model.TrainedAt,
            DataFrom = model.DataFrom,
            DataTo = model.DataTo,
            Metrics = metrics is null ? new Dictionary<string, double>(StringComparer.Ordinal) : new Dictionary<string, double>(metrics, StringComparer.Ordinal),
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(blob)),
            SizeBytes = blob.LongLength,
            ChunkCount = chunkCount,
            PublishedAt = time.GetUtcNow(),
            FencingToken = fencingToken,
            Complete = false,
        };
        // 1. The metadata first (incomplete), so retention can find and remove a version whose publish died halfway.
        var metaVersion = await store.SaveAsync(Scope, MetaKey(version), JsonSerializer.Serialize(meta, ModelStoreJson.Default.RecommendationModelVersion), 0, cancellationToken).ConfigureAwait(false);
        // 2. Every chunk.
        for (var k = 0; k < chunkCount; k++)
        {
            var offset = (int)((long)k * o.ModelChunkBytes);
            var length = Math.Min(o.ModelChunkBytes, blob.Length - offset);
            var doc = JsonSerializer.Serialize(new ModelChunk(Convert.ToBase64String(blob, offset, length)), ModelStoreJson.Default.ModelChunk);
            await store.SaveAsync(Scope, ChunkKey(version, k), doc, 0, cancellationToken).ConfigureAwait(false);
        }
        // 3. Complete.
        meta = meta with { Complete = true };
        await store.SaveAsync(Scope, MetaKey(version), JsonSerializer.Serialize(meta, ModelStoreJson.Default.RecommendationModelVersion), metaVersion, cancellationToken).ConfigureAwait(false);
        // 4. The switch: one compare-and-swap of the pointer.
        var switched = await SwitchAsync(version, fencingToken, cancellationToken).ConfigureAwait(false);
        telemetry.ModelsStored.Add(1);
        telemetry.ModelBytes.Record(blob.LongLength);
        Log.ModelStored(logger, version, blob.LongLength, chunkCount, switched);
        await EnforceRetentionAsync(cancellationToken).ConfigureAwait(false);
        return meta;
    }

    private async ValueTask<bool> SwitchAsync(long version, long? fencingToken, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxCasAttempts; attempt++)
        {
            var current = await ReadPointerAsync(cancellationToken).ConfigureAwait(false);
            if (IsStale(current?.Pointer, fencingToken))
            {
                throw Stale(version);
            }
            if (current is { } c && c.Pointer.Version >= version)
            {
                return false; // a newer version is already current
            }
            var doc = JsonSerializer.Serialize(new ModelPointer(version, fencingToken ?? current?.Pointer.FencingToken), ModelStoreJson.Default.ModelPointer);
            try
            {
                await store.SaveAsync(Scope, CurrentKey, doc, current?.EntryVersion ?? 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                // Another publisher switched first: read again and decide.
            }
        }
        throw new RecommendationException(RecommendationErrorReason.StalePublisher, "The current model pointer kept changing; the version was stored but not made current.") { ModelVersion = version };
    }

    private static bool IsStale(ModelPointer? pointer, long? fencingToken) =>
        fencingToken is { } mine && pointer?.FencingToken is { } theirs && theirs > mine;

    private static RecommendationException Stale(long version) =>
        new(RecommendationErrorReason.StalePublisher, "A publisher holding a newer retraining lease has published since; this version is not made current.") { ModelVersion = version };

    private async ValueTask<long> NextVersionAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxCasAttempts; attempt++)
        {
            var entry = await store.GetAsync(Scope, SequenceKey, cancellationToken).ConfigureAwait(false);
            var last = entry is null ? 0 : ReadJson(entry.Value, ModelStoreJson.Default.ModelSequence, "seq", null).Last;
            try
            {
                await store.SaveAsync(Scope, SequenceKey, JsonSerializer.Serialize(new ModelSequence(last + 1), ModelStoreJson.Default.ModelSequence), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return last + 1;
            }
            catch (ConcurrencyConflictException)
            {
                // Another publisher took the number: try the next one.
            }
        }
        throw new RecommendationException(RecommendationErrorReason.StalePublisher, "No model version number could be reserved; too many concurrent publishers.");
    }

    public async ValueTask<long?> GetCurrentVersionAsync(CancellationToken cancellationToken = default) =>
        (await ReadPointerAsync(cancellationToken).ConfigureAwait(false))?.Pointer.Version;

    private async ValueTask<(ModelPointer Pointer, long EntryVersion)?> ReadPointerAsync(CancellationToken cancellationToken)
    {
        var entry = await store.GetAsync(Scope, CurrentKey, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }
        var pointer = ReadJson(entry.Value, ModelStoreJson.Default.ModelPointer, "current", null);
        if (pointer.Version < 1)
        {
            throw new RecommendationException(RecommendationErrorReason.ModelCorrupt, "The current model pointer names no valid version.");
        }
        return (pointer, entry.Version);
    }

    public async ValueTask<RecommendationModelVersion?> GetVersionAsync(long version, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        var entry = await store.GetAsync(Scope, MetaKey(version), cancellationToken).ConfigureAwait(false);
        return entry is null ? null : ReadMeta(entry.Value, version);
    }

    public async ValueTask<IReadOnlyList<RecommendationModelVersion>> ListVersionsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<RecommendationModelVersion>();
        await foreach (var entry in store.StreamAsync(Scope, "m/", cancellationToken).ConfigureAwait(false))
        {
            if (long.TryParse(entry.Key.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                result.Add(ReadMeta(entry.Value, v));
            }
        }
        return result;
    }

    public async ValueTask<StoredRecommendationModel> LoadAsync(long version, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        var meta = await GetVersionAsync(version, cancellationToken).ConfigureAwait(false)
            ?? throw Corrupt(version, "The version's metadata is missing.");
        var o = options.Value;
        if (!meta.Complete)
        {
            throw Corrupt(version, "The version was never completely written.");
        }
        if (meta.SizeBytes < 0 || meta.SizeBytes > o.MaxModelBytes || meta.ChunkCount < 0 || meta.ChunkCount > meta.SizeBytes + 1 || meta.ContentHash is not { Length: 64 })
        {
            throw Corrupt(version, "The version's size, chunk count or hash is out of range.");
        }
        var blob = new byte[meta.SizeBytes];
        var filled = 0L;
        for (var k = 0; k < meta.ChunkCount; k++)
        {
            var entry = await store.GetAsync(Scope, ChunkKey(version, k), cancellationToken).ConfigureAwait(false)
                ?? throw Corrupt(version, $"Chunk {k.ToString(CultureInfo.InvariantCulture)} of {meta.ChunkCount.ToString(CultureInfo.InvariantCulture)} is missing.");
            var chunk = ReadJson(entry.Value, ModelStoreJson.Default.ModelChunk, "chunk", version);
            var room = blob.Length - filled;
            if (chunk.Data is null || (long)chunk.Data.Length / 4 * 3 > room + 3)
            {
                throw Corrupt(version, $"Chunk {k.ToString(CultureInfo.InvariantCulture)} is larger than the version's size.");
            }
            if (!Convert.TryFromBase64String(chunk.Data, blob.AsSpan((int)filled), out var written))
            {
                throw Corrupt(version, $"Chunk {k.ToString(CultureInfo.InvariantCulture)} is not valid base64 or overruns the version's size.");
            }
            filled += written;
        }
        if (filled != blob.Length)
        {
            throw Corrupt(version, "The chunks do not add up to the version's size.");
        }
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(blob)), meta.ContentHash, StringComparison.Ordinal))
        {
            throw Corrupt(version, "The content hash does not match.");
        }
        try
        {
            return new StoredRecommendationModel(meta, ModelSerializer.Deserialize(blob));
        }
        catch (RecommendationException ex)
        {
            throw new RecommendationException(RecommendationErrorReason.ModelCorrupt, ex.Message, ex) { ModelVersion = version };
        }
    }

    /// <summary>Deletes every version older than the newest <see cref="RecommendationOptions.ModelVersionsToKeep"/> complete versions up to the current one; failures are logged, the next publish tries again.</summary>
    private async ValueTask EnforceRetentionAsync(CancellationToken cancellationToken)
    {
        try
        {
            var current = await GetCurrentVersionAsync(cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return;
            }
            var versions = await ListVersionsAsync(cancellationToken).ConfigureAwait(false);
            var kept = versions.Where(v => v.Complete && v.Version <= current.Value).Select(v => v.Version).OrderDescending().Take(options.Value.ModelVersionsToKeep).ToList();
            var floor = kept.Count == 0 ? current.Value : kept.Min();
            foreach (var v in versions.Where(v => v.Version < floor))
            {
                // Chunks first, metadata last: a crash leaves the metadata, so the next run finds the rest.
                for (var k = 0; k < v.ChunkCount; k++)
                {
                    await store.DeleteAsync(Scope, ChunkKey(v.Version, k), cancellationToken).ConfigureAwait(false);
                }
                await store.DeleteAsync(Scope, MetaKey(v.Version), cancellationToken).ConfigureAwait(false);
                Log.ModelDeleted(logger, v.Version);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Retention is best effort: the published version stays current and the next publish tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RetentionFailed(logger, Marketing.Sdk.Diagnostics.RedactedException.Code(ex));
            if (logger.IsEnabled(LogLevel.Debug))
            {
                var redacted = Marketing.Sdk.Diagnostics.RedactedException.From(ex);
                Log.RetentionFailedDetail(logger, redacted);
            }
        }
    }

    private static RecommendationModelVersion ReadMeta(string json, long version)
    {
        var meta = ReadJson(json, ModelStoreJson.Default.RecommendationModelVersion, "metadata", version);
        return meta.Version == version ? meta : throw Corrupt(version, "The metadata names another version.");
    }

    private static T ReadJson<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string document, long? version)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw new RecommendationException(RecommendationErrorReason.ModelCorrupt, "The model store document '" + document + "' cannot be read.") { ModelVersion = version };
        }
    }

    private static RecommendationException Corrupt(long version, string message) =>
        new(RecommendationErrorReason.ModelCorrupt, "Stored model version " + version.ToString(CultureInfo.InvariantCulture) + ": " + message) { ModelVersion = version };

    internal static string Algorithm(RecommendationModel model)
    {
        var h = model.Hybrid;
        var parts = new[] { h.Sar?.Name, h.Content?.Name, h.Popularity?.Name }.Where(n => n is not null);
        return "hybrid(" + string.Join(", ", parts) + ")";
    }

    internal static Dictionary<string, string> Describe(RecommendationModel model)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        var h = model.Hybrid;
        d["weights.coOccurrence"] = Text(h.Weights.CoOccurrence);
        d["weights.content"] = Text(h.Weights.Content);
        d["weights.popularity"] = Text(h.Weights.Popularity);
        d["candidatePoolSize"] = h.CandidatePoolSize.ToString(CultureInfo.InvariantCulture);
        if (h.Sar?.Options is { } s)
        {
            d["sar.similarity"] = s.Similarity.ToString();
            d["sar.halfLife"] = s.HalfLife?.ToString("c", CultureInfo.InvariantCulture) ?? "none";
            d["sar.supportThreshold"] = s.SupportThreshold.ToString(CultureInfo.InvariantCulture);
            d["sar.maxNeighbours"] = s.MaxNeighbours.ToString(CultureInfo.InvariantCulture);
        }
        var c = model.ContentModel.Options;
        d["content.titleWeight"] = Text(c.TitleWeight);
        d["content.categoryWeight"] = Text(c.CategoryWeight);
        d["content.brandWeight"] = Text(c.BrandWeight);
        d["content.tagWeight"] = Text(c.TagWeight);
        d["content.priceBandWeight"] = Text(c.PriceBandWeight);
        d["content.priceBands"] = c.PriceBands.ToString(CultureInfo.InvariantCulture);
        if (h.Popularity?.Options is { } p)
        {
            d["popularity.measure"] = p.Measure.ToString();
            d["popularity.halfLife"] = p.HalfLife?.ToString("c", CultureInfo.InvariantCulture) ?? "none";
        }
        return d;

        static string Text(double x) => x.ToString("R", CultureInfo.InvariantCulture);
    }
}

internal sealed record ModelPointer(long Version, long? FencingToken);

internal sealed record ModelChunk(string Data);

internal sealed record ModelSequence(long Last);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RecommendationModelVersion))]
[JsonSerializable(typeof(ModelPointer))]
[JsonSerializable(typeof(ModelChunk))]
[JsonSerializable(typeof(ModelSequence))]
internal sealed partial class ModelStoreJson : JsonSerializerContext;
