using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Export.Parquet;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Parquet export.</summary>
public static class ParquetExportMarketingBuilderExtensions
{
    /// <summary>Adds the Parquet export with settings configured elsewhere (validated on start); see the <c>Action&lt;ParquetExportOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddParquetExport(this IMarketingBuilder builder) => builder.AddParquetExport(_ => { });

    /// <summary>
    /// Adds the Parquet export: a singleton <see cref="ParquetExporter"/> over the registered event, profile and state
    /// stores (and the segment service, when segmentation is added), and an <see cref="IPersonalDataEraser"/>
    /// (<c>export.parquet</c>) that removes an erased customer from the files already written. The host calls
    /// <see cref="ParquetExporter.ExportAsync"/> on its own schedule. Options are validated on start. Calling it again only
    /// adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the export (directory, kinds, pseudonymisation key…).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddParquetExport(this IMarketingBuilder builder, Action<ParquetExportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<ParquetExportOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the Parquet export with settings bound from configuration (validated on start); see the <c>Action&lt;ParquetExportOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="ParquetExportOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<ParquetExportOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<ParquetExportOptions> overload for native AOT.")]
    public static IMarketingBuilder AddParquetExport(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<ParquetExportOptions>().Bind(section);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ParquetExportOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ParquetExportOptions>, ParquetExportOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ParquetExporter(sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IProfileStore>(),
            sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<IOptions<ParquetExportOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ISegmentService>(), sp.GetService<IMeterFactory>(), sp.GetService<ILogger<ParquetExporter>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, ParquetExportDataEraser>());
        return builder;
    }
}
