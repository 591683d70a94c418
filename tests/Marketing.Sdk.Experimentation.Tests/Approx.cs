namespace Marketing.Sdk.Experimentation.Tests;

internal static class Approx
{
    /// <summary>Asserts |actual − expected| ≤ rel·|expected| (or ≤ rel when expected is 0).</summary>
    public static void Relative(double expected, double actual, double rel, string? what = null)
    {
        var tolerance = expected == 0 ? rel : rel * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{what} expected {expected:R}, got {actual:R} (relative error {(expected == 0 ? actual : (actual - expected) / expected):E2}, allowed {rel:E1})");
    }

    /// <summary>Four significant digits, the acceptance bar.</summary>
    public static void FourDigits(double expected, double actual, string? what = null) => Relative(expected, actual, 5e-5, what);
}
