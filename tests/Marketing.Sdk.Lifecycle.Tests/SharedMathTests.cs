namespace Marketing.Sdk.Lifecycle.Tests;

public class SharedMathTests
{
    [Theory]
    // ln Γ(x) from mpmath.loggamma at 50 digits.
    [InlineData(0.5, 0.57236494292470008707)]
    [InlineData(1e-3, 6.9071788853838536)]
    [InlineData(10, 12.801827480081469611)]
    [InlineData(100.5, 361.43554046777762156)]
    public void LogGamma_is_the_shared_implementation_and_accurate(double x, double expected)
    {
        // One LogGamma for Lifecycle and Experimentation: src/Shared/Math, compiled into both.
        Assert.NotNull(typeof(LifecycleOptions).Assembly.GetType("Marketing.Sdk.Mathematics.GammaFunction"));
        var actual = Models.SpecialFunctions.LogGamma(x);
        Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Abs(expected), $"{actual:R} vs {expected:R}");
    }
}
