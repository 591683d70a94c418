using System.Globalization;
using Marketing.Sdk.Recommendations.Evaluation;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Recommendations.Tests;

internal static class TestData
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Interaction I(string user, string item, double weight = 1, int day = 0, InteractionKind kind = InteractionKind.Purchase) =>
        new(user, item, T0.AddDays(day), weight, kind);

    private static readonly Lazy<(List<Interaction> Interactions, List<Product> Products)> Retail = new(LoadRetail);

    public static (List<Interaction> Interactions, List<Product> Products) OnlineRetail() => Retail.Value;

    /// <summary>
    /// UCI Online Retail as implicit feedback: one purchase interaction per invoice line of a known
    /// customer, cancellations and returns (quantity ≤ 0, invoice "C…") and non-product codes
    /// (postage, fees, manual lines: stock codes that do not start with a digit) left out.
    /// </summary>
    private static (List<Interaction>, List<Product>) LoadRetail()
    {
        var interactions = new List<Interaction>();
        var products = new Dictionary<string, Product>(StringComparer.Ordinal);
        var fields = new List<string>();
        for (var part = 1; part <= 3; part++)
        {
            var path = ReferenceFiles.Get("online_retail", $"online_retail_part{part}_of_3.csv");
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                InteractionFileReader.Split(line, ',', fields);
                var invoice = fields[0];
                var code = fields[1].Trim().ToUpperInvariant();
                var customer = fields[6].Trim();
                if (invoice.StartsWith('C') || customer.Length == 0 || code.Length == 0 || !char.IsAsciiDigit(code[0]))
                {
                    continue;
                }
                var quantity = double.Parse(fields[3], CultureInfo.InvariantCulture);
                var price = decimal.Parse(fields[5], CultureInfo.InvariantCulture);
                if (quantity <= 0 || price <= 0)
                {
                    continue;
                }
                var at = DateTimeOffset.Parse(fields[4], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                interactions.Add(new Interaction(customer.Split('.')[0], code, at, 1, InteractionKind.Purchase));
                if (!products.ContainsKey(code))
                {
                    products[code] = new Product { ProductId = code, Title = fields[2], Price = new Money(price, "GBP") };
                }
            }
        }
        return (interactions, products.Values.ToList());
    }
}
