namespace Marketing.Sdk.Segmentation;

/// <summary>How non-members are scored against the seed.</summary>
public enum LookalikeMethod
{
    /// <summary>Cosine similarity to the seed centroid.</summary>
    Centroid,
    /// <summary>Mean cosine similarity to the k most similar seed members.</summary>
    NearestNeighbours,
    /// <summary>The mean of <see cref="Centroid"/> and <see cref="NearestNeighbours"/>.</summary>
    Combined,
}

/// <summary>Which features describe a customer and how many lookalikes to return.</summary>
public sealed class LookalikeOptions
{
    /// <summary>Numeric traits (e.g. <c>age</c>, <c>income</c>); a missing value is imputed with the mean.</summary>
    public IList<string> NumericTraits { get; } = [];

    /// <summary>Categorical traits (e.g. <c>gender</c>, <c>region</c>), one-hot encoded over their <see cref="MaxCategories"/> most frequent values.</summary>
    public IList<string> CategoricalTraits { get; } = [];

    /// <summary>Event types whose counts (as log(1 + count)) describe behaviour.</summary>
    public IList<EventType> BehaviourEventTypes { get; } = [];

    /// <summary>Only events this recent count as behaviour; all events when <see langword="null"/>.</summary>
    public TimeSpan? BehaviourWindow { get; set; }

    /// <summary>Most one-hot columns per categorical trait. Default 50.</summary>
    public int MaxCategories { get; set; } = 50;

    /// <summary>The scoring method. Default <see cref="LookalikeMethod.Combined"/>.</summary>
    public LookalikeMethod Method { get; set; } = LookalikeMethod.Combined;

    /// <summary>Neighbours (k) for <see cref="LookalikeMethod.NearestNeighbours"/>. Default 10.</summary>
    public int Neighbours { get; set; } = 10;

    /// <summary>Return at most this many lookalikes (takes precedence over <see cref="TopFraction"/>).</summary>
    public int? TopN { get; set; }

    /// <summary>Return this fraction (0–1] of the scored non-members, rounded up. Default 0.1 when <see cref="TopN"/> is not set.</summary>
    public double? TopFraction { get; set; }

    /// <summary>Returns the validation errors (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (NumericTraits.Count + CategoricalTraits.Count + BehaviourEventTypes.Count == 0)
        {
            errors.Add("At least one numeric trait, categorical trait or behaviour event type is required.");
        }
        if (MaxCategories < 1 || Neighbours < 1)
        {
            errors.Add("MaxCategories and Neighbours must be positive.");
        }
        if (TopN is < 1 || TopFraction is not null and (<= 0 or > 1) || BehaviourWindow is { } w && w <= TimeSpan.Zero)
        {
            errors.Add("TopN must be positive, TopFraction in (0, 1] and BehaviourWindow positive.");
        }
        return errors;
    }
}

/// <summary>A scored lookalike.</summary>
/// <param name="CustomerId">The customer (not a seed member).</param>
/// <param name="Score">The score used for ranking (per <see cref="LookalikeOptions.Method"/>), in [-1, 1].</param>
/// <param name="CentroidSimilarity">Cosine similarity to the seed centroid.</param>
/// <param name="NeighbourSimilarity">Mean cosine similarity to the k nearest seed members.</param>
public sealed record LookalikeCandidate(CustomerId CustomerId, double Score, double CentroidSimilarity, double NeighbourSimilarity);

/// <summary>The outcome of a lookalike expansion.</summary>
/// <param name="SeedSize">Seed members found among the profiles.</param>
/// <param name="Scored">Non-members scored.</param>
/// <param name="Features">Names of the feature columns (e.g. <c>age</c>, <c>region=sh</c>, <c>count:product_view</c>).</param>
/// <param name="Candidates">The best lookalikes, best first (ties by customer id).</param>
public sealed record LookalikeResult(int SeedSize, int Scored, IReadOnlyList<string> Features, IReadOnlyList<LookalikeCandidate> Candidates);

/// <summary>One customer's raw inputs for lookalike features.</summary>
/// <param name="Profile">The profile.</param>
/// <param name="EventCounts">Counts of the behaviour event types (missing types count 0).</param>
public sealed record LookalikeInput(CustomerProfile Profile, IReadOnlyDictionary<EventType, int> EventCounts);

/// <summary>
/// Lookalike expansion: builds standardised feature vectors (numeric traits, one-hot categories,
/// log behaviour counts; z-scores over all customers), then scores every non-member by cosine
/// similarity to the seed centroid and/or the mean of its k nearest seed members.
/// </summary>
public static class LookalikeExpander
{
    /// <summary>Expands a seed.</summary>
    /// <param name="customers">Every customer to consider (seed members included).</param>
    /// <param name="seed">The seed members.</param>
    /// <param name="options">Features and result size.</param>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public static LookalikeResult Expand(IReadOnlyList<LookalikeInput> customers, IReadOnlySet<CustomerId> seed, LookalikeOptions options)
    {
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }
        var (names, matrix) = BuildFeatures(customers, options);
        Standardise(matrix);
        var seedRows = new List<int>();
        var others = new List<int>();
        for (var i = 0; i < customers.Count; i++)
        {
            (seed.Contains(customers[i].Profile.Id) ? seedRows : others).Add(i);
        }
        if (seedRows.Count == 0)
        {
            return new LookalikeResult(0, others.Count, names, []);
        }
        var dims = names.Count;
        var centroid = new double[dims];
        foreach (var s in seedRows)
        {
            for (var d = 0; d < dims; d++)
            {
                centroid[d] += matrix[s][d] / seedRows.Count;
            }
        }
        var norms = matrix.Select(Norm).ToArray();
        var centroidNorm = Norm(centroid);
        var k = Math.Min(options.Neighbours, seedRows.Count);
        var needKnn = options.Method != LookalikeMethod.Centroid;
        var scored = new List<LookalikeCandidate>(others.Count);
        var best = new double[k];
        foreach (var o in others)
        {
            var row = matrix[o];
            var cosCentroid = Cosine(row, norms[o], centroid, centroidNorm);
            var knn = 0.0;
            if (needKnn)
            {
                Array.Fill(best, double.NegativeInfinity);
                foreach (var s in seedRows)
                {
                    var sim = Cosine(row, norms[o], matrix[s], norms[s]);
                    if (sim > best[k - 1])
                    {
                        // Insert into the descending top-k list.
                        var j = k - 1;
                        while (j > 0 && best[j - 1] < sim)
                        {
                            best[j] = best[j - 1];
                            j--;
                        }
                        best[j] = sim;
                    }
                }
                knn = best.Average();
            }
            var score = options.Method switch
            {
                LookalikeMethod.Centroid => cosCentroid,
                LookalikeMethod.NearestNeighbours => knn,
                _ => (cosCentroid + knn) / 2,
            };
            scored.Add(new LookalikeCandidate(customers[o].Profile.Id, score, cosCentroid, needKnn ? knn : double.NaN));
        }
        var take = options.TopN ?? (int)Math.Ceiling((options.TopFraction ?? 0.1) * scored.Count);
        var top = scored.OrderByDescending(c => c.Score).ThenBy(c => c.CustomerId).Take(take).ToList();
        return new LookalikeResult(seedRows.Count, scored.Count, names, top);
    }

    private static (List<string> Names, double[][] Matrix) BuildFeatures(IReadOnlyList<LookalikeInput> customers, LookalikeOptions options)
    {
        var names = new List<string>();
        var columns = new List<Func<LookalikeInput, double>>();
        foreach (var trait in options.NumericTraits)
        {
            var values = customers.Select(c => c.Profile.Trait(trait).AsNumber()).Where(v => v is not null).Select(v => (double)v!.Value).ToList();
            var mean = values.Count == 0 ? 0 : values.Average();
            names.Add(trait);
            columns.Add(c => c.Profile.Trait(trait).AsNumber() is { } v ? (double)v : mean);
        }
        foreach (var trait in options.CategoricalTraits)
        {
            var categories = customers.Select(c => c.Profile.Trait(trait)).Where(v => !v.IsNull).Select(v => v.ToString())
                .GroupBy(v => v, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Take(options.MaxCategories).Select(g => g.Key).ToList();
            foreach (var category in categories)
            {
                names.Add($"{trait}={category}");
                columns.Add(c => string.Equals(c.Profile.Trait(trait).ToString(), category, StringComparison.Ordinal) && !c.Profile.Trait(trait).IsNull ? 1.0 : 0.0);
            }
        }
        foreach (var type in options.BehaviourEventTypes)
        {
            names.Add($"count:{type.Value}");
            columns.Add(c => Math.Log(1 + (c.EventCounts.TryGetValue(type, out var n) ? n : 0)));
        }
        var matrix = customers.Select(c => columns.Select(f => f(c)).ToArray()).ToArray();
        return (names, matrix);
    }

    private static void Standardise(double[][] matrix)
    {
        if (matrix.Length == 0)
        {
            return;
        }
        var dims = matrix[0].Length;
        for (var d = 0; d < dims; d++)
        {
            double mean = 0;
            foreach (var row in matrix)
            {
                mean += row[d];
            }
            mean /= matrix.Length;
            double variance = 0;
            foreach (var row in matrix)
            {
                variance += (row[d] - mean) * (row[d] - mean);
            }
            var std = Math.Sqrt(variance / matrix.Length);
            foreach (var row in matrix)
            {
                row[d] = std > 1e-12 ? (row[d] - mean) / std : 0;
            }
        }
    }

    private static double Norm(double[] v)
    {
        double sum = 0;
        foreach (var x in v)
        {
            sum += x * x;
        }
        return Math.Sqrt(sum);
    }

    private static double Cosine(double[] a, double normA, double[] b, double normB)
    {
        if (normA < 1e-12 || normB < 1e-12)
        {
            return 0;
        }
        double dot = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
        }
        return dot / (normA * normB);
    }
}
