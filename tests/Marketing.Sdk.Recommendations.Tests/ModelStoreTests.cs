using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FsCheck;
using FsCheck.Xunit;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Marketing.Sdk.Recommendations.Tests;

public class ModelSerializerTests
{
    internal static (List<Interaction> Interactions, List<Product> Products, Func<string, string?>? SegmentOf, RecommendationOptions Options) Random(int seed)
    {
        var rng = new Random(seed);
        var users = rng.Next(1, 30);
        var items = rng.Next(1, 25);
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var interactions = new List<Interaction>();
        for (var k = rng.Next(1, 200); k > 0; k--)
        {
            interactions.Add(new Interaction("u" + rng.Next(users).ToString(CultureInfo.InvariantCulture), "p" + rng.Next(items).ToString(CultureInfo.InvariantCulture),
                t0.AddMinutes(rng.Next(0, 60 * 24 * 90)), 0.5 + rng.Next(1, 8), (InteractionKind)rng.Next(0, 5)));
        }
        var products = new List<Product>();
        for (var i = 0; i < items + 3; i++) // three products nobody touched: content covers them
        {
            if (rng.Next(6) == 0)
            {
                continue; // some interacted items are not in the catalogue
            }
            products.Add(new Product
            {
                ProductId = "p" + i.ToString(CultureInfo.InvariantCulture),
                Title = "Product " + (i % 4 == 0 ? "hydrating serum" : i % 4 == 1 ? "night cream" : i % 4 == 2 ? "steel kettle" : "velvet lipstick") + " ü",
                Price = new Money(rng.Next(1, 500) + 0.99m, i % 5 == 0 ? "EUR" : "CNY"),
                Category = rng.Next(3) == 0 ? null : "cat" + rng.Next(3).ToString(CultureInfo.InvariantCulture) + "/sub" + rng.Next(2).ToString(CultureInfo.InvariantCulture),
                Brand = rng.Next(2) == 0 ? null : "Brand" + rng.Next(3).ToString(CultureInfo.InvariantCulture),
                Tags = rng.Next(2) == 0 ? [] : ["autumn", "t" + rng.Next(3).ToString(CultureInfo.InvariantCulture)],
                StockQuantity = rng.Next(3) == 0 ? null : rng.Next(0, 10),
                Margin = rng.Next(2) == 0 ? null : rng.Next(0, 100) / 100m,
                IsActive = rng.Next(8) != 0,
            });
        }
        Func<string, string?>? segmentOf = rng.Next(2) == 0 ? null : u => u.Length % 2 == 0 ? "north" : u.EndsWith('7') ? null : "south";
        var options = new RecommendationOptions
        {
            Sar = new SarOptions
            {
                Similarity = (ItemSimilarity)rng.Next(0, 4),
                HalfLife = rng.Next(2) == 0 ? null : TimeSpan.FromDays(rng.Next(1, 60)),
                ReferenceTime = t0.AddDays(91),
                SupportThreshold = rng.Next(1, 3),
                MaxNeighbours = rng.Next(0, 6),
            },
            Popularity = new PopularityOptions { Measure = (PopularityMeasure)rng.Next(0, 2), HalfLife = TimeSpan.FromDays(rng.Next(1, 30)), ReferenceTime = t0.AddDays(91) },
            Weights = new HybridWeights { CoOccurrence = rng.Next(0, 3), Content = rng.Next(0, 3), Popularity = rng.Next(1, 3) },
            CandidatePoolSize = rng.Next(1, 40),
        };
        return (interactions, products, segmentOf, options);
    }

    /// <summary>Every observable answer of a model, scores as exact bit patterns.</summary>
    internal static string Fingerprint(RecommendationModel m, IEnumerable<string> users, IEnumerable<string> items, bool stranger = true)
    {
        var sb = new StringBuilder();
        string S(double x) => BitConverter.DoubleToInt64Bits(x).ToString("X16", CultureInfo.InvariantCulture);
        foreach (var u in stranger ? users.Append("stranger") : users)
        {
            sb.Append("U ").Append(u).Append(" known=").Append(m.Hybrid.KnowsUser(u)).Append(" seg=").Append(m.SegmentOf?.Invoke(u)).Append('\n');
            foreach (var c in m.Hybrid.Candidates(u, m.SegmentOf?.Invoke(u), 50))
            {
                sb.Append(c.ProductId).Append(':').Append(S(c.Score)).Append(',').Append(S(c.CoOccurrenceScore)).Append(',').Append(S(c.ContentScore)).Append(',').Append(S(c.PopularityScore)).Append(' ');
            }
            sb.Append('\n');
            foreach (var (id, kind) in m.Hybrid.History(u).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                sb.Append(id).Append('=').Append(kind).Append(' ');
            }
            sb.Append('\n');
            foreach (var i in items)
            {
                if (m.Hybrid.Sar?.Explain(u, i) is { } e)
                {
                    sb.Append("E ").Append(i).Append(' ').Append(e.BecauseOfItemId).Append(' ').Append(e.BecauseOfKind).Append(' ').Append(S(e.Score)).Append('\n');
                }
                if (m.Hybrid.Content?.Explain(u, i) is { } ce)
                {
                    sb.Append("C ").Append(i).Append(' ').Append(ce.ItemId).Append(' ').Append(S(ce.Similarity)).Append('\n');
                }
            }
        }
        foreach (var i in items)
        {
            sb.Append("S ").Append(i).Append(": ");
            foreach (var c in m.Hybrid.SimilarItems(i, 20))
            {
                sb.Append(c.ProductId).Append(':').Append(S(c.Score)).Append(' ');
            }
            sb.Append(" pct=").Append(m.Prices.Percentile(i)).Append('\n');
        }
        foreach (var (id, p) in m.Catalogue)
        {
            sb.Append("P ").Append(id).Append(' ').Append(p.Title).Append(' ').Append(p.Price).Append(' ').Append(p.Category).Append(' ').Append(p.Brand).Append(' ')
                .Append(string.Join('|', p.Tags)).Append(' ').Append(p.StockQuantity).Append(' ').Append(p.Margin).Append(' ').Append(p.IsActive).Append('\n');
        }
        sb.Append("T ").Append(m.TrainedAt.ToString("O", CultureInfo.InvariantCulture)).Append(' ').Append(m.DataFrom?.ToString("O", CultureInfo.InvariantCulture)).Append(' ').Append(m.DataTo?.ToString("O", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    [Property(MaxTest = 60)]
    public void A_loaded_model_answers_exactly_as_the_trained_one_also_after_the_same_incremental_update(PositiveInt seed)
    {
        var (interactions, products, segmentOf, options) = Random(seed.Get);
        var trained = RecommendationModel.Build(interactions, products, options, new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.FromHours(2)), segmentOf);
        var bytes = ModelSerializer.Serialize(trained);
        var loaded = ModelSerializer.Deserialize(bytes);
        var users = interactions.Select(x => x.UserId).Distinct().ToList();
        var items = interactions.Select(x => x.ItemId).Concat(products.Select(p => p.ProductId)).Distinct().Append("unknown").ToList();
        // The segment function is not stored: customers seen in training keep their segment, customers
        // unknown to the model have none on a loaded model (the request or the profile trait names it).
        var withStranger = segmentOf is null;
        Assert.Equal(Fingerprint(trained, users, items, withStranger), Fingerprint(loaded, users, items, withStranger));
        Assert.Equal(bytes, ModelSerializer.Serialize(loaded)); // nothing lost or added

        // Incremental updates continue identically on both (known users, and a new one when no segment function is in play).
        var rng = new Random(seed.Get + 1);
        var more = Enumerable.Range(0, 15).Select(k => new Interaction(k % 3 == 0 && withStranger ? "newcomer" : users[rng.Next(users.Count)], items[rng.Next(items.Count - 1)],
            new DateTimeOffset(2025, 3, 30, 0, 0, 0, TimeSpan.Zero).AddHours(k), 1 + k % 4, InteractionKind.View)).ToList();
        var trainedUpdated = trained.Update(more);
        var loadedUpdated = loaded.Update(more);
        var after = withStranger ? users.Append("newcomer").ToList() : users;
        Assert.Equal(Fingerprint(trainedUpdated, after, items, withStranger), Fingerprint(loadedUpdated, after, items, withStranger));
        if (withStranger)
        {
            Assert.Equal(ModelSerializer.Serialize(trainedUpdated), ModelSerializer.Serialize(loadedUpdated));
        }
    }

    [Fact]
    public void Truncated_or_altered_data_is_a_typed_error_naming_the_part()
    {
        var (interactions, products, segmentOf, options) = Random(7);
        var bytes = ModelSerializer.Serialize(RecommendationModel.Build(interactions, products, options, null, segmentOf));
        foreach (var length in new[] { 0, 3, 10, bytes.Length / 3, bytes.Length / 2, bytes.Length - 1 })
        {
            var ex = Assert.Throws<RecommendationException>(() => ModelSerializer.Deserialize(bytes.AsMemory(0, length)));
            Assert.Equal(RecommendationErrorReason.ModelCorrupt, ex.Reason);
            Assert.Contains("part '", ex.Message, StringComparison.Ordinal);
        }
        var extra = bytes.Append((byte)0).ToArray();
        Assert.Equal(RecommendationErrorReason.ModelCorrupt, Assert.Throws<RecommendationException>(() => ModelSerializer.Deserialize(extra)).Reason);
        var badMagic = (byte[])bytes.Clone();
        badMagic[0] ^= 0xFF;
        Assert.Contains("header", Assert.Throws<RecommendationException>(() => ModelSerializer.Deserialize(badMagic)).Message, StringComparison.Ordinal);
        // Flipping bytes anywhere never escapes as anything but the typed error (or a model that reads).
        var rng = new Random(3);
        for (var k = 0; k < 300; k++)
        {
            var copy = (byte[])bytes.Clone();
            copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
            try
            {
                ModelSerializer.Deserialize(copy);
            }
            catch (RecommendationException ex) when (ex.Reason == RecommendationErrorReason.ModelCorrupt)
            {
            }
        }
    }
}

public class ModelStoreTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static MarketingEvent Buy(string id, string customer, int daysAgo, params string[] products) => new()
    {
        Id = id, Type = EventType.Purchase, OccurredAt = Now.AddDays(-daysAgo), CustomerId = new CustomerId(customer),
        Order = new Order
        {
            OrderId = id, PlacedAt = Now.AddDays(-daysAgo),
            Lines = products.Select(p => new OrderLine { ProductId = p, Quantity = 1, UnitPrice = new Money(10, "CNY") }).ToArray(),
        },
    };

    private static MarketingEvent View(string id, string customer, string product, int daysAgo) => new()
    {
        Id = id, Type = EventType.ProductView, OccurredAt = Now.AddDays(-daysAgo), CustomerId = new CustomerId(customer),
        Properties = new Dictionary<string, PropertyValue> { [EventProperties.ProductId] = product },
    };

    internal static readonly MarketingEvent[] Events =
    [
        Buy("o1", "c1", 10, "serum", "cream"), Buy("o2", "c2", 9, "serum", "mask", "mascara"), Buy("o3", "c3", 8, "serum", "mask"),
        Buy("o4", "c4", 7, "kettle", "cleanser"), View("v1", "c5", "mascara", 1), View("v2", "c5", "serum", 1), Buy("o5", "c6", 3, "mascara", "cleanser"),
        Buy("o6", "c7", 2, "cream", "mask"), View("v3", "c8", "kettle", 1),
    ];

    internal static readonly string[] Customers = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"];

    private static async IAsyncEnumerable<MarketingEvent> Stream(IEnumerable<MarketingEvent> events, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var e in events)
        {
            ct.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask;
    }

    internal static Mock<IEventStore> EventStore(Func<IEnumerable<MarketingEvent>>? events = null)
    {
        var store = new Mock<IEventStore>();
        store.Setup(s => s.ReadAsync(It.IsAny<EventQuery>(), It.IsAny<CancellationToken>()))
            .Returns((EventQuery q, CancellationToken ct) => Stream((events?.Invoke() ?? Events).Where(e => q.Types!.Contains(e.Type) && e.OccurredAt >= q.From), ct));
        return store;
    }

    /// <summary>One host on a shared state store (the SDK's in-memory one unless given), with an event store mock.</summary>
    internal static ServiceProvider Host(IStateStore state, TimeProvider time, Action<RecommendationOptions>? configure = null, Mock<IEventStore>? events = null, bool catalog = false)
    {
        var services = new ServiceCollection();
        if (catalog)
        {
            var source = new Mock<IRecommendationCatalog>();
            source.Setup(c => c.GetProductsAsync(It.IsAny<CancellationToken>())).ReturnsAsync(ContentModelTests.Catalogue.ToArray());
            services.AddSingleton(source.Object);
        }
        services.AddLogging();
        services.AddSingleton(time);
        services.AddSingleton((events ?? EventStore()).Object);
        services.AddSingleton(state);
        services.AddMarketingSdk(m => m.AddRecommendations(o =>
        {
            o.PriceBandTolerance = 0;
            o.ModelChunkBytes = 1024; // several chunks even for a small model
            configure?.Invoke(o);
        }));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    internal static async Task<string> AnswersAsync(IServiceProvider sp)
    {
        var recommender = sp.GetRequiredService<IRecommender>();
        var sb = new StringBuilder();
        foreach (var c in Customers)
        {
            var list = await recommender.RecommendForCustomerAsync(new CustomerId(c), new RecommendationRequest { Count = 5 });
            sb.Append(c).Append(" v").Append(list.ModelVersion).Append(" fb=").Append(list.Fallback).Append(" cold=").Append(list.ColdStart).Append(": ");
            foreach (var i in list.Items)
            {
                sb.Append(i.Rank).Append('.').Append(i.ProductId).Append('=').Append(BitConverter.DoubleToInt64Bits(i.Score)).Append('[').Append(string.Join('|', i.Reasons.Select(r => r.Text))).Append("] ");
            }
            sb.Append(string.Join(',', list.RuleEffects.Select(e => e.Description))).Append('\n');
        }
        foreach (var p in ContentModelTests.Catalogue)
        {
            sb.Append(p.ProductId).Append(" ~ ").Append(string.Join(' ', (await recommender.SimilarItemsAsync(p.ProductId, 4)).Select(i => i.ProductId + "=" + BitConverter.DoubleToInt64Bits(i.Score)))).Append('\n');
        }
        return sb.ToString();
    }

    [Fact]
    public async Task Publish_stores_chunks_of_bounded_size_and_a_pointer_and_keeps_the_last_versions()
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        await using var sp = Host(state, time, o => o.ModelVersionsToKeep = 2);
        var trainer = sp.GetRequiredService<RecommendationTrainer>();
        var store = sp.GetRequiredService<IRecommendationModelStore>();
        Assert.Null(await store.GetCurrentVersionAsync());
        for (var k = 1; k <= 4; k++)
        {
            time.Advance(TimeSpan.FromHours(1));
            await trainer.TrainAsync(ContentModelTests.Catalogue);
            Assert.Equal(k, await store.GetCurrentVersionAsync());
            Assert.Equal(k, sp.GetRequiredService<RecommendationModelHolder>().CurrentVersion!.Version);
        }
        var versions = await store.ListVersionsAsync();
        Assert.Equal([3L, 4L], versions.Select(v => v.Version));
        var v4 = versions[1];
        Assert.True(v4.Complete);
        Assert.True(v4.ChunkCount > 1);
        Assert.Equal(64, v4.ContentHash.Length);
        Assert.StartsWith("hybrid(SAR (jaccard)", v4.Algorithm, StringComparison.Ordinal);
        Assert.Equal("Jaccard", v4.Options["sar.similarity"]);
        Assert.Equal(Now.AddHours(4), v4.TrainedAt);
        Assert.Equal(Now.AddDays(-10), v4.DataFrom);
        Assert.Equal(Now.AddDays(-1), v4.DataTo);
        Assert.Equal(16, v4.Metrics["interactions"]); // 13 order lines, 3 views
        var keys = new List<string>();
        await foreach (var e in state.StreamAsync(StateStoreRecommendationModelStore.Scope))
        {
            keys.Add(e.Key);
            Assert.True(!e.Key.StartsWith("c/", StringComparison.Ordinal) || e.Value.Length <= 2048, "a chunk document stays within its bound");
        }
        // Versions 1 and 2 are gone entirely; 3 and 4 are whole.
        Assert.DoesNotContain(keys, k => k.StartsWith("c/0000000000000000001/", StringComparison.Ordinal) || k.StartsWith("c/0000000000000000002/", StringComparison.Ordinal));
        Assert.Equal(versions.Sum(v => v.ChunkCount), keys.Count(k => k.StartsWith("c/", StringComparison.Ordinal)));
        Assert.Contains("current", keys);
        var loaded = await store.LoadAsync(3);
        Assert.Equal(Now.AddHours(3), loaded.Model.TrainedAt);
    }

    /// <summary>Fails every write of a chunk of one version after the first <paramref name="okChunks"/>.</summary>
    private sealed class FailingChunkStore(IStateStore inner, long version, int okChunks) : IStateStore
    {
        private int _written;

        public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.GetAsync(scope, key, cancellationToken);

        public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
        {
            if (key.StartsWith(StateStoreRecommendationModelStore.ChunkKey(version, 0)[..22], StringComparison.Ordinal) && ++_written > okChunks)
            {
                throw new MarketingStoreException("The disk is full.");
            }
            return inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);
        }

        public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(scope, key, cancellationToken);

        public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) => inner.StreamAsync(scope, keyPrefix, cancellationToken);
    }

    [Fact]
    public async Task A_half_written_version_never_becomes_current_and_retention_removes_it()
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        await using (var first = Host(state, time))
        {
            await first.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        }
        await using (var failing = Host(new FailingChunkStore(state, 2, okChunks: 2), time))
        {
            await Assert.ThrowsAsync<MarketingStoreException>(() => failing.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue));
            var store = failing.GetRequiredService<IRecommendationModelStore>();
            Assert.Equal(1, await store.GetCurrentVersionAsync());
            var half = await store.GetVersionAsync(2);
            Assert.False(half!.Complete);
            var ex = await Assert.ThrowsAsync<RecommendationException>(async () => await store.LoadAsync(2));
            Assert.Equal(RecommendationErrorReason.ModelCorrupt, ex.Reason);
            Assert.Equal(2, ex.ModelVersion);
        }
        await using var next = Host(state, time, o => o.ModelVersionsToKeep = 1);
        Assert.Equal(1, await next.GetRequiredService<RecommendationModelSync>().CheckAsync(default)); // serves version 1
        await next.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var left = await next.GetRequiredService<IRecommendationModelStore>().ListVersionsAsync();
        Assert.Equal([3L], left.Select(v => v.Version));
        await foreach (var e in state.StreamAsync(StateStoreRecommendationModelStore.Scope, "c/0000000000000000002/"))
        {
            Assert.Fail("a chunk of the half-written version survived: " + e.Key);
        }
    }

    [Fact]
    public async Task A_corrupt_or_missing_chunk_is_a_typed_error_and_the_host_keeps_serving_the_version_it_has()
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        await using var publisher = Host(state, time);
        await using var server = Host(state, time);
        await publisher.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var sync = server.GetRequiredService<RecommendationModelSync>();
        Assert.Equal(1, await sync.CheckAsync(default));
        var before = await AnswersAsync(server);

        time.Advance(TimeSpan.FromDays(1));
        await publisher.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue.Take(5));
        // Alter one chunk of version 2: still valid base64 and JSON, other bytes.
        var key = StateStoreRecommendationModelStore.ChunkKey(2, 1);
        var entry = await state.GetAsync(StateStoreRecommendationModelStore.Scope, key);
        var bytes = Convert.FromBase64String(System.Text.Json.JsonDocument.Parse(entry!.Value).RootElement.GetProperty("data").GetString()!);
        bytes[10] ^= 0x01;
        await state.SaveAsync(StateStoreRecommendationModelStore.Scope, key, "{\"data\":\"" + Convert.ToBase64String(bytes) + "\"}", entry.Version);

        var store = server.GetRequiredService<IRecommendationModelStore>();
        var ex = await Assert.ThrowsAsync<RecommendationException>(async () => await store.LoadAsync(2));
        Assert.Equal(RecommendationErrorReason.ModelCorrupt, ex.Reason);
        Assert.Equal(2, ex.ModelVersion);
        Assert.Contains("hash", ex.Message, StringComparison.Ordinal);

        Assert.Equal(1, await sync.CheckAsync(default)); // still version 1
        Assert.Equal(2, sync.CorruptVersion);
        Assert.Equal(before, await AnswersAsync(server));

        // A missing chunk names the chunk.
        await state.DeleteAsync(StateStoreRecommendationModelStore.Scope, StateStoreRecommendationModelStore.ChunkKey(2, 0));
        var missing = await Assert.ThrowsAsync<RecommendationException>(async () => await store.LoadAsync(2));
        Assert.Equal(RecommendationErrorReason.ModelCorrupt, missing.Reason);
        Assert.Contains("Chunk 0 of", missing.Message, StringComparison.Ordinal);

        // A good version 3 is taken again.
        time.Advance(TimeSpan.FromDays(1));
        await publisher.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        Assert.Equal(3, await sync.CheckAsync(default));
    }

    [Fact]
    public async Task A_host_that_cannot_load_the_only_version_serves_popularity_and_says_the_model_is_unavailable()
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        await using (var publisher = Host(state, time))
        {
            await publisher.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        }
        await state.DeleteAsync(StateStoreRecommendationModelStore.Scope, StateStoreRecommendationModelStore.ChunkKey(1, 2));
        await using var fresh = Host(state, time);
        var list = await fresh.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c1"));
        Assert.Equal(RecommendationFallbackReason.ModelUnavailable, list.Fallback);
        Assert.Null(list.ModelVersion);
        Assert.NotEmpty(list.Items);
        Assert.Null(fresh.GetRequiredService<RecommendationModelHolder>().Current);
        Assert.Equal(1, fresh.GetRequiredService<RecommendationModelSync>().CorruptVersion);
    }

    [Fact]
    public async Task A_publisher_with_an_older_fencing_token_is_refused()
    {
        var state = new InMemoryStateStore();
        await using var sp = Host(state, new FakeTimeProvider(Now));
        var store = sp.GetRequiredService<IRecommendationModelStore>();
        var model = RecommendationModel.Build([new Interaction("u", "serum", Now)], ContentModelTests.Catalogue);
        Assert.Equal(1, (await store.PublishAsync(model, null, fencingToken: 5)).Version);
        var ex = await Assert.ThrowsAsync<RecommendationException>(async () => await store.PublishAsync(model, null, fencingToken: 4));
        Assert.Equal(RecommendationErrorReason.StalePublisher, ex.Reason);
        Assert.Equal(1, await store.GetCurrentVersionAsync());
        Assert.Equal(2, (await store.PublishAsync(model, null, fencingToken: 6)).Version);
        Assert.Equal(2, await store.GetCurrentVersionAsync());
    }

    [Fact]
    public async Task A_second_host_picks_up_the_first_hosts_new_version_at_its_next_check()
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        await using var a = Host(state, time, o => o.ModelCheckInterval = TimeSpan.FromMinutes(1));
        await using var b = Host(state, time, o => o.ModelCheckInterval = TimeSpan.FromMinutes(1));
        var hostedA = a.GetServices<IHostedService>().ToList();
        var hostedB = b.GetServices<IHostedService>().ToList();
        foreach (var h in hostedA.Concat(hostedB))
        {
            await h.StartAsync(default);
        }
        try
        {
            await a.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
            var holderB = b.GetRequiredService<RecommendationModelHolder>();
            Assert.Null(holderB.CurrentVersion); // B has not checked since
            time.Advance(TimeSpan.FromMinutes(1));
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a hang guard, not the verdict
            await holderB.WaitForVersionAsync(1, guard.Token);
            Assert.Equal(1, holderB.CurrentVersion!.Version);
            Assert.Equal(await AnswersAsync(a), await AnswersAsync(b));

            // A retrains on newer data; B follows at its next check.
            time.Advance(TimeSpan.FromSeconds(30));
            await a.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue.Take(6));
            Assert.Equal(1, holderB.CurrentVersion!.Version);
            time.Advance(TimeSpan.FromSeconds(30));
            await holderB.WaitForVersionAsync(2, guard.Token);
            Assert.Equal(await AnswersAsync(a), await AnswersAsync(b));
        }
        finally
        {
            foreach (var h in hostedA.Concat(hostedB))
            {
                await h.StopAsync(default);
            }
        }
    }

    [Fact]
    public async Task Scheduled_retraining_runs_on_one_host_per_tick_and_every_host_serves_its_version()
    {
        var state = new InMemoryStateStore();
        var time = new FakeTimeProvider(Now);
        var reads = 0;
        var events = EventStore(() =>
        {
            Interlocked.Increment(ref reads);
            return Events;
        });
        void Options(RecommendationOptions o) => o.RetrainInterval = TimeSpan.FromMinutes(10);
        await using var a = Host(state, time, Options, events, catalog: true);
        await using var b = Host(state, time, Options, events, catalog: true);
        var serviceA = a.GetServices<IHostedService>().OfType<RecommendationModelHostedService>().Single();
        var serviceB = b.GetServices<IHostedService>().OfType<RecommendationModelHostedService>().Single();
        var failures = new List<Exception>();
        async Task<(bool A, bool B)> TickBothAsync() =>
            (await serviceA.Schedule!.TickAsync(serviceA.RetrainDutyAsync, failures.Add, default),
             await serviceB.Schedule!.TickAsync(serviceB.RetrainDutyAsync, failures.Add, default));

        Assert.Equal((true, false), await TickBothAsync());
        Assert.Empty(failures);
        var store = a.GetRequiredService<IRecommendationModelStore>();
        Assert.Equal([1L], (await store.ListVersionsAsync()).Select(v => v.Version));
        Assert.Equal(1, reads); // trained once
        Assert.Equal(serviceA.Schedule!.Current!.FencingToken, (await store.GetVersionAsync(1))!.FencingToken);

        // Within the interval nothing runs (the last run is recorded); A keeps the lease, B never runs.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal((false, false), await TickBothAsync());
        Assert.NotNull(serviceA.Schedule!.Current);
        Assert.Equal(1, reads);

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal((true, false), await TickBothAsync());
        Assert.Equal(2, reads);
        Assert.Equal([1L, 2L], (await store.ListVersionsAsync()).Select(v => v.Version));
        Assert.Equal(2, await b.GetRequiredService<RecommendationModelSync>().CheckAsync(default));
        Assert.Equal(await AnswersAsync(a), await AnswersAsync(b));

        // A stops (releases its lease): B takes over at its next tick and retrains when due.
        await serviceA.StopAsync(default);
        await a.GetRequiredService<ILeaseStore>().ReleaseAsync(serviceA.Schedule!.Current!);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.True(await serviceB.Schedule!.TickAsync(serviceB.RetrainDutyAsync, failures.Add, default));
        Assert.Equal(3, await store.GetCurrentVersionAsync());
        Assert.True((await store.GetVersionAsync(3))!.FencingToken > (await store.GetVersionAsync(2))!.FencingToken); // published under B's newer lease
        Assert.Empty(failures);
    }

    [Fact]
    public void Options_of_the_store_and_the_schedule_are_validated()
    {
        var validator = new RecommendationOptionsValidator();
        Assert.True(validator.Validate(null, new RecommendationOptions { RetrainInterval = TimeSpan.FromHours(1) }).Succeeded);
        // Daily and weekly retraining: the lease is short and renewed, the period is a recorded last run.
        Assert.True(validator.Validate(null, new RecommendationOptions { RetrainInterval = TimeSpan.FromDays(1) }).Succeeded);
        Assert.True(validator.Validate(null, new RecommendationOptions { RetrainInterval = TimeSpan.FromDays(7), RetrainLeaseDuration = TimeSpan.FromMinutes(30) }).Succeeded);
        foreach (var (bad, field) in new (RecommendationOptions, string)[]
        {
            (new() { ModelCheckInterval = TimeSpan.Zero }, "ModelCheckInterval"),
            (new() { RetrainInterval = TimeSpan.FromSeconds(10) }, "RetrainInterval"),
            (new() { RetrainInterval = TimeSpan.FromDays(400) }, "RetrainInterval"),
            (new() { RetrainInterval = TimeSpan.FromHours(1), RetrainLeaseDuration = TimeSpan.FromSeconds(30) }, "RetrainLeaseDuration"),
            (new() { RetrainInterval = TimeSpan.FromDays(1), RetrainLeaseDuration = TimeSpan.FromDays(2) }, "RetrainLeaseDuration"),
            (new() { RetrainLeaseDuration = TimeSpan.FromMinutes(30) }, "RetrainLeaseDuration"),
            (new() { ModelVersionsToKeep = 0 }, "ModelVersionsToKeep"),
            (new() { ModelChunkBytes = 2 * 1024 * 1024 }, "ModelChunkBytes"),
            (new() { MaxModelBytes = 10 }, "MaxModelBytes"),
        })
        {
            var result = validator.Validate(null, bad);
            Assert.True(result.Failed, field);
            Assert.Contains(field, result.FailureMessage, StringComparison.Ordinal);
        }
    }
}

public sealed class ModelRestartTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "msdk-rec-" + Guid.NewGuid().ToString("N"));

    public ModelRestartTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private IHost Build(FakeTimeProvider time, Mock<IEventStore>? events = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddMarketingSdk(m => m.UseSqlite("Data Source=" + Path.Combine(_dir, "marketing.db")).AddRecommendations(o =>
        {
            o.PriceBandTolerance = 0;
            o.ModelChunkBytes = 4096;
        }));
        if (events is not null)
        {
            builder.Services.AddSingleton(events.Object); // the last registration wins
        }
        return builder.Build();
    }

    [Fact]
    public async Task A_restarted_host_on_the_same_sqlite_file_serves_the_same_version_without_retraining()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        string before;
        using (var first = Build(time))
        {
            await first.StartAsync();
            await first.Services.GetRequiredService<IEventStore>().AppendAsync(ModelStoreTests.Events);
            await first.Services.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
            before = await ModelStoreTests.AnswersAsync(first.Services);
            Assert.Contains(" v1 fb= ", before, StringComparison.Ordinal);
            await first.StopAsync();
        }

        // The new host's event store refuses reads: it must not train, only load.
        var untouched = new Mock<IEventStore>(MockBehavior.Strict);
        time.Advance(TimeSpan.FromHours(3));
        using var second = Build(time, untouched);
        await second.StartAsync();
        try
        {
            var holder = second.Services.GetRequiredService<RecommendationModelHolder>();
            Assert.Equal(1, holder.CurrentVersion!.Version); // loaded at start
            Assert.Equal(before, await ModelStoreTests.AnswersAsync(second.Services));
            Assert.Equal([1L], (await second.Services.GetRequiredService<IRecommendationModelStore>().ListVersionsAsync()).Select(v => v.Version));
        }
        finally
        {
            await second.StopAsync();
        }
    }
}

/// <summary>A model of real size (UCI Online Retail, about 400 000 purchase lines) through the store and back.</summary>
public class OnlineRetailModelStoreTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableFact]
    public async Task An_online_retail_model_is_stored_in_bounded_chunks_and_loads_ranking_exactly_as_trained()
    {
        var (interactions, products) = TestData.OnlineRetail();
        var options = new RecommendationOptions { Sar = new SarOptions { HalfLife = TimeSpan.FromDays(30), ReferenceTime = new DateTimeOffset(2011, 12, 10, 0, 0, 0, TimeSpan.Zero) } };
        var trained = RecommendationModel.Build(interactions, products, options, new DateTimeOffset(2011, 12, 10, 0, 0, 0, TimeSpan.Zero));
        var state = new InMemoryStateStore();
        var store = new StateStoreRecommendationModelStore(state, Options.Create(new RecommendationOptions()), TimeProvider.System, new RecommendationMetrics(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<StateStoreRecommendationModelStore>.Instance);
        var clock = System.Diagnostics.Stopwatch.StartNew(); // reported, not judged
        var version = await store.PublishAsync(trained);
        var publish = clock.Elapsed;
        clock.Restart();
        var loaded = (await store.LoadAsync(version.Version)).Model;
        var load = clock.Elapsed;
        output.WriteLine($"{interactions.Count} interactions, {trained.Hybrid.Sar!.UserCount} customers, {trained.Hybrid.Sar.ItemCount} items, {trained.Hybrid.Sar.CooccurrenceNonZeros} co-occurrence non-zeros: {version.SizeBytes / 1048576.0:0.0} MiB in {version.ChunkCount} chunks; publish {publish.TotalSeconds:0.00} s, load {load.TotalSeconds:0.00} s");
        var longest = 0;
        await foreach (var e in state.StreamAsync(StateStoreRecommendationModelStore.Scope, "c/"))
        {
            longest = Math.Max(longest, e.Value.Length);
        }
        Assert.True(longest <= 1024 * 1024, "every chunk document is at most 1 MiB of text");
        Assert.True(version.ChunkCount > 1);
        var users = interactions.Select(x => x.UserId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Where((_, k) => k % 20 == 0).ToList();
        var items = products.Select(p => p.ProductId).Where((_, k) => k % 20 == 0).ToList();
        foreach (var u in users)
        {
            Assert.Equal(Top(trained, u), Top(loaded, u));
        }
        foreach (var i in items)
        {
            Assert.Equal(trained.Hybrid.SimilarItems(i, 10).Select(c => (c.ProductId, c.Score)), loaded.Hybrid.SimilarItems(i, 10).Select(c => (c.ProductId, c.Score)));
        }
    }

    private static IEnumerable<(string, double, double, double)> Top(RecommendationModel m, string user) =>
        m.Hybrid.Candidates(user, null, 30).Select(c => (c.ProductId, c.Score, c.CoOccurrenceScore, c.ContentScore)).ToList();
}
