using System.Collections.Frozen;
using Marketing.Sdk.Experimentation.Hashing;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Experimentation;

/// <summary>Why a unit got (or did not get) a variant.</summary>
public enum AssignmentReason
{
    /// <summary>The unit was bucketed into a variant by its hash.</summary>
    Bucketed,
    /// <summary>The unit is force-assigned in the definition (QA).</summary>
    Forced,
    /// <summary>The experiment is inactive.</summary>
    Inactive,
    /// <summary>The unit is in a holdout group that covers the experiment.</summary>
    Holdout,
    /// <summary>The unit falls outside the experiment's slice of its layer (it may be in another experiment of the layer).</summary>
    OutsideLayerRange,
    /// <summary>The unit falls outside the experiment's traffic allocation.</summary>
    NotInTraffic,
}

/// <summary>
/// The outcome of assigning one unit to one experiment. Holds no unit id (personal data).
/// </summary>
/// <param name="ExperimentKey">The experiment.</param>
/// <param name="Variant">The variant key, or <see langword="null"/> when the unit is not in the experiment.</param>
/// <param name="Reason">Why.</param>
public sealed record Assignment(string ExperimentKey, string? Variant, AssignmentReason Reason)
{
    /// <summary>Whether the unit is in the experiment (bucketed or forced).</summary>
    public bool IsInExperiment => Variant is not null;
}

/// <summary>Assigns units to experiments; pure and deterministic (no I/O, no exposure logging).</summary>
public interface IExperimentAssigner
{
    /// <summary>The registered experiments.</summary>
    IReadOnlyList<ExperimentDefinition> Experiments { get; }

    /// <summary>The experiment with the key.</summary>
    /// <param name="experimentKey">The key.</param>
    /// <exception cref="ExperimentNotFoundException">No such experiment.</exception>
    ExperimentDefinition GetExperiment(string experimentKey);

    /// <summary>Assigns a unit (customer id, member id, device id…) to an experiment.</summary>
    /// <param name="experimentKey">The experiment.</param>
    /// <param name="unitId">The unit's id; the same id always gets the same answer for the same definitions.</param>
    /// <exception cref="ExperimentNotFoundException">No such experiment.</exception>
    Assignment Assign(string experimentKey, string unitId);
}

/// <summary>
/// Deterministic bucketing. For a unit u and an experiment with salt s the steps are:
/// forced assignment → active → holdouts (hash of holdout salt) → layer slice (hash of layer name) →
/// traffic (hash of s with the traffic seed) → variant (hash of s with the variant seed, against the
/// cumulative normalised weights). Every hash is MurmurHash3 x86-32 of the UTF-8 bytes, mapped to
/// [0, 1) by h / 2³²; separate seeds make the steps independent of each other.
/// </summary>
public sealed class ExperimentAssigner : IExperimentAssigner
{
    internal const uint VariantSeed = 0;
    internal const uint TrafficSeed = 0x74726166; // "traf"
    internal const uint LayerSeed = 0x6c617972; // "layr"
    internal const uint HoldoutSeed = 0x686f6c64; // "hold"

    private readonly FrozenDictionary<string, Compiled> _experiments;

    /// <summary>Creates an assigner from options (the DI path).</summary>
    /// <param name="options">The registered definitions.</param>
    public ExperimentAssigner(IOptions<ExperimentationOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.Experiments.ToList(), options.Value.Holdouts.ToList())
    {
    }

    /// <summary>Creates an assigner from definitions.</summary>
    /// <param name="experiments">The experiments.</param>
    /// <param name="holdouts">The holdouts, if any.</param>
    /// <exception cref="MarketingValidationException">A definition is invalid.</exception>
    public ExperimentAssigner(IReadOnlyList<ExperimentDefinition> experiments, IReadOnlyList<HoldoutDefinition>? holdouts = null)
    {
        ArgumentNullException.ThrowIfNull(experiments);
        holdouts ??= [];
        CatalogValidator.ThrowIfInvalid(experiments, holdouts);
        Experiments = experiments.ToArray();
        _experiments = experiments.ToFrozenDictionary(e => e.Key, e => new Compiled(e, holdouts), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public IReadOnlyList<ExperimentDefinition> Experiments { get; }

    /// <inheritdoc />
    public ExperimentDefinition GetExperiment(string experimentKey) => Find(experimentKey).Definition;

    /// <inheritdoc />
    public Assignment Assign(string experimentKey, string unitId)
    {
        var c = Find(experimentKey);
        ArgumentNullException.ThrowIfNull(unitId);
        var d = c.Definition;
        if (d.ForcedAssignments.TryGetValue(unitId, out var forced))
        {
            return new Assignment(d.Key, forced, AssignmentReason.Forced);
        }
        if (!d.Active)
        {
            return c.Inactive;
        }
        foreach (var h in c.Holdouts)
        {
            if (MurmurHash3.UnitInterval(h.EffectiveSalt, unitId, HoldoutSeed) < h.Fraction)
            {
                return c.HeldOut;
            }
        }
        if (d.LayerRange is { } range)
        {
            var position = MurmurHash3.UnitInterval(d.Layer!, unitId, LayerSeed);
            if (position < range.Start || position >= range.End)
            {
                return c.OutsideLayer;
            }
        }
        var salt = d.EffectiveSalt;
        if (d.TrafficAllocation < 1 && MurmurHash3.UnitInterval(salt, unitId, TrafficSeed) >= d.TrafficAllocation)
        {
            return c.NotInTraffic;
        }
        var u = MurmurHash3.UnitInterval(salt, unitId, VariantSeed);
        return c.Bucketed[c.VariantIndex(u)];
    }

    private Compiled Find(string experimentKey)
    {
        ArgumentNullException.ThrowIfNull(experimentKey);
        return _experiments.TryGetValue(experimentKey, out var c) ? c : throw new ExperimentNotFoundException(experimentKey);
    }

    private sealed class Compiled
    {
        private readonly double[] _cumulative;

        public Compiled(ExperimentDefinition d, IReadOnlyList<HoldoutDefinition> holdouts)
        {
            Definition = d;
            Holdouts = holdouts.Where(h => h.Experiments.Count == 0 || h.Experiments.Contains(d.Key, StringComparer.Ordinal)).ToArray();
            var total = d.Variants.Sum(v => v.Weight);
            _cumulative = new double[d.Variants.Count];
            double running = 0;
            for (var i = 0; i < d.Variants.Count; i++)
            {
                running += d.Variants[i].Weight;
                _cumulative[i] = running / total;
            }
            _cumulative[^1] = 1.0;
            Bucketed = d.Variants.Select(v => new Assignment(d.Key, v.Key, AssignmentReason.Bucketed)).ToArray();
            Inactive = new Assignment(d.Key, null, AssignmentReason.Inactive);
            HeldOut = new Assignment(d.Key, null, AssignmentReason.Holdout);
            OutsideLayer = new Assignment(d.Key, null, AssignmentReason.OutsideLayerRange);
            NotInTraffic = new Assignment(d.Key, null, AssignmentReason.NotInTraffic);
        }

        public ExperimentDefinition Definition { get; }
        public HoldoutDefinition[] Holdouts { get; }
        public Assignment[] Bucketed { get; }
        public Assignment Inactive { get; }
        public Assignment HeldOut { get; }
        public Assignment OutsideLayer { get; }
        public Assignment NotInTraffic { get; }

        public int VariantIndex(double u)
        {
            for (var i = 0; i < _cumulative.Length; i++)
            {
                if (u < _cumulative[i])
                {
                    return i;
                }
            }
            return _cumulative.Length - 1;
        }
    }
}
