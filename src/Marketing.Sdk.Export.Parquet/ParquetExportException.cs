namespace Marketing.Sdk.Export.Parquet;

/// <summary>The Parquet export's failures: a file that cannot be written or read back, a checkpoint written by a concurrent export, a missing key.</summary>
public class ParquetExportException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public ParquetExportException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public ParquetExportException(string message, Exception? innerException) : base(message, innerException) { }
}
