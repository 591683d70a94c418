using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Attribution.Tests;

public class PathSetReaderTests
{
    private static async Task<MarketingValidationException> Refused(string text) =>
        await Assert.ThrowsAsync<MarketingValidationException>(() => PathSetReader.ReadAsync(new StringReader(text)));

    [Fact]
    public async Task Two_equal_paths_of_1e308_conversions_are_refused_instead_of_summing_to_infinity()
    {
        var ex = await Refused("path;total_conversions\na>b;1e308\na>b;1e308\n");
        Assert.Equal(1, ex.Index);
        Assert.Equal("conversions", ex.Field);
        Assert.Equal(ValidationReason.OutOfRange, ex.Reason);
    }

    [Theory]
    [InlineData("path;total_conversions;total_conversion_value;total_null\na;1;1e308;0\nb;1;1e308;0\n", "value")]
    [InlineData("path;total_conversions;total_conversion_value;total_null\na;1;0;1e308\nb;1;0;1e308\n", "nulls")]
    [InlineData("path;total_conversions\na;1e308\nb;1e308\n", "conversions")]
    public async Task Totals_over_distinct_paths_stay_finite(string text, string field)
    {
        var ex = await Refused(text);
        Assert.Equal(1, ex.Index);
        Assert.Equal(field, ex.Field);
    }

    [Theory]
    [InlineData("Infinity")]
    [InlineData("NaN")]
    [InlineData("1e309")]
    public async Task Numbers_that_are_not_finite_are_refused_with_the_line(string number)
    {
        var ex = await Refused($"path;total_conversions\na;1\n\nb;{number}\n");
        Assert.Equal(2, ex.Index); // the empty line counts, so Index + 2 is the 1-based line of the file
    }

    [Property(MaxTest = 200)]
    public Property Any_set_of_rows_reads_to_finite_totals_or_the_typed_error() =>
        Prop.ForAll(
            Gen.ArrayOf(Gen.Elements(0.0, 1.0, 1e300, 1e307, 1e308, double.MaxValue, 1.5)).ToArbitrary(),
            numbers =>
            {
                var text = "path;total_conversions;total_conversion_value\n" + string.Concat(numbers.Select((n, i) =>
                    $"c{i % 3}>c{(i + 1) % 3};{n.ToString("R", CultureInfo.InvariantCulture)};{n.ToString("R", CultureInfo.InvariantCulture)}\n"));
                try
                {
                    var set = PathSetReader.ReadAsync(new StringReader(text)).GetAwaiter().GetResult();
                    var finite = double.IsFinite(set.TotalConversions) && double.IsFinite(set.TotalValue);
                    for (var p = 0; p < set.Count; p++)
                    {
                        finite &= double.IsFinite(set.GetConversions(p)) && double.IsFinite(set.GetValue(p));
                    }
                    return finite;
                }
                catch (MarketingValidationException ex)
                {
                    return ex.Index is >= 0 && ex.Index < numbers.Length;
                }
            });
}

public class ChannelJsonTests
{
    [Fact]
    public void Channels_in_results_use_the_domain_models_converter_only()
    {
        // One converter for Channel in the product: Abstractions' NameJsonConverter<Channel>.
        var converters = typeof(AttributionJson).Assembly.GetTypes()
            .Where(t => t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(System.Text.Json.Serialization.JsonConverter<>)
                        && b.GetGenericArguments()[0] == typeof(Channel))
            .ToList();
        Assert.Empty(converters);

        var builder = new PathSetBuilder();
        builder.Add([new Channel("paid_search"), new Channel("email")], 3, 30);
        var result = new LinearModel().Attribute(builder.Build());
        var json = AttributionJson.Serialize(result);
        Assert.Contains("\"channel\":\"paid_search\"", json, StringComparison.Ordinal);
        var back = AttributionJson.Deserialize<AttributionResult>(json)!;
        Assert.Equal(result.Channels.Select(c => c.Channel), back.Channels.Select(c => c.Channel));
    }
}
