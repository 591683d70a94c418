using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>Erases a customer from the exported Parquet files when a data-subject erasure runs (<see cref="ParquetExportOptions.EraseFromExportedFiles"/>).</summary>
internal sealed class ParquetExportDataEraser(ParquetExporter exporter, IOptions<ParquetExportOptions> options) : IPersonalDataEraser
{
    public string Name => "export.parquet";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        if (!options.Value.EraseFromExportedFiles)
        {
            return 0;
        }
        var result = await exporter.EraseCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
        return result.RowsRemoved;
    }
}
