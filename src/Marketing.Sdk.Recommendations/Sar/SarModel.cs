namespace Marketing.Sdk.Recommendations;

/// <summary>A user and their recommendations.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Items">The recommended items, best first.</param>
public sealed record UserRecommendations(string UserId, IReadOnlyList<ScoredItem> Items);

/// <summary>
/// The SAR (Simple Algorithm for Recommendation) item-item model: a sparse user-item affinity
/// matrix A with time-decayed, event-weighted affinities, a sparse item co-occurrence matrix C
/// (number of users who interacted with both items), an item similarity S derived from C
/// (Jaccard, lift, cosine or raw counts) and scores A·S. Immutable and safe for concurrent reads;
/// <see cref="Update"/> returns a new model that shares every unchanged row with this one.
/// </summary>
public sealed class SarModel : IInteractionRecommender
{
    private readonly int[] _diag;
    private readonly int[][] _coCols;
    private readonly int[][] _coCounts;
    private readonly int[][] _nbCols;
    private readonly double[][] _nbSims;

    private SarModel(SarOptions options, InteractionMatrix matrix, int[] diag, int[][] coCols, int[][] coCounts, int[][] nbCols, double[][] nbSims)
    {
        Options = options;
        Matrix = matrix;
        _diag = diag;
        _coCols = coCols;
        _coCounts = coCounts;
        _nbCols = nbCols;
        _nbSims = nbSims;
    }

    internal int[] Diagonal => _diag;

    internal int[][] CoCols => _coCols;

    internal int[][] CoCounts => _coCounts;

    internal int[][] NeighbourCols => _nbCols;

    internal double[][] NeighbourSims => _nbSims;

    internal static SarModel Restore(SarOptions options, InteractionMatrix matrix, int[] diag, int[][] coCols, int[][] coCounts, int[][] nbCols, double[][] nbSims) =>
        new(options, matrix, diag, coCols, coCounts, nbCols, nbSims);

    /// <summary>The settings the model was fitted with.</summary>
    public SarOptions Options { get; }

    /// <inheritdoc />
    public string Name => "SAR (" + Options.Similarity.ToString().ToLowerInvariant() + ")";

    /// <summary>Number of users known to the model.</summary>
    public int UserCount => Matrix.UserCount;

    /// <summary>Number of items known to the model.</summary>
    public int ItemCount => Matrix.ItemCount;

    /// <summary>Number of stored non-zero co-occurrence counts (off the diagonal).</summary>
    public long CooccurrenceNonZeros => _coCols.Sum(r => (long)r.Length);

    internal InteractionMatrix Matrix { get; }

    /// <summary>Fits the model on interactions.</summary>
    /// <param name="interactions">The training interactions.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="MarketingValidationException">An interaction or an option is invalid.</exception>
    public static SarModel Fit(IEnumerable<Interaction> interactions, SarOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        options ??= new SarOptions();
        options.Validate();
        var m = InteractionMatrix.Build(interactions, options.HalfLife, options.ReferenceTime);
        return FitMatrix(m, options);
    }

    internal static SarModel FitMatrix(InteractionMatrix m, SarOptions options)
    {
        var n = m.ItemCount;
        var diag = m.ItemUserCounts();
        // Item → users (compressed sparse columns of A's pattern).
        var ptr = new int[n + 1];
        foreach (var row in m.UserItems)
        {
            foreach (var i in row)
            {
                ptr[i + 1]++;
            }
        }
        for (var i = 0; i < n; i++)
        {
            ptr[i + 1] += ptr[i];
        }
        var fill = (int[])ptr.Clone();
        var itemUsers = new int[ptr[n]];
        for (var u = 0; u < m.UserCount; u++)
        {
            foreach (var i in m.UserItems[u])
            {
                itemUsers[fill[i]++] = u;
            }
        }
        var coCols = new int[n][];
        var coCounts = new int[n][];
        var nbCols = new int[n][];
        var nbSims = new double[n][];
        var rank = m.Items.Rank;
        // Gustavson row-by-row sparse product C = AᵀA (pattern only), one dense accumulator per worker.
        Parallel.For(0, n, options.Parallel, () => new int[n * 2], (i, _, buf) =>
        {
            var stampBase = i + 1;
            var counts = buf.AsSpan(0, n);
            var stamp = buf.AsSpan(n, n);
            var touched = new List<int>();
            for (var p = ptr[i]; p < ptr[i + 1]; p++)
            {
                foreach (var j in m.UserItems[itemUsers[p]])
                {
                    if (j == i)
                    {
                        continue;
                    }
                    if (stamp[j] != stampBase)
                    {
                        stamp[j] = stampBase;
                        counts[j] = 0;
                        touched.Add(j);
                    }
                    counts[j]++;
                }
            }
            var cols = touched.ToArray();
            Array.Sort(cols);
            var cnt = new int[cols.Length];
            for (var k = 0; k < cols.Length; k++)
            {
                cnt[k] = counts[cols[k]];
            }
            coCols[i] = cols;
            coCounts[i] = cnt;
            (nbCols[i], nbSims[i]) = Neighbours(i, cols, cnt, diag, rank, options);
            return buf;
        }, _ => { });
        return new SarModel(options, m, diag, coCols, coCounts, nbCols, nbSims);
    }

    /// <summary>
    /// Adds interactions without a full retrain: affinities of the touched users are updated,
    /// co-occurrence counts are incremented only for the item pairs that the new interactions
    /// create, and neighbour lists are recomputed only for items whose counts changed. The result
    /// equals a fit on all interactions up to a common scale factor of the affinities (the decay
    /// reference instant stays that of the first fit).
    /// </summary>
    /// <param name="interactions">The new interactions.</param>
    /// <returns>A new model; this one is unchanged.</returns>
    public SarModel Update(IEnumerable<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var added = interactions as IReadOnlyList<Interaction> ?? interactions.ToList();
        if (added.Count == 0)
        {
            return this;
        }
        var m = Matrix.WithAdded(added, out var freshByUser);
        var n = m.ItemCount;
        var diag = Grow(_diag, n, 0);
        var coCols = Grow(_coCols, n, []);
        var coCounts = Grow(_coCounts, n, []);
        var nbCols = Grow(_nbCols, n, []);
        var nbSims = Grow(_nbSims, n, []);
        var delta = new Dictionary<int, Dictionary<int, int>>();
        var diagChanged = new HashSet<int>();
        foreach (var (user, fresh) in freshByUser)
        {
            if (fresh.Length == 0)
            {
                continue;
            }
            var all = m.UserItems[user];
            foreach (var f in fresh)
            {
                diag[f]++;
                diagChanged.Add(f);
                foreach (var j in all)
                {
                    if (j == f)
                    {
                        continue;
                    }
                    Bump(delta, f, j);
                    if (Array.BinarySearch(fresh, j) < 0)
                    {
                        Bump(delta, j, f);
                    }
                }
            }
        }
        foreach (var (row, changes) in delta)
        {
            (coCols[row], coCounts[row]) = Merge(coCols[row], coCounts[row], changes);
        }
        var affected = new HashSet<int>(delta.Keys);
        affected.UnionWith(diagChanged);
        if (Options.Similarity != ItemSimilarity.Cooccurrence)
        {
            // Similarities to an item whose count changed change in every row that holds it (C is symmetric).
            foreach (var f in diagChanged)
            {
                affected.UnionWith(coCols[f]);
            }
        }
        var rows = affected.ToArray();
        var rank = m.Items.Rank;
        Parallel.For(0, rows.Length, Options.Parallel, k =>
        {
            var i = rows[k];
            (nbCols[i], nbSims[i]) = Neighbours(i, coCols[i], coCounts[i], diag, rank, Options);
        });
        return new SarModel(Options, m, diag, coCols, coCounts, nbCols, nbSims);
    }

    /// <inheritdoc />
    public IReadOnlyList<ScoredItem> Recommend(string userId, int count, bool excludeSeen = true)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Matrix.Users.TryGet(userId, out var u) ? RecommendIndex(u, count, excludeSeen) : [];
    }

    /// <summary>Top-<paramref name="count"/> for every known user, computed in parallel; in user-id order.</summary>
    /// <param name="count">Items per user.</param>
    /// <param name="excludeSeen">Whether items the user already interacted with are left out.</param>
    public IReadOnlyList<UserRecommendations> RecommendAll(int count, bool excludeSeen = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new UserRecommendations[UserCount];
        Parallel.For(0, UserCount, Options.Parallel, u =>
            result[u] = new UserRecommendations(Matrix.Users.Ids[u], RecommendIndex(u, count, excludeSeen)));
        Array.Sort(result, (a, b) => string.CompareOrdinal(a.UserId, b.UserId));
        return result;
    }

    private ScoredItem[] RecommendIndex(int u, int count, bool excludeSeen)
    {
        var items = Matrix.UserItems[u];
        var aff = Matrix.Affinity[u];
        var s = Scratch.Rent(ItemCount);
        for (var k = 0; k < items.Length; k++)
        {
            var i = items[k];
            var a = aff[k];
            var cols = _nbCols[i];
            var sims = _nbSims[i];
            for (var q = 0; q < cols.Length; q++)
            {
                s.Add(cols[q], a * sims[q]);
            }
            if (excludeSeen)
            {
                s.MarkSeen(i);
            }
            else
            {
                s.Add(i, a * SelfSimilarity(i));
            }
        }
        var top = new TopK(count, Matrix.Items.Rank);
        for (var t = 0; t < s.TouchedCount; t++)
        {
            var j = s.Touched[t];
            if (!s.IsSeen(j))
            {
                top.Offer(j, s.Values[j]);
            }
        }
        return top.ToArray(Matrix.Items.Ids);
    }

    /// <summary>The items most similar to <paramref name="itemId"/> ("customers who bought this also bought"), best first.</summary>
    /// <param name="itemId">The item.</param>
    /// <param name="count">How many at most.</param>
    public IReadOnlyList<ScoredItem> SimilarItems(string itemId, int count)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!Matrix.Items.TryGet(itemId, out var i))
        {
            return [];
        }
        var cols = _nbCols[i];
        var sims = _nbSims[i];
        var result = new ScoredItem[Math.Min(count, cols.Length)];
        for (var k = 0; k < result.Length; k++)
        {
            result[k] = new ScoredItem(Matrix.Items.Ids[cols[k]], sims[k]);
        }
        return result;
    }

    /// <summary>Number of users who interacted with both items (with one item: its user count); 0 for unknown items.</summary>
    /// <param name="itemA">First item.</param>
    /// <param name="itemB">Second item.</param>
    public int Cooccurrence(string itemA, string itemB)
    {
        if (!Matrix.Items.TryGet(itemA, out var a) || !Matrix.Items.TryGet(itemB, out var b))
        {
            return 0;
        }
        if (a == b)
        {
            return _diag[a];
        }
        var k = Array.BinarySearch(_coCols[a], b);
        return k >= 0 ? _coCounts[a][k] : 0;
    }

    /// <summary>The similarity of two items under <see cref="SarOptions.Similarity"/>, with the support threshold applied.</summary>
    /// <param name="itemA">First item.</param>
    /// <param name="itemB">Second item.</param>
    public double Similarity(string itemA, string itemB)
    {
        if (!Matrix.Items.TryGet(itemA, out var a) || !Matrix.Items.TryGet(itemB, out var b))
        {
            return 0;
        }
        var c = Cooccurrence(itemA, itemB);
        return c < Options.SupportThreshold ? 0 : Sim(Options.Similarity, c, _diag[a], _diag[b]);
    }

    /// <summary>The affinity of a user for an item (decayed, weighted sum of interactions; 0 when none).</summary>
    /// <param name="userId">The user.</param>
    /// <param name="itemId">The item.</param>
    public double Affinity(string userId, string itemId)
    {
        if (!Matrix.Users.TryGet(userId, out var u) || !Matrix.Items.TryGet(itemId, out var i))
        {
            return 0;
        }
        var k = Array.BinarySearch(Matrix.UserItems[u], i);
        return k >= 0 ? Matrix.Affinity[u][k] : 0;
    }

    /// <summary>Which of the user's items contributed most to <paramref name="itemId"/>'s score, or <see langword="null"/> when none did.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="itemId">The recommended item.</param>
    public SarExplanation? Explain(string userId, string itemId)
    {
        if (!Matrix.Users.TryGet(userId, out var u) || !Matrix.Items.TryGet(itemId, out var j))
        {
            return null;
        }
        var items = Matrix.UserItems[u];
        var best = -1;
        var bestContribution = 0.0;
        var total = 0.0;
        for (var k = 0; k < items.Length; k++)
        {
            var sim = NeighbourSimilarity(items[k], j);
            var c = Matrix.Affinity[u][k] * sim;
            total += c;
            if (c > bestContribution || (c == bestContribution && c > 0 && Matrix.Items.Rank[items[k]] < Matrix.Items.Rank[items[best]]))
            {
                best = k;
                bestContribution = c;
            }
        }
        return best < 0 ? null : new SarExplanation(itemId, Matrix.Items.Ids[items[best]], (InteractionKind)InteractionMatrix.HighestKind(Matrix.Kinds[u][best]), bestContribution, total);
    }

    private double NeighbourSimilarity(int i, int j)
    {
        var cols = _nbCols[i];
        for (var q = 0; q < cols.Length; q++)
        {
            if (cols[q] == j)
            {
                return _nbSims[i][q];
            }
        }
        return 0;
    }

    private double SelfSimilarity(int i) => _diag[i] < Options.SupportThreshold ? 0 : Sim(Options.Similarity, _diag[i], _diag[i], _diag[i]);

    internal static double Sim(ItemSimilarity kind, int c, int a, int b) => kind switch
    {
        ItemSimilarity.Jaccard => c / (double)(a + b - c),
        ItemSimilarity.Lift => c / ((double)a * b),
        ItemSimilarity.Cosine => c / Math.Sqrt((double)a * b),
        _ => c,
    };

    private static (int[] Cols, double[] Sims) Neighbours(int i, int[] cols, int[] counts, int[] diag, int[] rank, SarOptions options)
    {
        var buf = new (double Score, int Rank, int Index)[cols.Length];
        var n = 0;
        for (var k = 0; k < cols.Length; k++)
        {
            if (counts[k] >= options.SupportThreshold)
            {
                var j = cols[k];
                buf[n++] = (Sim(options.Similarity, counts[k], diag[i], diag[j]), rank[j], j);
            }
        }
        Array.Sort(buf, 0, n, new ScoreRankComparer());
        var keep = options.MaxNeighbours > 0 ? Math.Min(n, options.MaxNeighbours) : n;
        var outCols = new int[keep];
        var outSims = new double[keep];
        for (var k = 0; k < keep; k++)
        {
            outCols[k] = buf[k].Index;
            outSims[k] = buf[k].Score;
        }
        return (outCols, outSims);
    }

    private static void Bump(Dictionary<int, Dictionary<int, int>> delta, int row, int col)
    {
        if (!delta.TryGetValue(row, out var d))
        {
            delta[row] = d = [];
        }
        d[col] = d.GetValueOrDefault(col) + 1;
    }

    private static (int[] Cols, int[] Counts) Merge(int[] cols, int[] counts, Dictionary<int, int> changes)
    {
        var add = changes.Keys.ToArray();
        Array.Sort(add);
        var outCols = new List<int>(cols.Length + add.Length);
        var outCounts = new List<int>(cols.Length + add.Length);
        int a = 0, b = 0;
        while (a < cols.Length || b < add.Length)
        {
            if (b >= add.Length || (a < cols.Length && cols[a] < add[b]))
            {
                outCols.Add(cols[a]);
                outCounts.Add(counts[a++]);
            }
            else if (a >= cols.Length || add[b] < cols[a])
            {
                outCols.Add(add[b]);
                outCounts.Add(changes[add[b++]]);
            }
            else
            {
                outCols.Add(cols[a]);
                outCounts.Add(counts[a++] + changes[add[b++]]);
            }
        }
        return (outCols.ToArray(), outCounts.ToArray());
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
}
