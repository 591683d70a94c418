using System.Globalization;
using Marketing.Sdk.Lifecycle.Models;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>Reads the CDNOW reference data (committed under tests/data/cdnow).</summary>
internal static class ReferenceData
{
    public static string CdnowFolder => Path.GetDirectoryName(ReferenceFiles.Get("cdnow", "cdnow_customers_summary.csv"))!;

    /// <summary>cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T, zbar.</summary>
    public static IReadOnlyList<(int Id, CustomerSummary Summary)> Summaries()
    {
        var rows = new List<(int, CustomerSummary)>();
        foreach (var line in File.ReadLines(Path.Combine(CdnowFolder, "cdnow_customers_summary_with_transactions.csv")).Skip(1))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var f = line.Split(',');
            rows.Add((int.Parse(f[0], CultureInfo.InvariantCulture), new CustomerSummary(
                int.Parse(f[1], CultureInfo.InvariantCulture),
                double.Parse(f[2], CultureInfo.InvariantCulture),
                double.Parse(f[3], CultureInfo.InvariantCulture),
                double.Parse(f[4], CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    /// <summary>cdnow_customers_summary.csv: ID, frequency, recency, T.</summary>
    public static IReadOnlyList<CustomerSummary> PlainSummaries() =>
        File.ReadLines(Path.Combine(CdnowFolder, "cdnow_customers_summary.csv")).Skip(1)
            .Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => l.Split(','))
            .Select(f => new CustomerSummary(int.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>CDNOW_sample.txt: master id, sample id, date, cds, dollars.</summary>
    public static IReadOnlyList<PurchaseRecord> SampleTransactions() =>
        File.ReadLines(Path.Combine(CdnowFolder, "CDNOW_sample.txt"))
            .Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new PurchaseRecord(
                new CustomerId(int.Parse(f[1], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)),
                new DateTimeOffset(DateTime.ParseExact(f[2], "yyyyMMdd", CultureInfo.InvariantCulture), TimeSpan.Zero),
                decimal.Parse(f[4], CultureInfo.InvariantCulture)))
            .ToList();
}
