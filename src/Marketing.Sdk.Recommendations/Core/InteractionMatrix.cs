namespace Marketing.Sdk.Recommendations;

/// <summary>
/// The sparse user × item affinity matrix of SAR: for each user the sorted items they interacted
/// with, the affinity <c>a(u,i) = Σ w · 2^((t − T₀)/h)</c> (no decay when the half-life is null) and a
/// bit mask of the interaction kinds seen. Rows are jagged arrays so incremental updates replace
/// only the rows of the users they touch and share the rest with the previous version.
/// </summary>
internal sealed class InteractionMatrix
{
    private InteractionMatrix(IdMap users, IdMap items, int[][] userItems, double[][] affinity, byte[][] kinds, DateTimeOffset referenceTime, TimeSpan? halfLife)
    {
        Users = users;
        Items = items;
        UserItems = userItems;
        Affinity = affinity;
        Kinds = kinds;
        ReferenceTime = referenceTime;
        HalfLife = halfLife;
    }

    /// <summary>Rebuilds a matrix from its stored parts (see <see cref="ModelSerializer"/>).</summary>
    internal static InteractionMatrix Restore(IdMap users, IdMap items, int[][] userItems, double[][] affinity, byte[][] kinds, DateTimeOffset referenceTime, TimeSpan? halfLife) =>
        new(users, items, userItems, affinity, kinds, referenceTime, halfLife);

    public IdMap Users { get; }

    public IdMap Items { get; }

    /// <summary>Per user, the item indices in ascending order.</summary>
    public int[][] UserItems { get; }

    /// <summary>Per user, the affinity of each item in <see cref="UserItems"/>.</summary>
    public double[][] Affinity { get; }

    /// <summary>Per user, a bit mask (bit = <see cref="InteractionKind"/>) of each item.</summary>
    public byte[][] Kinds { get; }

    /// <summary>The instant T₀ at which decay factors are 1.</summary>
    public DateTimeOffset ReferenceTime { get; }

    public TimeSpan? HalfLife { get; }

    public int UserCount => Users.Count;

    public int ItemCount => Items.Count;

    public double Decay(DateTimeOffset at) =>
        HalfLife is { } h ? Math.Pow(2.0, (at - ReferenceTime).TotalSeconds / h.TotalSeconds) : 1.0;

    public static InteractionMatrix Build(IEnumerable<Interaction> source, TimeSpan? halfLife, DateTimeOffset? referenceTime, IEnumerable<string>? extraItems = null)
    {
        var list = source as IReadOnlyList<Interaction> ?? source.ToList();
        Validate(list);
        var t0 = referenceTime ?? (list.Count == 0 ? DateTimeOffset.UnixEpoch : list.Max(x => x.OccurredAt));
        var users = IdMap.FromDistinct(list.Select(x => x.UserId));
        var itemIds = list.Select(x => x.ItemId);
        var items = IdMap.FromDistinct(extraItems is null ? itemIds : itemIds.Concat(extraItems));
        var empty = new InteractionMatrix(users, items, new int[users.Count][], new double[users.Count][], new byte[users.Count][], t0, halfLife);
        var u = new int[list.Count];
        var keys = new int[list.Count];
        var w = new double[list.Count];
        var counts = new int[users.Count + 1];
        for (var n = 0; n < list.Count; n++)
        {
            var x = list[n];
            users.TryGet(x.UserId, out u[n]);
            items.TryGet(x.ItemId, out var i);
            keys[n] = (i << 3) | (int)x.Kind;
            w[n] = x.Weight * empty.Decay(x.OccurredAt);
            counts[u[n] + 1]++;
        }
        for (var k = 0; k < users.Count; k++)
        {
            counts[k + 1] += counts[k];
        }
        var pos = (int[])counts.Clone();
        var sk = new int[list.Count];
        var sw = new double[list.Count];
        for (var n = 0; n < list.Count; n++)
        {
            var p = pos[u[n]]++;
            sk[p] = keys[n];
            sw[p] = w[n];
        }
        for (var user = 0; user < users.Count; user++)
        {
            var start = counts[user];
            var len = counts[user + 1] - start;
            Array.Sort(sk, sw, start, len);
            Collapse(sk.AsSpan(start, len), sw.AsSpan(start, len), out empty.UserItems[user], out empty.Affinity[user], out empty.Kinds[user]);
        }
        return empty;
    }

    /// <summary>Adds interactions; returns the new matrix and, per touched user, the item indices that are new to that user.</summary>
    public InteractionMatrix WithAdded(IReadOnlyList<Interaction> added, out Dictionary<int, int[]> newItemsByUser)
    {
        Validate(added);
        var users = Users.WithAdded(added.Select(x => x.UserId));
        var items = Items.WithAdded(added.Select(x => x.ItemId));
        var userItems = Grow(UserItems, users.Count, []);
        var affinity = Grow(Affinity, users.Count, []);
        var kinds = Grow(Kinds, users.Count, []);
        var next = new InteractionMatrix(users, items, userItems, affinity, kinds, ReferenceTime, HalfLife);
        newItemsByUser = [];
        foreach (var group in added.GroupBy(x => x.UserId, StringComparer.Ordinal))
        {
            users.TryGet(group.Key, out var user);
            var old = userItems[user];
            var oldAff = affinity[user];
            var oldKinds = kinds[user];
            var extra = group.ToList();
            var len = old.Length + extra.Count;
            var sk = new int[len];
            var sw = new double[len];
            var n = 0;
            for (var k = 0; k < old.Length; k++)
            {
                // Re-expand the old row as one record per kind bit, carrying the whole affinity on the first.
                sk[n] = (old[k] << 3) | HighestKind(oldKinds[k]);
                sw[n++] = oldAff[k];
            }
            foreach (var x in extra)
            {
                items.TryGet(x.ItemId, out var i);
                sk[n] = (i << 3) | (int)x.Kind;
                sw[n++] = x.Weight * next.Decay(x.OccurredAt);
            }
            Array.Sort(sk, sw);
            Collapse(sk, sw, out var rowItems, out var rowAff, out var rowKinds);
            // Restore the kind bits of the old row (only the highest was re-encoded above).
            for (int a = 0, b = 0; a < old.Length; a++)
            {
                while (rowItems[b] != old[a])
                {
                    b++;
                }
                rowKinds[b] |= oldKinds[a];
            }
            var fresh = rowItems.Where(i => Array.BinarySearch(old, i) < 0).ToArray();
            userItems[user] = rowItems;
            affinity[user] = rowAff;
            kinds[user] = rowKinds;
            newItemsByUser[user] = fresh;
        }
        return next;
    }

    public static int HighestKind(byte mask)
    {
        for (var k = (int)InteractionKind.Purchase; k > 0; k--)
        {
            if ((mask & (1 << k)) != 0)
            {
                return k;
            }
        }
        return 0;
    }

    public int[] ItemUserCounts()
    {
        var c = new int[ItemCount];
        foreach (var row in UserItems)
        {
            foreach (var i in row)
            {
                c[i]++;
            }
        }
        return c;
    }

    private static T[] Grow<T>(T[] source, int count, T fill)
    {
        var result = new T[count];
        Array.Copy(source, result, source.Length);
        for (var k = source.Length; k < count; k++)
        {
            result[k] = fill;
        }
        return result;
    }

    private static void Collapse(ReadOnlySpan<int> sortedKeys, ReadOnlySpan<double> weights, out int[] items, out double[] affinity, out byte[] kinds)
    {
        var distinct = 0;
        for (var n = 0; n < sortedKeys.Length; n++)
        {
            if (n == 0 || (sortedKeys[n] >> 3) != (sortedKeys[n - 1] >> 3))
            {
                distinct++;
            }
        }
        items = new int[distinct];
        affinity = new double[distinct];
        kinds = new byte[distinct];
        var d = -1;
        for (var n = 0; n < sortedKeys.Length; n++)
        {
            var item = sortedKeys[n] >> 3;
            if (d < 0 || items[d] != item)
            {
                items[++d] = item;
            }
            affinity[d] += weights[n];
            kinds[d] |= (byte)(1 << (sortedKeys[n] & 7));
        }
    }

    private static void Validate(IReadOnlyList<Interaction> list)
    {
        for (var n = 0; n < list.Count; n++)
        {
            var x = list[n];
            if (string.IsNullOrEmpty(x.UserId) || string.IsNullOrEmpty(x.ItemId))
            {
                throw new MarketingValidationException(string.IsNullOrEmpty(x.UserId) ? "userId" : "itemId", ValidationReason.Missing, "Every interaction needs a user id and an item id.", n);
            }
            if (!(x.Weight > 0) || double.IsInfinity(x.Weight))
            {
                throw new MarketingValidationException("weight", ValidationReason.OutOfRange, "Interaction weights are positive finite numbers.", n);
            }
            if ((uint)x.Kind > (uint)InteractionKind.Purchase)
            {
                throw new MarketingValidationException("kind", ValidationReason.OutOfRange, "Unknown interaction kind.", n);
            }
        }
    }
}
