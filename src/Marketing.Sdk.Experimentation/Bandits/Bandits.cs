using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Bandits;

/// <summary>The state of one arm: how often it was played and the sum of its rewards.</summary>
/// <param name="Key">The arm's key (creative id, subject line id).</param>
/// <param name="Pulls">Times the arm was played.</param>
/// <param name="RewardSum">Sum of rewards (successes for a Bernoulli reward).</param>
public sealed record BanditArm(string Key, long Pulls, double RewardSum)
{
    /// <summary>Mean reward (0 before the first pull).</summary>
    public double MeanReward => Pulls == 0 ? 0 : RewardSum / Pulls;
}

/// <summary>A multi-armed bandit: choose an arm, then report its reward.</summary>
public interface IBandit
{
    /// <summary>The arms and their state, in definition order.</summary>
    IReadOnlyList<BanditArm> Arms { get; }

    /// <summary>Chooses the arm to play next.</summary>
    string SelectArm();
}

/// <summary>Shared arm bookkeeping; thread-safe through one lock.</summary>
public abstract class BanditBase : IBandit
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Arms' pulls.</summary>
    private protected readonly long[] Pulls;

    /// <summary>Arms' reward sums.</summary>
    private protected readonly double[] Rewards;

    /// <summary>Arm keys.</summary>
    private protected readonly string[] Keys;

    /// <summary>The seeded generator.</summary>
    private protected readonly SeededRandom Random;

    /// <summary>Guards state.</summary>
    private protected readonly Lock Gate = new();

    private protected BanditBase(IEnumerable<BanditArm> arms, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(arms);
        var list = arms.ToList();
        if (list.Count == 0)
        {
            throw new MarketingValidationException("arms", ValidationReason.Missing, "A bandit needs at least one arm.");
        }
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        Keys = new string[list.Count];
        Pulls = new long[list.Count];
        Rewards = new double[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            var arm = list[i] ?? throw new MarketingValidationException($"arms[{i}]", ValidationReason.Missing, "An arm is missing.");
            Guard.NotEmpty(arm.Key, $"arms[{i}].key");
            Guard.NotNegative(arm.Pulls, $"arms[{i}].pulls");
            Guard.Finite(arm.RewardSum, $"arms[{i}].rewardSum");
            if (!_index.TryAdd(arm.Key, i))
            {
                throw new MarketingValidationException($"arms[{i}].key", ValidationReason.Inconsistent, $"Arm '{arm.Key}' is listed twice.");
            }
            Keys[i] = arm.Key;
            Pulls[i] = arm.Pulls;
            Rewards[i] = arm.RewardSum;
        }
        Random = new SeededRandom(seed);
    }

    /// <inheritdoc />
    public IReadOnlyList<BanditArm> Arms
    {
        get
        {
            lock (Gate)
            {
                return Keys.Select((k, i) => new BanditArm(k, Pulls[i], Rewards[i])).ToArray();
            }
        }
    }

    /// <inheritdoc />
    public string SelectArm()
    {
        lock (Gate)
        {
            return Keys[Choose()];
        }
    }

    /// <summary>Chooses an arm index; called under the lock.</summary>
    private protected abstract int Choose();

    /// <summary>Adds a reward; called after validation.</summary>
    private protected void Record(string arm, long pulls, double reward)
    {
        ArgumentNullException.ThrowIfNull(arm);
        lock (Gate)
        {
            if (!_index.TryGetValue(arm, out var i))
            {
                throw new MarketingValidationException("arm", ValidationReason.Inconsistent, $"Unknown arm '{arm}'.");
            }
            Pulls[i] += pulls;
            Rewards[i] += reward;
        }
    }

    internal static IEnumerable<BanditArm> Fresh(IEnumerable<string> keys) =>
        (keys ?? throw new ArgumentNullException(nameof(keys))).Select(k => new BanditArm(k, 0, 0));
}

/// <summary>
/// Thompson sampling for Bernoulli rewards (clicks, opens, conversions): each arm's rate has a Beta
/// posterior; every selection draws once from each posterior and plays the largest draw (Thompson
/// 1933; Chapelle &amp; Li 2011). The same seed and the same sequence of calls give the same choices.
/// </summary>
public sealed class ThompsonSamplingBandit : BanditBase
{
    private readonly BetaPrior _prior;

    /// <summary>Creates a bandit with fresh arms.</summary>
    /// <param name="arms">Arm keys.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="prior">Prior of every arm's rate; default uniform.</param>
    public ThompsonSamplingBandit(IEnumerable<string> arms, ulong seed, BetaPrior? prior = null)
        : this(Fresh(arms), seed, prior)
    {
    }

    /// <summary>Creates a bandit from saved arm state (reward sums are success counts).</summary>
    /// <param name="arms">Arm state.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="prior">Prior of every arm's rate; default uniform.</param>
    public ThompsonSamplingBandit(IEnumerable<BanditArm> arms, ulong seed, BetaPrior? prior = null)
        : base(arms, seed)
    {
        _prior = prior ?? BetaPrior.Uniform;
        Guard.Positive(_prior.Alpha, "prior.alpha");
        Guard.Positive(_prior.Beta, "prior.beta");
        for (var i = 0; i < Keys.Length; i++)
        {
            if (Rewards[i] < 0 || Rewards[i] > Pulls[i])
            {
                throw new MarketingValidationException($"arms[{i}].rewardSum", ValidationReason.Inconsistent, "Successes lie between 0 and the pulls.");
            }
        }
    }

    /// <summary>Records one play's outcome.</summary>
    /// <param name="arm">The arm played.</param>
    /// <param name="success">Whether it paid off.</param>
    public void Update(string arm, bool success) => Record(arm, 1, success ? 1 : 0);

    /// <summary>Records a batch of plays.</summary>
    /// <param name="arm">The arm played.</param>
    /// <param name="plays">Plays.</param>
    /// <param name="successes">Successes among them.</param>
    public void Update(string arm, long plays, long successes)
    {
        Guard.Counts(plays, successes, "update");
        Record(arm, plays, successes);
    }

    /// <summary>
    /// P(arm is best) estimated from <paramref name="draws"/> joint posterior draws (the share of
    /// traffic Thompson sampling would give each arm now). Uses the bandit's generator.
    /// </summary>
    /// <param name="draws">Monte Carlo draws, default 10 000.</param>
    public IReadOnlyDictionary<string, double> ProbabilityBest(int draws = 10_000)
    {
        if (draws <= 0)
        {
            throw new MarketingValidationException(nameof(draws), ValidationReason.OutOfRange, "At least one draw is needed.");
        }
        lock (Gate)
        {
            var wins = new long[Keys.Length];
            for (var i = 0; i < draws; i++)
            {
                wins[Choose()]++;
            }
            return Keys.Select((k, i) => (k, i)).ToDictionary(t => t.k, t => (double)wins[t.i] / draws, StringComparer.Ordinal);
        }
    }

    private protected override int Choose()
    {
        var best = 0;
        var bestDraw = double.NegativeInfinity;
        for (var i = 0; i < Keys.Length; i++)
        {
            var draw = Random.NextBeta(_prior.Alpha + Rewards[i], _prior.Beta + Pulls[i] - Rewards[i]);
            if (draw > bestDraw)
            {
                bestDraw = draw;
                best = i;
            }
        }
        return best;
    }
}

/// <summary>
/// ε-greedy: with probability ε play a uniformly random arm, otherwise the arm with the best mean
/// reward (unplayed arms first, ties to the earliest arm). Rewards may be any finite numbers (revenue).
/// </summary>
public sealed class EpsilonGreedyBandit : BanditBase
{
    private readonly double _epsilon;

    /// <summary>Creates a bandit with fresh arms.</summary>
    /// <param name="arms">Arm keys.</param>
    /// <param name="epsilon">Exploration probability in [0, 1].</param>
    /// <param name="seed">Random seed.</param>
    public EpsilonGreedyBandit(IEnumerable<string> arms, double epsilon, ulong seed)
        : this(Fresh(arms), epsilon, seed)
    {
    }

    /// <summary>Creates a bandit from saved arm state.</summary>
    /// <param name="arms">Arm state.</param>
    /// <param name="epsilon">Exploration probability in [0, 1].</param>
    /// <param name="seed">Random seed.</param>
    public EpsilonGreedyBandit(IEnumerable<BanditArm> arms, double epsilon, ulong seed)
        : base(arms, seed)
    {
        Guard.ClosedUnit(epsilon, nameof(epsilon));
        _epsilon = epsilon;
    }

    /// <summary>Records one play's reward.</summary>
    /// <param name="arm">The arm played.</param>
    /// <param name="reward">The reward (finite).</param>
    public void Update(string arm, double reward)
    {
        Guard.Finite(reward, nameof(reward));
        Record(arm, 1, reward);
    }

    private protected override int Choose()
    {
        if (_epsilon > 0 && Random.NextDouble() < _epsilon)
        {
            return Random.NextInt(Keys.Length);
        }
        var best = 0;
        var bestMean = double.NegativeInfinity;
        for (var i = 0; i < Keys.Length; i++)
        {
            if (Pulls[i] == 0)
            {
                return i;
            }
            var mean = Rewards[i] / Pulls[i];
            if (mean > bestMean)
            {
                bestMean = mean;
                best = i;
            }
        }
        return best;
    }
}
