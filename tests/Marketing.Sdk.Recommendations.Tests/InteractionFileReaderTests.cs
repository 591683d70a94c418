using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Recommendations.Evaluation;

namespace Marketing.Sdk.Recommendations.Tests;

public class InteractionFileReaderTests
{
    private const long MinUnixSeconds = -62_135_596_800;
    private const long MaxUnixSeconds = 253_402_300_799;

    private static async Task<RecommendationException> Refused(string text, InteractionFileFormat? format = null) =>
        await Assert.ThrowsAsync<RecommendationException>(async () =>
            await InteractionFileReader.ReadAsync(new StringReader(text), format ?? InteractionFileFormat.MovieLens100K).ToListAsync());

    [Theory]
    [InlineData("253402300800")]
    [InlineData("-62135596801")]
    [InlineData("9223372036854775807")]
    [InlineData("-9223372036854775808")]
    [InlineData("99999999999999999999")]
    public async Task Unix_seconds_outside_the_date_range_are_a_typed_error_with_the_line(string seconds)
    {
        var ex = await Refused($"u1\ti1\t3\t881250949\nu2\ti2\t4\t{seconds}\n");
        Assert.Equal(RecommendationErrorReason.InvalidData, ex.Reason);
        Assert.Equal(2, ex.Line);
        Assert.Equal(3, ex.Column);
        Assert.DoesNotContain(seconds, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("NaN")]
    [InlineData("1e309")]
    [InlineData("-1e309")]
    public async Task Weights_that_are_not_finite_are_a_typed_error_even_when_incomplete_rows_are_skipped(string weight)
    {
        var format = new InteractionFileFormat { SkipIncompleteRows = true };
        var ex = await Refused($"user,item,rating,time\nu1,i1,1,2011-01-02 10:00:00\nu1,i2,{weight},2011-01-02 10:00:00\n", format);
        Assert.Equal(3, ex.Line);
        Assert.Equal(2, ex.Column);
    }

    [Fact]
    public async Task The_edges_of_the_date_range_are_read()
    {
        var rows = await InteractionFileReader.ReadAsync(new StringReader($"u\ti\t1\t{MinUnixSeconds}\nu\ti\t1\t{MaxUnixSeconds}\n"), InteractionFileFormat.MovieLens100K).ToListAsync();
        Assert.Equal(DateTimeOffset.MinValue, rows[0].OccurredAt);
        Assert.Equal(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero), rows[1].OccurredAt);
    }

    private static Arbitrary<long> OutOfRangeSeconds() =>
        Gen.OneOf(
                Gen.Choose(1, int.MaxValue).Select(k => MaxUnixSeconds + k * 4_294_967L),
                Gen.Choose(1, int.MaxValue).Select(k => MinUnixSeconds - k * 4_294_967L),
                Gen.Elements(long.MaxValue, long.MinValue, MaxUnixSeconds + 1, MinUnixSeconds - 1))
            .ToArbitrary();

    [Property(MaxTest = 200)]
    public Property Any_out_of_range_time_on_any_line_is_a_typed_error_naming_that_line() =>
        Prop.ForAll(OutOfRangeSeconds(), Gen.Choose(0, 30).ToArbitrary(), (seconds, goodLines) =>
        {
            var text = string.Concat(Enumerable.Repeat("u\ti\t1\t881250949\n", goodLines)) + $"u\ti\t1\t{seconds.ToString(CultureInfo.InvariantCulture)}\n";
            var ex = Refused(text).GetAwaiter().GetResult();
            return ex.Line == goodLines + 1 && ex.Column == 3;
        });

    [Property(MaxTest = 300)]
    public Property Every_finite_positive_weight_and_in_range_time_reads_back_exactly() =>
        Prop.ForAll(
            ArbMap.Default.GeneratorFor<double>().Where(d => double.IsFinite(d) && d > 0).ToArbitrary(),
            Gen.Choose(-621_355_967, int.MaxValue).Select(k => (long)k * 100).ToArbitrary(),
            (weight, seconds) =>
            {
                var text = $"u\ti\t{weight.ToString("R", CultureInfo.InvariantCulture)}\t{seconds.ToString(CultureInfo.InvariantCulture)}\n";
                var row = Assert.Single(InteractionFileReader.ReadAsync(new StringReader(text), InteractionFileFormat.MovieLens100K).ToListAsync().AsTask().GetAwaiter().GetResult());
                return row.Weight == weight && row.OccurredAt == DateTimeOffset.FromUnixTimeSeconds(seconds) && double.IsFinite(row.Weight);
            });

    [Property(MaxTest = 300)]
    public Property Arbitrary_text_yields_finite_rows_or_the_typed_error() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string[]>(), lines =>
        {
            var text = string.Join('\n', (lines ?? []).Select(l => (l ?? "").Replace('\r', ' ').Replace('\n', ' ')));
            try
            {
                var rows = InteractionFileReader.ReadAsync(new StringReader(text), new InteractionFileFormat { HasHeader = false, Delimiter = ',' })
                    .ToListAsync().AsTask().GetAwaiter().GetResult();
                return rows.All(r => double.IsFinite(r.Weight) && r.Weight > 0);
            }
            catch (RecommendationException ex)
            {
                return ex.Line is > 0 && ex.Column is >= 0;
            }
        });
}
