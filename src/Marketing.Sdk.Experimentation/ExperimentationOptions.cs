using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Experimentation;

/// <summary>Experiment definitions and analysis settings, validated when the host starts.</summary>
public sealed class ExperimentationOptions
{
    /// <summary>The experiments (in code, or read from JSON with <see cref="AddCatalog"/>).</summary>
    public IList<ExperimentDefinition> Experiments { get; } = new List<ExperimentDefinition>();

    /// <summary>The holdout groups.</summary>
    public IList<HoldoutDefinition> Holdouts { get; } = new List<HoldoutDefinition>();

    /// <summary>Analysis settings.</summary>
    public AnalysisOptions Analysis { get; } = new();

    /// <summary>Adds every experiment and holdout of a catalog.</summary>
    /// <param name="catalog">The catalog, e.g. from <see cref="ExperimentCatalog.FromJson"/>.</param>
    public ExperimentationOptions AddCatalog(ExperimentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        foreach (var e in catalog.Experiments)
        {
            Experiments.Add(e);
        }
        foreach (var h in catalog.Holdouts)
        {
            Holdouts.Add(h);
        }
        return this;
    }
}

/// <summary>Validates <see cref="ExperimentationOptions"/> on start (unique keys, weights, layer overlaps, analysis settings).</summary>
internal sealed class ExperimentationOptionsValidator : IValidateOptions<ExperimentationOptions>
{
    public ValidateOptionsResult Validate(string? name, ExperimentationOptions options)
    {
        var errors = CatalogValidator.Validate(options.Experiments.ToList(), options.Holdouts.ToList())
            .Select(e => e.Message)
            .Concat(AnalysisOptionsValidation.Errors(options.Analysis))
            .ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
