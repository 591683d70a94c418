using static Marketing.Sdk.Recommendations.Tests.TestData;

namespace Marketing.Sdk.Recommendations.Tests;

public class SarModelTests
{
    // u1 {A, B}, u2 {A, B, C}, u3 {B, C}, u4 {A}: c(A)=3, c(B)=3, c(C)=2, c(A,B)=2, c(A,C)=1, c(B,C)=2.
    private static readonly Interaction[] Small =
    [
        I("u1", "A"), I("u1", "B"),
        I("u2", "A"), I("u2", "B"), I("u2", "C"),
        I("u3", "B"), I("u3", "C"),
        I("u4", "A"),
    ];

    [Fact]
    public void Cooccurrence_counts_match_hand_computation()
    {
        var m = SarModel.Fit(Small, new SarOptions { MaxNeighbours = 0 });
        Assert.Equal(3, m.Cooccurrence("A", "A"));
        Assert.Equal(2, m.Cooccurrence("A", "B"));
        Assert.Equal(1, m.Cooccurrence("C", "A"));
        Assert.Equal(2, m.Cooccurrence("B", "C"));
        Assert.Equal(0, m.Cooccurrence("A", "Z"));
        Assert.Equal(6, m.CooccurrenceNonZeros);
    }

    [Theory]
    [InlineData(ItemSimilarity.Jaccard, 0.5, 0.25, 2.0 / 3)]
    [InlineData(ItemSimilarity.Lift, 2.0 / 9, 1.0 / 6, 1.0 / 3)]
    [InlineData(ItemSimilarity.Cosine, 2.0 / 3, 0.4082482904638631, 0.8164965809277261)]
    [InlineData(ItemSimilarity.Cooccurrence, 2, 1, 2)]
    public void Similarities_match_hand_computation(ItemSimilarity kind, double ab, double ac, double bc)
    {
        var m = SarModel.Fit(Small, new SarOptions { Similarity = kind, MaxNeighbours = 0 });
        Assert.Equal(ab, m.Similarity("A", "B"), 12);
        Assert.Equal(ac, m.Similarity("A", "C"), 12);
        Assert.Equal(bc, m.Similarity("C", "B"), 12);
    }

    [Fact]
    public void Scores_are_affinity_times_similarity_and_seen_items_are_excluded()
    {
        var m = SarModel.Fit(Small);
        var u4 = m.Recommend("u4", 10);
        Assert.Equal(["B", "C"], u4.Select(x => x.ItemId));
        Assert.Equal(0.5, u4[0].Score, 12);
        Assert.Equal(0.25, u4[1].Score, 12);
        var u1 = Assert.Single(m.Recommend("u1", 10));
        Assert.Equal("C", u1.ItemId);
        Assert.Equal(0.25 + 2.0 / 3, u1.Score, 12);
        Assert.Empty(m.Recommend("stranger", 10));
    }

    [Fact]
    public void Event_weights_and_half_life_decay_scale_affinities()
    {
        // u1 bought A on day 0 (weight 5) and viewed B on day 10 (weight 1); half-life 10 days, T0 = day 10.
        Interaction[] data =
        [
            I("u1", "A", 5, 0, InteractionKind.Purchase), I("u1", "B", 1, 10, InteractionKind.View),
            I("u2", "A", 1, 10), I("u2", "B", 1, 10), I("u2", "C", 1, 10),
            I("u3", "B", 1, 10), I("u3", "C", 1, 10), I("u4", "A", 1, 10),
        ];
        var m = SarModel.Fit(data, new SarOptions { HalfLife = TimeSpan.FromDays(10) });
        Assert.Equal(2.5, m.Affinity("u1", "A"), 12);
        Assert.Equal(1.0, m.Affinity("u1", "B"), 12);
        var c = Assert.Single(m.Recommend("u1", 5));
        Assert.Equal(2.5 * 0.25 + 1.0 * 2 / 3, c.Score, 12);
        var why = m.Explain("u1", "C")!;
        Assert.Equal("B", why.BecauseOfItemId); // 0.667 from B beats 0.625 from A
        Assert.Equal(InteractionKind.View, why.BecauseOfKind);
        Assert.Equal(c.Score, why.Score, 12);
    }

    [Fact]
    public void Each_recommended_item_is_explained_by_the_anchor_that_contributed_most_to_its_own_score()
    {
        // u1 bought A (heavily) and viewed B; X goes with A, Y and Z go with B only: the reasons differ per item.
        Interaction[] data =
        [
            I("u1", "A", 5, 10, InteractionKind.Purchase), I("u1", "B", 1, 10, InteractionKind.View),
            I("u2", "A", 1, 10), I("u2", "X", 1, 10), I("u3", "A", 1, 10), I("u3", "X", 1, 10),
            I("u4", "B", 1, 10), I("u4", "Y", 1, 10), I("u5", "B", 1, 10), I("u5", "Z", 1, 10),
        ];
        var m = SarModel.Fit(data);
        var recommended = m.Recommend("u1", 10);
        Assert.Equal(["X", "Y", "Z"], recommended.Select(r => r.ItemId).Order());
        var why = recommended.ToDictionary(r => r.ItemId, r => m.Explain("u1", r.ItemId)!);
        Assert.Equal(("A", InteractionKind.Purchase), (why["X"].BecauseOfItemId, why["X"].BecauseOfKind));
        Assert.Equal(("B", InteractionKind.View), (why["Y"].BecauseOfItemId, why["Y"].BecauseOfKind));
        Assert.Equal("B", why["Z"].BecauseOfItemId);
        foreach (var r in recommended)
        {
            // The named anchor's contribution is the largest term of the item's score, and the terms add up to it.
            Assert.Equal(r.Score, why[r.ItemId].Score, 12);
            Assert.True(why[r.ItemId].Contribution <= why[r.ItemId].Score + 1e-12);
            Assert.Equal(m.Affinity("u1", why[r.ItemId].BecauseOfItemId) * m.Similarity(why[r.ItemId].BecauseOfItemId, r.ItemId), why[r.ItemId].Contribution, 12);
        }
    }

    [Fact]
    public void Support_threshold_drops_rare_pairs()
    {
        var m = SarModel.Fit(Small, new SarOptions { SupportThreshold = 2 });
        Assert.Equal(["B"], m.Recommend("u4", 10).Select(x => x.ItemId));
        Assert.Equal(0, m.Similarity("A", "C"));
    }

    [Fact]
    public void Similar_items_are_sorted_by_similarity()
    {
        var m = SarModel.Fit(Small);
        Assert.Equal(["B", "A"], m.SimilarItems("C", 5).Select(x => x.ItemId));
        Assert.Single(m.SimilarItems("C", 1));
        Assert.Empty(m.SimilarItems("nope", 5));
    }

    [Fact]
    public void Not_excluding_seen_items_adds_self_similarity()
    {
        var m = SarModel.Fit(Small);
        var all = m.Recommend("u4", 10, excludeSeen: false);
        Assert.Equal("A", all[0].ItemId);
        Assert.Equal(1.0, all[0].Score, 12);
    }

    [Fact]
    public void Recommend_all_covers_every_user_in_id_order()
    {
        var all = SarModel.Fit(Small).RecommendAll(2);
        Assert.Equal(["u1", "u2", "u3", "u4"], all.Select(x => x.UserId));
        Assert.Empty(all[1].Items); // u2 has every item
    }

    [Fact]
    public void Invalid_input_is_rejected()
    {
        var ex = Assert.Throws<MarketingValidationException>(() => SarModel.Fit([I("u", "a"), I("u", "b", weight: -1)]));
        Assert.Equal(1, ex.Index);
        Assert.Throws<MarketingValidationException>(() => SarModel.Fit(Small, new SarOptions { HalfLife = TimeSpan.Zero }));
        Assert.Throws<MarketingValidationException>(() => SarModel.Fit(Small, new SarOptions { SupportThreshold = 0 }));
    }

    internal static List<Interaction> Random(int[] raw, int users = 9, int items = 13) =>
        raw.Select(x => x & int.MaxValue).Select((x, n) => I("u" + x % users, "i" + x / users % items, 1 + x % 3, n % 5, (InteractionKind)(x % 5))).ToList();

    [FsCheck.Xunit.Property(MaxTest = 150)]
    public bool Scores_equal_a_dense_reference_computation(int[] raw, bool jaccard)
    {
        var data = Random(raw);
        var kind = jaccard ? ItemSimilarity.Jaccard : ItemSimilarity.Lift;
        var m = SarModel.Fit(data, new SarOptions { Similarity = kind, MaxNeighbours = 0 });
        var users = data.Select(x => x.UserId).Distinct().ToArray();
        var items = data.Select(x => x.ItemId).Distinct().ToArray();
        var aff = users.ToDictionary(u => u, u => items.ToDictionary(i => i, i => data.Where(x => x.UserId == u && x.ItemId == i).Sum(x => x.Weight)));
        int Co(string a, string b) => users.Count(u => aff[u][a] > 0 && aff[u][b] > 0);
        foreach (var u in users)
        {
            var expected = items.Where(j => aff[u][j] == 0)
                .Select(j => (j, s: items.Where(i => aff[u][i] > 0 && Co(i, j) > 0).Sum(i => aff[u][i] * SarModel.Sim(kind, Co(i, j), Co(i, i), Co(j, j)))))
                .Where(x => x.s > 0).OrderByDescending(x => x.s).ThenBy(x => x.j, StringComparer.Ordinal).Take(5).ToArray();
            var actual = m.Recommend(u, 5);
            if (actual.Count != expected.Length)
            {
                return false;
            }
            for (var k = 0; k < actual.Count; k++)
            {
                if (Math.Abs(actual[k].Score - expected[k].s) > 1e-9 || (actual[k].ItemId != expected[k].j && Math.Abs(actual[k].Score - expected[k].s) > 1e-12))
                {
                    return false;
                }
            }
        }
        return true;
    }

    [FsCheck.Xunit.Property(MaxTest = 150)]
    public bool Recommendations_never_contain_seen_items_and_respect_the_cap(int[] raw, byte k)
    {
        var data = Random(raw);
        var m = SarModel.Fit(data, new SarOptions { MaxNeighbours = 4 });
        var count = k % 12;
        return data.Select(x => x.UserId).Distinct().All(u =>
        {
            var list = m.Recommend(u, count);
            var seen = data.Where(x => x.UserId == u).Select(x => x.ItemId).ToHashSet();
            return list.Count <= count && list.All(x => !seen.Contains(x.ItemId)) && list.Select(x => x.ItemId).Distinct().Count() == list.Count
                && list.Zip(list.Skip(1)).All(p => p.First.Score >= p.Second.Score);
        });
    }

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public bool Fitting_is_deterministic_and_cooccurrence_symmetric(int[] raw)
    {
        var data = Random(raw);
        var a = SarModel.Fit(data, new SarOptions { MaxNeighbours = 3, MaxDegreeOfParallelism = 2 });
        var shuffled = data.AsEnumerable().Reverse().ToList();
        var b = SarModel.Fit(shuffled, new SarOptions { MaxNeighbours = 3, MaxDegreeOfParallelism = 1 });
        var items = data.Select(x => x.ItemId).Distinct().ToArray();
        return a.RecommendAll(4).Zip(b.RecommendAll(4)).All(p => p.First.UserId == p.Second.UserId && p.First.Items.Select(x => x.ItemId).SequenceEqual(p.Second.Items.Select(x => x.ItemId)))
            && items.All(x => items.All(y => a.Cooccurrence(x, y) == a.Cooccurrence(y, x) && a.Similarity(x, y) is >= 0 and <= 1 + 1e-12));
    }

    [FsCheck.Xunit.Property(MaxTest = 150)]
    public bool Incremental_update_equals_a_full_fit(int[] first, int[] second, bool cosine)
    {
        var a = Random(first);
        var b = Random(second, users: 12, items: 16);
        var options = new SarOptions { Similarity = cosine ? ItemSimilarity.Cosine : ItemSimilarity.Jaccard, MaxNeighbours = 3 };
        var full = SarModel.Fit(a.Concat(b), options);
        var updated = SarModel.Fit(a, options).Update(b);
        var users = a.Concat(b).Select(x => x.UserId).Distinct();
        var items = a.Concat(b).Select(x => x.ItemId).Distinct().ToArray();
        return users.All(u =>
        {
            var x = full.Recommend(u, 6);
            var y = updated.Recommend(u, 6);
            return x.Count == y.Count && x.Zip(y).All(p => p.First.ItemId == p.Second.ItemId && Math.Abs(p.First.Score - p.Second.Score) < 1e-9);
        }) && items.All(i => full.SimilarItems(i, 3).Select(x => x.ItemId).SequenceEqual(updated.SimilarItems(i, 3).Select(x => x.ItemId)))
           && items.All(i => items.All(j => full.Cooccurrence(i, j) == updated.Cooccurrence(i, j)));
    }

    [Fact]
    public void Update_with_decay_keeps_the_reference_instant_and_ranks_like_a_full_fit()
    {
        var options = new SarOptions { HalfLife = TimeSpan.FromDays(3), ReferenceTime = T0.AddDays(4) };
        var later = new[] { I("u4", "C", 1, 4), I("u5", "A", 1, 4), I("u5", "C", 1, 4) };
        var full = SarModel.Fit(Small.Concat(later), options);
        var updated = SarModel.Fit(Small, options).Update(later);
        Assert.Equal(full.Recommend("u4", 5), updated.Recommend("u4", 5));
        Assert.Equal(full.Recommend("u5", 5), updated.Recommend("u5", 5));
        Assert.Same(updated, updated.Update([]));
    }
}
