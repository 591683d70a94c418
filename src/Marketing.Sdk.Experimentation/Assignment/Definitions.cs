using System.Text.Json.Serialization;

namespace Marketing.Sdk.Experimentation;

/// <summary>One arm of an experiment.</summary>
public sealed record VariantDefinition
{
    /// <summary>The variant's key, unique within the experiment (e.g. <c>control</c>, <c>emoji_subject</c>).</summary>
    public required string Key { get; init; }

    /// <summary>Relative weight (any non-negative number; weights are normalised). Default 1.</summary>
    public double Weight { get; init; } = 1;
}

/// <summary>
/// The slice [<see cref="Start"/>, <see cref="End"/>) of a layer's unit space that an experiment owns.
/// Experiments in one layer own non-overlapping slices, so a unit is in at most one of them.
/// </summary>
/// <param name="Start">Start of the slice in [0, 1).</param>
/// <param name="End">End of the slice in (0, 1], greater than <paramref name="Start"/>.</param>
public sealed record LayerRange(double Start, double End);

/// <summary>
/// An experiment: its variants and how units are assigned to them. Definitions are immutable; change
/// the <see cref="Salt"/> to re-randomise (a new salt reshuffles every unit).
/// </summary>
public sealed record ExperimentDefinition
{
    /// <summary>Unique key of the experiment (e.g. <c>welcome_email_subject</c>).</summary>
    public required string Key { get; init; }

    /// <summary>Hash salt; defaults to <see cref="Key"/>.</summary>
    public string? Salt { get; init; }

    /// <summary>The variants, at least one; the first is the control unless <see cref="ControlVariant"/> says otherwise.</summary>
    public IReadOnlyList<VariantDefinition> Variants { get => _variants; init => _variants = value ?? []; }

    /// <summary>Key of the control variant; defaults to the first variant.</summary>
    public string? ControlVariant { get; init; }

    /// <summary>
    /// Fraction of eligible units that enter the experiment, in [0, 1]. Default 1. Raising it only
    /// adds units: those already in keep their variant.
    /// </summary>
    public double TrafficAllocation { get; init; } = 1;

    /// <summary>Mutually exclusive layer the experiment belongs to, if any; requires <see cref="LayerRange"/>.</summary>
    public string? Layer { get; init; }

    /// <summary>The experiment's slice of its <see cref="Layer"/>.</summary>
    public LayerRange? LayerRange { get; init; }

    /// <summary>
    /// Units forced into a variant (QA, screenshots): unit id → variant key. Forced units bypass
    /// holdouts, layers and traffic allocation. The ids are personal data and never logged.
    /// </summary>
    public IReadOnlyDictionary<string, string> ForcedAssignments { get => _forced; init => _forced = value ?? EmptyForced; }

    /// <summary>Whether the experiment assigns units. Inactive experiments assign nobody. Default <see langword="true"/>.</summary>
    public bool Active { get; init; } = true;

    /// <summary>Planned units per variant (from a sample-size calculation); analysis reports progress against it.</summary>
    public long? PlannedSampleSizePerVariant { get; init; }

    /// <summary>
    /// The smallest relative effect worth detecting (0.1 = 10 % lift); used as the mixing scale of the
    /// sequential test. Default when absent: 0.1.
    /// </summary>
    public double? MinimumDetectableEffect { get; init; }

    /// <summary>The effective salt.</summary>
    [JsonIgnore]
    public string EffectiveSalt => string.IsNullOrEmpty(Salt) ? Key : Salt;

    /// <summary>The effective control variant key.</summary>
    [JsonIgnore]
    public string Control => ControlVariant ?? (Variants.Count > 0 ? Variants[0].Key : string.Empty);

    /// <summary>Describes the experiment without forced unit ids.</summary>
    public override string ToString() =>
        $"Experiment {{ Key = {Key}, Variants = {Variants.Count}, Traffic = {TrafficAllocation}, Layer = {Layer}, Forced = {ForcedAssignments.Count}, Active = {Active} }}";

    internal static readonly IReadOnlyDictionary<string, string> EmptyForced = new Dictionary<string, string>(0);

    private readonly IReadOnlyList<VariantDefinition> _variants = [];
    private readonly IReadOnlyDictionary<string, string> _forced = EmptyForced;
}

/// <summary>
/// A holdout group: a stable fraction of units kept out of experiments (to measure their combined
/// effect against an untouched baseline).
/// </summary>
public sealed record HoldoutDefinition
{
    /// <summary>Unique key of the holdout; also its default salt.</summary>
    public required string Key { get; init; }

    /// <summary>Hash salt; defaults to <see cref="Key"/>.</summary>
    public string? Salt { get; init; }

    /// <summary>Fraction of units held out, in [0, 1).</summary>
    public double Fraction { get; init; }

    /// <summary>Keys of the experiments the holdout applies to; empty means every experiment.</summary>
    public IReadOnlyList<string> Experiments { get => _experiments; init => _experiments = value ?? []; }

    /// <summary>The effective salt.</summary>
    [JsonIgnore]
    public string EffectiveSalt => string.IsNullOrEmpty(Salt) ? Key : Salt;

    private readonly IReadOnlyList<string> _experiments = [];
}

/// <summary>A set of experiment and holdout definitions, as stored in JSON.</summary>
public sealed record ExperimentCatalog
{
    /// <summary>The experiments.</summary>
    public IReadOnlyList<ExperimentDefinition> Experiments { get => _experiments; init => _experiments = value ?? []; }

    /// <summary>The holdouts.</summary>
    public IReadOnlyList<HoldoutDefinition> Holdouts { get => _holdouts; init => _holdouts = value ?? []; }

    private readonly IReadOnlyList<ExperimentDefinition> _experiments = [];
    private readonly IReadOnlyList<HoldoutDefinition> _holdouts = [];

    /// <summary>
    /// Reads a catalog from JSON (camelCase, source-generated, trim and AOT safe) and validates it.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="MarketingValidationException">The JSON is malformed or a definition is invalid.</exception>
    public static ExperimentCatalog FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        CatalogJson? document;
        try
        {
            document = System.Text.Json.JsonSerializer.Deserialize(json, CatalogJsonContext.Default.CatalogJson);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new MarketingValidationException(ex.Path ?? "$", ValidationReason.InvalidFormat,
                "The experiment catalog is not valid JSON of the expected shape.");
        }
        if (document is null)
        {
            throw new MarketingValidationException("$", ValidationReason.Missing, "The experiment catalog is empty.");
        }
        var catalog = document.ToCatalog();
        CatalogValidator.ThrowIfInvalid(catalog.Experiments, catalog.Holdouts);
        return catalog;
    }

    /// <summary>Writes the catalog as JSON.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(CatalogJson.From(this), CatalogJsonContext.Default.CatalogJson);
}

/// <summary>Source-generated JSON metadata for analysis results (write them to logs, dashboards or stores).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(ExperimentResult))]
public sealed partial class ExperimentationJsonContext : JsonSerializerContext;

/// <summary>Source-generated JSON metadata for the catalog's wire shape.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(CatalogJson))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;

/// <summary>
/// The wire shape of a catalog. Settable properties with defaults, so that members omitted from the JSON
/// keep their documented defaults (source-generated metadata assigns every init-only member).
/// </summary>
internal sealed class CatalogJson
{
    public List<ExperimentJson>? Experiments { get; set; }
    public List<HoldoutJson>? Holdouts { get; set; }

    public ExperimentCatalog ToCatalog() => new()
    {
        Experiments = (Experiments ?? []).Select(e => e?.ToDefinition()!).ToArray(),
        Holdouts = (Holdouts ?? []).Select(h => h?.ToDefinition()!).ToArray(),
    };

    public static CatalogJson From(ExperimentCatalog c) => new()
    {
        Experiments = c.Experiments.Select(ExperimentJson.From).ToList(),
        Holdouts = c.Holdouts.Select(HoldoutJson.From).ToList(),
    };
}

internal sealed class VariantJson
{
    public string? Key { get; set; }
    public double Weight { get; set; } = 1;
}

internal sealed class ExperimentJson
{
    public string? Key { get; set; }
    public string? Salt { get; set; }
    public List<VariantJson>? Variants { get; set; }
    public string? ControlVariant { get; set; }
    public double TrafficAllocation { get; set; } = 1;
    public string? Layer { get; set; }
    public LayerRange? LayerRange { get; set; }
    public Dictionary<string, string>? ForcedAssignments { get; set; }
    public bool Active { get; set; } = true;
    public long? PlannedSampleSizePerVariant { get; set; }
    public double? MinimumDetectableEffect { get; set; }

    public ExperimentDefinition ToDefinition() => new()
    {
        Key = Key ?? string.Empty,
        Salt = Salt,
        Variants = (Variants ?? []).Select(v => v is null ? null! : new VariantDefinition { Key = v.Key ?? string.Empty, Weight = v.Weight }).ToArray(),
        ControlVariant = ControlVariant,
        TrafficAllocation = TrafficAllocation,
        Layer = Layer,
        LayerRange = LayerRange,
        ForcedAssignments = ForcedAssignments is null ? ExperimentDefinition.EmptyForced : new Dictionary<string, string>(ForcedAssignments, StringComparer.Ordinal),
        Active = Active,
        PlannedSampleSizePerVariant = PlannedSampleSizePerVariant,
        MinimumDetectableEffect = MinimumDetectableEffect,
    };

    public static ExperimentJson From(ExperimentDefinition e) => new()
    {
        Key = e.Key,
        Salt = e.Salt,
        Variants = e.Variants.Select(v => new VariantJson { Key = v.Key, Weight = v.Weight }).ToList(),
        ControlVariant = e.ControlVariant,
        TrafficAllocation = e.TrafficAllocation,
        Layer = e.Layer,
        LayerRange = e.LayerRange,
        ForcedAssignments = e.ForcedAssignments.Count == 0 ? null : e.ForcedAssignments.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        Active = e.Active,
        PlannedSampleSizePerVariant = e.PlannedSampleSizePerVariant,
        MinimumDetectableEffect = e.MinimumDetectableEffect,
    };
}

internal sealed class HoldoutJson
{
    public string? Key { get; set; }
    public string? Salt { get; set; }
    public double Fraction { get; set; }
    public List<string>? Experiments { get; set; }

    public HoldoutDefinition ToDefinition() => new()
    {
        Key = Key ?? string.Empty,
        Salt = Salt,
        Fraction = Fraction,
        Experiments = Experiments?.ToArray() ?? [],
    };

    public static HoldoutJson From(HoldoutDefinition h) => new()
    {
        Key = h.Key,
        Salt = h.Salt,
        Fraction = h.Fraction,
        Experiments = h.Experiments.Count == 0 ? null : h.Experiments.ToList(),
    };
}

/// <summary>Validation rules for definitions.</summary>
internal static class CatalogValidator
{
    public static void ThrowIfInvalid(IReadOnlyList<ExperimentDefinition> experiments, IReadOnlyList<HoldoutDefinition> holdouts)
    {
        var errors = Validate(experiments, holdouts);
        if (errors.Count > 0)
        {
            throw errors[0];
        }
    }

    public static List<MarketingValidationException> Validate(IReadOnlyList<ExperimentDefinition> experiments, IReadOnlyList<HoldoutDefinition> holdouts)
    {
        var errors = new List<MarketingValidationException>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < experiments.Count; i++)
        {
            var e = experiments[i];
            var at = $"experiments[{i}]";
            if (e is null)
            {
                errors.Add(new(at, ValidationReason.Missing, "The definition is missing."));
                continue;
            }
            if (string.IsNullOrWhiteSpace(e.Key))
            {
                errors.Add(new(at + ".key", ValidationReason.Missing, "An experiment needs a key."));
            }
            else if (!keys.Add(e.Key))
            {
                errors.Add(new(at + ".key", ValidationReason.Inconsistent, $"Experiment key '{e.Key}' is used twice."));
            }
            ValidateVariants(e, at, errors);
            if (!(e.TrafficAllocation >= 0 && e.TrafficAllocation <= 1))
            {
                errors.Add(new(at + ".trafficAllocation", ValidationReason.OutOfRange, "Traffic allocation lies in [0, 1]."));
            }
            if (e.Layer is not null && e.LayerRange is null)
            {
                errors.Add(new(at + ".layerRange", ValidationReason.Missing, "An experiment in a layer needs its slice of the layer."));
            }
            if (e.Layer is null && e.LayerRange is not null)
            {
                errors.Add(new(at + ".layer", ValidationReason.Missing, "A layer range needs a layer."));
            }
            if (e.LayerRange is { } r && !(r.Start >= 0 && r.Start < r.End && r.End <= 1))
            {
                errors.Add(new(at + ".layerRange", ValidationReason.OutOfRange, "A layer range satisfies 0 ≤ start < end ≤ 1."));
            }
            if (e.PlannedSampleSizePerVariant is <= 0)
            {
                errors.Add(new(at + ".plannedSampleSizePerVariant", ValidationReason.OutOfRange, "The planned sample size must be positive."));
            }
            if (e.MinimumDetectableEffect is { } mde && !(mde > 0 && double.IsFinite(mde)))
            {
                errors.Add(new(at + ".minimumDetectableEffect", ValidationReason.OutOfRange, "The minimum detectable effect must be positive."));
            }
        }

        foreach (var layer in experiments.Where(e => e?.Layer is not null && e.LayerRange is not null).GroupBy(e => e.Layer!, StringComparer.Ordinal))
        {
            var ordered = layer.OrderBy(e => e.LayerRange!.Start).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].LayerRange!.Start < ordered[i - 1].LayerRange!.End)
                {
                    errors.Add(new($"experiments[{IndexOf(experiments, ordered[i])}].layerRange", ValidationReason.Inconsistent,
                        $"Experiments '{ordered[i - 1].Key}' and '{ordered[i].Key}' overlap in layer '{layer.Key}'."));
                }
            }
        }

        var holdoutKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < holdouts.Count; i++)
        {
            var h = holdouts[i];
            var at = $"holdouts[{i}]";
            if (h is null)
            {
                errors.Add(new(at, ValidationReason.Missing, "The definition is missing."));
                continue;
            }
            if (string.IsNullOrWhiteSpace(h.Key))
            {
                errors.Add(new(at + ".key", ValidationReason.Missing, "A holdout needs a key."));
            }
            else if (!holdoutKeys.Add(h.Key))
            {
                errors.Add(new(at + ".key", ValidationReason.Inconsistent, $"Holdout key '{h.Key}' is used twice."));
            }
            if (!(h.Fraction >= 0 && h.Fraction < 1))
            {
                errors.Add(new(at + ".fraction", ValidationReason.OutOfRange, "A holdout fraction lies in [0, 1)."));
            }
            for (var j = 0; j < h.Experiments.Count; j++)
            {
                if (!keys.Contains(h.Experiments[j]))
                {
                    errors.Add(new($"{at}.experiments[{j}]", ValidationReason.Inconsistent, $"Holdout '{h.Key}' names an unknown experiment."));
                }
            }
        }
        return errors;
    }

    private static void ValidateVariants(ExperimentDefinition e, string at, List<MarketingValidationException> errors)
    {
        if (e.Variants is null || e.Variants.Count == 0)
        {
            errors.Add(new(at + ".variants", ValidationReason.Missing, "An experiment needs at least one variant."));
            return;
        }
        var variantKeys = new HashSet<string>(StringComparer.Ordinal);
        double total = 0;
        for (var j = 0; j < e.Variants.Count; j++)
        {
            var v = e.Variants[j];
            var vat = $"{at}.variants[{j}]";
            if (v is null || string.IsNullOrWhiteSpace(v.Key))
            {
                errors.Add(new(vat + ".key", ValidationReason.Missing, "A variant needs a key."));
                continue;
            }
            if (!variantKeys.Add(v.Key))
            {
                errors.Add(new(vat + ".key", ValidationReason.Inconsistent, $"Variant key '{v.Key}' is used twice."));
            }
            if (!(v.Weight >= 0 && double.IsFinite(v.Weight)))
            {
                errors.Add(new(vat + ".weight", ValidationReason.OutOfRange, "A weight is a finite non-negative number."));
            }
            else
            {
                total += v.Weight;
            }
        }
        if (!(total > 0))
        {
            errors.Add(new(at + ".variants", ValidationReason.OutOfRange, "At least one variant needs a positive weight."));
        }
        if (e.ControlVariant is not null && !variantKeys.Contains(e.ControlVariant))
        {
            errors.Add(new(at + ".controlVariant", ValidationReason.Inconsistent, "The control variant is not among the variants."));
        }
        if (e.ForcedAssignments is not null)
        {
            foreach (var forced in e.ForcedAssignments.Values)
            {
                if (!variantKeys.Contains(forced))
                {
                    errors.Add(new(at + ".forcedAssignments", ValidationReason.Inconsistent, $"A forced assignment names unknown variant '{forced}'."));
                }
            }
        }
    }

    private static int IndexOf(IReadOnlyList<ExperimentDefinition> list, ExperimentDefinition item)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (ReferenceEquals(list[i], item))
            {
                return i;
            }
        }
        return -1;
    }
}
