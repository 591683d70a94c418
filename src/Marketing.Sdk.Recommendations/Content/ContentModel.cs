using System.Globalization;

namespace Marketing.Sdk.Recommendations;

/// <summary>Settings of the content-based recommender (weights multiply the TF-IDF weight of each field's terms).</summary>
public sealed record ContentOptions
{
    /// <summary>Weight of title words; default 1.</summary>
    public double TitleWeight { get; init; } = 1.0;

    /// <summary>Weight of category path prefixes (<c>beauty</c>, <c>beauty/skincare</c>, …); default 2.</summary>
    public double CategoryWeight { get; init; } = 2.0;

    /// <summary>Weight of the brand; default 1.5.</summary>
    public double BrandWeight { get; init; } = 1.5;

    /// <summary>Weight of tags; default 1.</summary>
    public double TagWeight { get; init; } = 1.0;

    /// <summary>Weight of the price band; default 0.5 (0 leaves price out).</summary>
    public double PriceBandWeight { get; init; } = 0.5;

    /// <summary>Number of price bands; default 5.</summary>
    public int PriceBands { get; init; } = 5;

    internal void Validate()
    {
        foreach (var (name, w) in new[] { ("titleWeight", TitleWeight), ("categoryWeight", CategoryWeight), ("brandWeight", BrandWeight), ("tagWeight", TagWeight), ("priceBandWeight", PriceBandWeight) })
        {
            if (!(w >= 0) || double.IsInfinity(w))
            {
                throw new MarketingValidationException(name, ValidationReason.OutOfRange, "Field weights are finite and not negative.");
            }
        }
        if (PriceBands is < 2 or > 20)
        {
            throw new MarketingValidationException("priceBands", ValidationReason.OutOfRange, "Between 2 and 20 price bands.");
        }
    }
}

/// <summary>
/// Content-based item model: each product becomes an L2-normalised TF-IDF vector over field-tagged
/// terms (title words, category path prefixes, brand, tags, price band), with sub-linear term
/// frequency <c>1 + ln tf</c> and smoothed inverse document frequency <c>ln((1 + N)/(1 + df)) + 1</c>.
/// Similarity is the cosine (dot product of the normalised vectors), computed through an inverted
/// index. New products are covered as soon as they are in the catalogue (no interactions needed).
/// </summary>
public sealed class ContentModel
{
    private static readonly HashSet<string> StopWords = new(
        ["a", "an", "and", "the", "of", "for", "with", "in", "on", "to", "by", "at", "or", "set", "pack", "x"], StringComparer.Ordinal);

    private readonly string[] _terms;
    private readonly int[][] _itemTerms;
    private readonly double[][] _itemWeights;
    private readonly int[][] _postingItems;
    private readonly double[][] _postingWeights;

    private ContentModel(ContentOptions options, IdMap items, PriceLadder prices, IReadOnlyDictionary<string, Product> products, string[] terms, int[][] itemTerms, double[][] itemWeights)
    {
        Options = options;
        Items = items;
        Prices = prices;
        Products = products;
        _terms = terms;
        _itemTerms = itemTerms;
        _itemWeights = itemWeights;
        var df = new int[terms.Length];
        foreach (var row in itemTerms)
        {
            foreach (var t in row)
            {
                df[t]++;
            }
        }
        _postingItems = df.Select(d => new int[d]).ToArray();
        _postingWeights = df.Select(d => new double[d]).ToArray();
        var fill = new int[terms.Length];
        for (var i = 0; i < itemTerms.Length; i++)
        {
            for (var k = 0; k < itemTerms[i].Length; k++)
            {
                var t = itemTerms[i][k];
                _postingItems[t][fill[t]] = i;
                _postingWeights[t][fill[t]++] = itemWeights[i][k];
            }
        }
    }

    internal string[] TermTable => _terms;

    internal int[][] ItemTerms => _itemTerms;

    internal double[][] ItemWeights => _itemWeights;

    internal static ContentModel Restore(ContentOptions options, IdMap items, PriceLadder prices, IReadOnlyDictionary<string, Product> products, string[] terms, int[][] itemTerms, double[][] itemWeights) =>
        new(options, items, prices, products, terms, itemTerms, itemWeights);

    /// <summary>The settings.</summary>
    public ContentOptions Options { get; }

    /// <summary>Price percentiles and bands of the catalogue.</summary>
    public PriceLadder Prices { get; }

    /// <summary>The catalogue the model was built from, by product id.</summary>
    public IReadOnlyDictionary<string, Product> Products { get; }

    /// <summary>Number of products.</summary>
    public int ItemCount => Items.Count;

    /// <summary>Number of distinct terms.</summary>
    public int TermCount => _terms.Length;

    internal IdMap Items { get; }

    /// <summary>Builds the model from a catalogue (inactive products are included so history can be read; filter them with rules).</summary>
    /// <param name="products">The catalogue; the first product of each id wins.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public static ContentModel Fit(IEnumerable<Product> products, ContentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(products);
        options ??= new ContentOptions();
        options.Validate();
        var catalogue = new Dictionary<string, Product>(StringComparer.Ordinal);
        foreach (var p in products)
        {
            catalogue.TryAdd(p.ProductId, p);
        }
        var items = IdMap.FromDistinct(catalogue.Keys);
        var prices = PriceLadder.Build(catalogue.Values, options.PriceBands);
        var termIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var raw = new List<(int Term, double Weight, int Tf)>[items.Count];
        var df = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            var fields = new Dictionary<string, (double Weight, int Tf)>(StringComparer.Ordinal);
            foreach (var (term, weight) in Terms(catalogue[items.Ids[i]], prices, options))
            {
                if (weight <= 0)
                {
                    continue;
                }
                fields[term] = fields.TryGetValue(term, out var e) ? (Math.Max(e.Weight, weight), e.Tf + 1) : (weight, 1);
            }
            raw[i] = new List<(int, double, int)>(fields.Count);
            foreach (var (term, (weight, tf)) in fields)
            {
                if (!termIndex.TryGetValue(term, out var t))
                {
                    termIndex[term] = t = df.Count;
                    df.Add(0);
                }
                df[t]++;
                raw[i].Add((t, weight, tf));
            }
        }
        var n = items.Count;
        var itemTerms = new int[n][];
        var itemWeights = new double[n][];
        for (var i = 0; i < n; i++)
        {
            var row = raw[i].OrderBy(x => x.Term).ToArray();
            var w = new double[row.Length];
            var norm = 0.0;
            for (var k = 0; k < row.Length; k++)
            {
                var idf = Math.Log((1.0 + n) / (1.0 + df[row[k].Term])) + 1.0;
                w[k] = row[k].Weight * (1.0 + Math.Log(row[k].Tf)) * idf;
                norm += w[k] * w[k];
            }
            norm = Math.Sqrt(norm);
            for (var k = 0; k < w.Length && norm > 0; k++)
            {
                w[k] /= norm;
            }
            itemTerms[i] = row.Select(x => x.Term).ToArray();
            itemWeights[i] = w;
        }
        var terms = new string[termIndex.Count];
        foreach (var (term, t) in termIndex)
        {
            terms[t] = term;
        }
        return new ContentModel(options, items, prices, catalogue, terms, itemTerms, itemWeights);
    }

    /// <summary>The normalised TF-IDF vector of a product (term → weight); empty for unknown products.</summary>
    /// <param name="productId">The product.</param>
    public IReadOnlyDictionary<string, double> Vector(string productId)
    {
        var v = new Dictionary<string, double>(StringComparer.Ordinal);
        if (Items.TryGet(productId, out var i))
        {
            for (var k = 0; k < _itemTerms[i].Length; k++)
            {
                v[_terms[_itemTerms[i][k]]] = _itemWeights[i][k];
            }
        }
        return v;
    }

    /// <summary>Cosine similarity of two products (0 when either is unknown).</summary>
    /// <param name="productA">First product.</param>
    /// <param name="productB">Second product.</param>
    public double Similarity(string productA, string productB) =>
        Items.TryGet(productA, out var a) && Items.TryGet(productB, out var b) ? Dot(a, b) : 0;

    /// <summary>The products most similar in content to <paramref name="productId"/>, best first (the product itself excluded).</summary>
    /// <param name="productId">The product.</param>
    /// <param name="count">How many at most.</param>
    public IReadOnlyList<ScoredItem> SimilarItems(string productId, int count)
    {
        ArgumentNullException.ThrowIfNull(productId);
        if (!Items.TryGet(productId, out var i))
        {
            return [];
        }
        return ScoreProfile([(i, 1.0)], count, new HashSet<int> { i });
    }

    /// <summary>
    /// Ranks products for a history (product → weight): the profile is the weighted sum of the
    /// history's vectors, and products are scored by cosine with it.
    /// </summary>
    /// <param name="history">Products with their weights (unknown products are ignored).</param>
    /// <param name="count">How many at most.</param>
    /// <param name="exclude">Products to leave out (e.g. the history itself).</param>
    public IReadOnlyList<ScoredItem> RecommendForHistory(IEnumerable<KeyValuePair<string, double>> history, int count, IReadOnlySet<string>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var seeds = new List<(int, double)>();
        foreach (var (id, w) in history)
        {
            if (Items.TryGet(id, out var i))
            {
                seeds.Add((i, w));
            }
        }
        var ex = new HashSet<int>();
        foreach (var id in exclude ?? (IReadOnlySet<string>)new HashSet<string>())
        {
            if (Items.TryGet(id, out var i))
            {
                ex.Add(i);
            }
        }
        return ScoreProfile(seeds, count, ex);
    }

    internal IReadOnlyList<ScoredItem> ScoreProfile(IReadOnlyList<(int Item, double Weight)> seeds, int count, HashSet<int> exclude)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var profile = new Dictionary<int, double>();
        foreach (var (i, w) in seeds)
        {
            for (var k = 0; k < _itemTerms[i].Length; k++)
            {
                var t = _itemTerms[i][k];
                profile[t] = profile.GetValueOrDefault(t) + w * _itemWeights[i][k];
            }
        }
        var norm = Math.Sqrt(profile.Values.Sum(v => v * v));
        if (norm == 0)
        {
            return [];
        }
        var s = Scratch.Rent(ItemCount);
        foreach (var (t, pw) in profile)
        {
            var items = _postingItems[t];
            var weights = _postingWeights[t];
            for (var k = 0; k < items.Length; k++)
            {
                s.Add(items[k], pw / norm * weights[k]);
            }
        }
        var top = new TopK(count, Items.Rank);
        for (var k = 0; k < s.TouchedCount; k++)
        {
            var j = s.Touched[k];
            if (!exclude.Contains(j) && s.Values[j] > 1e-12)
            {
                top.Offer(j, s.Values[j]);
            }
        }
        return top.ToArray(Items.Ids);
    }

    internal double Dot(int a, int b)
    {
        var ta = _itemTerms[a];
        var tb = _itemTerms[b];
        double sum = 0;
        int x = 0, y = 0;
        while (x < ta.Length && y < tb.Length)
        {
            if (ta[x] == tb[y])
            {
                sum += _itemWeights[a][x++] * _itemWeights[b][y++];
            }
            else if (ta[x] < tb[y])
            {
                x++;
            }
            else
            {
                y++;
            }
        }
        return sum;
    }

    /// <summary>Splits text into lower-case word tokens (letters and digits), dropping one-letter words and stop words.</summary>
    internal static IEnumerable<string> Tokens(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }
        var start = -1;
        for (var k = 0; k <= text.Length; k++)
        {
            var letter = k < text.Length && char.IsLetterOrDigit(text[k]);
            if (letter && start < 0)
            {
                start = k;
            }
            else if (!letter && start >= 0)
            {
                var token = text[start..k].ToLowerInvariant();
                start = -1;
                if (token.Length >= 2 && !StopWords.Contains(token))
                {
                    yield return token;
                }
            }
        }
    }

    private static IEnumerable<(string Term, double Weight)> Terms(Product p, PriceLadder prices, ContentOptions o)
    {
        foreach (var t in Tokens(p.Title))
        {
            yield return ("t:" + t, o.TitleWeight);
        }
        if (!string.IsNullOrWhiteSpace(p.Category))
        {
            var parts = p.Category.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var k = 1; k <= parts.Length; k++)
            {
                yield return ("c:" + string.Join('/', parts[..k]).ToLowerInvariant(), o.CategoryWeight);
            }
        }
        if (!string.IsNullOrWhiteSpace(p.Brand))
        {
            yield return ("b:" + p.Brand.Trim().ToLowerInvariant(), o.BrandWeight);
        }
        foreach (var tag in p.Tags)
        {
            if (!string.IsNullOrWhiteSpace(tag))
            {
                yield return ("g:" + tag.Trim().ToLowerInvariant(), o.TagWeight);
            }
        }
        if (prices.Band(p.ProductId) is { } band)
        {
            yield return ("p:" + band.ToString(CultureInfo.InvariantCulture), o.PriceBandWeight);
        }
    }
}

/// <summary>
/// The content-based recommender for users: a user's profile is the affinity-weighted sum of the
/// content vectors of the items in their history; items are ranked by cosine with the profile.
/// </summary>
public sealed class ContentRecommender : IInteractionRecommender
{
    internal ContentRecommender(ContentModel model, InteractionMatrix history)
    {
        Model = model;
        History = history;
    }

    /// <summary>The content model.</summary>
    public ContentModel Model { get; }

    /// <inheritdoc />
    public string Name => "Content (TF-IDF)";

    internal InteractionMatrix History { get; }

    /// <summary>Creates the recommender.</summary>
    /// <param name="model">The content model.</param>
    /// <param name="history">The users' interactions.</param>
    /// <param name="halfLife">Half-life of the time decay of history affinities; <see langword="null"/> = none.</param>
    public static ContentRecommender Create(ContentModel model, IEnumerable<Interaction> history, TimeSpan? halfLife = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(history);
        return new ContentRecommender(model, InteractionMatrix.Build(history, halfLife, null));
    }

    /// <inheritdoc />
    public IReadOnlyList<ScoredItem> Recommend(string userId, int count, bool excludeSeen = true)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (!History.Users.TryGet(userId, out var u))
        {
            return [];
        }
        var seeds = new List<(int, double)>();
        var exclude = new HashSet<int>();
        var items = History.UserItems[u];
        for (var k = 0; k < items.Length; k++)
        {
            if (Model.Items.TryGet(History.Items.Ids[items[k]], out var ci))
            {
                seeds.Add((ci, History.Affinity[u][k]));
                if (excludeSeen)
                {
                    exclude.Add(ci);
                }
            }
        }
        return Model.ScoreProfile(seeds, count, exclude);
    }

    /// <summary>The item of the user's history most similar in content to <paramref name="itemId"/>, with the cosine; <see langword="null"/> when none is similar.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="itemId">The recommended item.</param>
    public (string ItemId, InteractionKind Kind, double Similarity)? Explain(string userId, string itemId)
    {
        if (!History.Users.TryGet(userId, out var u) || !Model.Items.TryGet(itemId, out var target))
        {
            return null;
        }
        (string, InteractionKind, double)? best = null;
        var items = History.UserItems[u];
        for (var k = 0; k < items.Length; k++)
        {
            var id = History.Items.Ids[items[k]];
            if (Model.Items.TryGet(id, out var ci) && ci != target)
            {
                var sim = Model.Dot(ci, target);
                if (sim > 0 && (best is null || sim > best.Value.Item3))
                {
                    best = (id, (InteractionKind)InteractionMatrix.HighestKind(History.Kinds[u][k]), sim);
                }
            }
        }
        return best;
    }
}
