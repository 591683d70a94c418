using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Profiles;

namespace Marketing.Sdk.Tests;

public class IdentityTableTests
{
    // Values from a small alphabet (many repeats, many equal values under different kinds) and of
    // every length from 0 to 40 code units (every branch of the hash's tail handling).
    private static readonly Gen<string> Value = Gen.OneOf(
        Gen.Elements("", "a", "b", "ab", "ba", "abc", "p1@example.com", "+8613800138000"),
        Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Elements('x', 'y', '最', '\u0000', '\uD83D'), n).Select(c => new string(c))));

    private static readonly Gen<(IdentityKind Kind, string Value)> Key =
        Gen.Zip(Gen.Choose(1, 8).Select(k => (IdentityKind)k), Value);

    public static Arbitrary<(IdentityKind Kind, string Value)[]> Keys() => Gen.ArrayOf(Key).ToArbitrary();

    [Property(Arbitrary = [typeof(IdentityTableTests)], MaxTest = 300)]
    public bool Behaves_like_a_dictionary_numbering_keys_in_first_insertion_order((IdentityKind Kind, string Value)[] inserts, (IdentityKind Kind, string Value)[] probes, int payloadSeed)
    {
        var table = new IdentityTable(0); // starts tiny, so the inserts make it grow several times
        var model = new Dictionary<(IdentityKind, string), int>();
        var payloads = new List<int>();
        foreach (var key in inserts)
        {
            var payload = HashCode.Combine(payloadSeed, model.Count);
            var index = table.GetOrAdd(key.Kind, key.Value, payload, out var added);
            if (added == model.ContainsKey(key))
            {
                return false;
            }
            if (added)
            {
                model[key] = model.Count;
                payloads.Add(payload);
            }
            if (index != model[key])
            {
                return false;
            }
        }
        return table.Count == model.Count
            && model.All(kv => table[kv.Value] == new Identity(kv.Key.Item1, kv.Key.Item2) && table.Payload(kv.Value) == payloads[kv.Value])
            && probes.Concat(inserts).All(p => table.TryGetIndex(p.Kind, p.Value, out var i) == model.TryGetValue(p, out var j) && i == (model.ContainsKey(p) ? j : -1));
    }

    [Fact]
    public void Survives_growth_from_tiny_to_large_with_payloads_intact()
    {
        var table = new IdentityTable();
        for (var i = 0; i < 200_000; i++)
        {
            Assert.Equal(i, table.GetOrAdd(IdentityKind.Email, $"p{i}@example.com", i * 3, out var added));
            Assert.True(added);
        }
        for (var i = 0; i < 200_000; i += 997)
        {
            Assert.True(table.TryGetIndex(IdentityKind.Email, $"p{i}@example.com", out var index));
            Assert.Equal(i, index);
            Assert.Equal(i * 3, table.Payload(index));
            Assert.False(table.TryGetIndex(IdentityKind.Phone, $"p{i}@example.com", out _));
        }
        Assert.Equal(200_000, table.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_000)]
    public void Finds_identities_before_and_after_they_move_from_the_pending_table_into_the_slots(int capacity)
    {
        // New identities wait in a small pending table and move into the slot array in groups (and
        // on growth); interleaved repeats, lookups of earlier identities, and the same values under
        // another kind must behave like a dictionary at every point of that cycle.
        var table = new IdentityTable(capacity);
        var model = new Dictionary<(IdentityKind, string), int>();
        var random = new Random(7);
        for (var step = 0; step < 60_000; step++)
        {
            var n = random.Next(3) == 0 && model.Count > 0 ? random.Next(model.Count) : step;
            var kind = (IdentityKind)(1 + (n % 3));
            var value = $"v{n}";
            var index = table.GetOrAdd(kind, value, n, out var added);
            Assert.Equal(!model.ContainsKey((kind, value)), added);
            if (added)
            {
                model[(kind, value)] = model.Count;
            }
            Assert.Equal(model[(kind, value)], index);
            if (step % 97 == 0)
            {
                var probe = random.Next(step + 1);
                var probeKind = (IdentityKind)(1 + random.Next(4));
                Assert.Equal(model.TryGetValue((probeKind, $"v{probe}"), out var expected), table.TryGetIndex(probeKind, $"v{probe}", out var actual));
                Assert.Equal(model.ContainsKey((probeKind, $"v{probe}")) ? expected : -1, actual);
            }
        }
        Assert.Equal(model.Count, table.Count);
        foreach (var ((kind, value), index) in model)
        {
            Assert.True(table.TryGetIndex(kind, value, out var found));
            Assert.Equal(index, found);
            Assert.Equal(new Identity(kind, value), table[index]);
            Assert.False(table.TryGetIndex(IdentityKind.CookieId, value, out _));
        }
    }

    [Fact]
    public void Hash_spreads_similar_values_evenly()
    {
        // 200 000 values that differ in a few digits, of lengths 9–18: no 64-bit collision, and
        // the low 16 bits (what a table of 65 536 slots uses) fill every bucket near the mean.
        var hashes = new HashSet<ulong>();
        var buckets = new int[1 << 16];
        for (var i = 0; i < 200_000; i++)
        {
            var h = IdentityTable.Hash(i % 2 == 0 ? $"+86138{i:D8}" : $"d{i}");
            Assert.True(hashes.Add(h));
            buckets[(int)(h & 0xFFFF)]++;
        }
        // Mean ≈ 3.05; a Poisson maximum over 65 536 buckets is ≈ 13; 20 fails only for a poor hash.
        Assert.True(buckets.Max() <= 20, $"max bucket {buckets.Max()}");
        Assert.True(buckets.Count(b => b == 0) < 1 << 13, "too many empty buckets");
    }

    [Fact]
    public void Hash_depends_on_every_code_unit_and_the_length()
    {
        var value = new string('a', 40);
        var baseHash = IdentityTable.Hash(value);
        for (var i = 0; i < value.Length; i++)
        {
            var changed = value.ToCharArray();
            changed[i] = 'b';
            Assert.NotEqual(baseHash, IdentityTable.Hash(changed));
            Assert.NotEqual(IdentityTable.Hash(value.AsSpan(0, i)), IdentityTable.Hash(value.AsSpan(0, i + 1)));
        }
        Assert.Equal(IdentityTable.Hash("same"), IdentityTable.Hash(new string("same".ToCharArray())));
    }

    [Fact]
    public void Rejects_undefined_kinds_and_null_values()
    {
        var table = new IdentityTable();
        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetOrAdd(0, "x", 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetOrAdd((IdentityKind)16, "x", 0, out _));
        Assert.Throws<ArgumentNullException>(() => table.GetOrAdd(IdentityKind.Email, null!, 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => table[0]);
    }
}

public class IdentityGraphBatchTests
{
    private static readonly Identity[] Universe =
        Enumerable.Range(0, 16).Select(i => new Identity((IdentityKind)(1 + (i % 8)), $"v{i % 6}")).Distinct().ToArray();

    public static Arbitrary<(int, int)[]> Links() =>
        Gen.ArrayOf(Gen.Zip(Gen.Choose(0, Universe.Length - 1), Gen.Choose(0, Universe.Length - 1))).ToArbitrary();

    [Property(Arbitrary = [typeof(IdentityGraphBatchTests)], MaxTest = 200)]
    public bool Batch_union_equals_one_union_per_link((int, int)[] links)
    {
        var pairs = links.Select(l => (Universe[l.Item1], Universe[l.Item2])).ToArray();
        var one = new IdentityGraph(0);
        var joinedOne = pairs.Count(p => one.Union(p.Item1, p.Item2));
        var batch = new IdentityGraph(0);
        var joinedBatch = batch.UnionAll(pairs);
        return joinedOne == joinedBatch
            && one.Count == batch.Count
            && one.ComponentCount == batch.ComponentCount
            && Canon(one).SequenceEqual(Canon(batch))
            && pairs.All(p => one.Representative(p.Item1) == batch.Representative(p.Item1));
    }

    [Property(Arbitrary = [typeof(IdentityGraphBatchTests)], MaxTest = 200)]
    public bool Representative_is_the_smallest_member_and_components_match_a_naive_merge((int, int)[] links)
    {
        // Naive model: a label per identity, relabelled on every merge.
        var label = new Dictionary<Identity, int>();
        var g = new IdentityGraph();
        foreach (var (x, y) in links)
        {
            var (a, b) = (Universe[x], Universe[y]);
            g.Union(a, b);
            var la = label.TryGetValue(a, out var va) ? va : label[a] = label.Count + 1000;
            var lb = label.TryGetValue(b, out var vb) ? vb : label[b] = label.Count + 1000;
            foreach (var k in label.Keys.Where(k => label[k] == lb).ToList())
            {
                label[k] = la;
            }
        }
        var groups = label.GroupBy(kv => kv.Value).Select(grp => grp.Select(kv => kv.Key).ToList()).ToList();
        return g.ComponentCount == groups.Count
            && groups.All(grp => grp.All(i => g.Representative(i) == grp.OrderBy(m => m.Kind).ThenBy(m => m.Value, StringComparer.Ordinal).First()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(70)]
    public void Batch_rejects_an_invalid_identity_in_turn_after_applying_the_links_before_it(int at)
    {
        var links = Enumerable.Range(0, 100).Select(i => (Identity.Phone($"p{i}"), Identity.Email($"e{i}"))).ToArray();
        links[at] = (Identity.Phone($"p{at}"), new Identity((IdentityKind)99, "x"));
        var g = new IdentityGraph();
        Assert.Throws<ArgumentOutOfRangeException>(() => g.UnionAll(links));
        Assert.Equal(at, g.ComponentCount - 1);
        Assert.Equal((2 * at) + 1, g.Count);
        links[at] = (Identity.Phone($"p{at}"), new Identity(IdentityKind.Email, null!));
        var h = new IdentityGraph();
        Assert.Throws<ArgumentNullException>(() => h.UnionAll(links));
        Assert.Equal((2 * at) + 1, h.Count);
    }

    [Fact]
    public void Errors_keep_their_types_and_leak_no_values()
    {
        var g = new IdentityGraph();
        g.Add(Identity.Phone("+8613800138000"));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Add(default));
        Assert.Throws<ArgumentNullException>(() => g.Add(new Identity(IdentityKind.Email, null!)));
        var missing = Assert.Throws<KeyNotFoundException>(() => g.Representative(Identity.Email("secret@example.com")));
        Assert.DoesNotContain("secret", missing.Message, StringComparison.Ordinal);
        Assert.False(g.AreLinked(Identity.Phone("+8613800138000"), Identity.Email("secret@example.com")));
    }

    private static IEnumerable<string> Canon(IdentityGraph g) =>
        g.GetComponents().Select(c => string.Join(",", c.Select(i => i.Key)));
}
