using Microsoft.Extensions.Options;

namespace Marketing.Sdk.AspNetCore.Problems;

/// <summary>Settings of <c>AddMarketingProblemDetails</c> (configuration section <c>Marketing:ProblemDetails</c> in the sample).</summary>
public sealed class MarketingProblemDetailsOptions
{
    /// <summary>The configuration section name the sample binds.</summary>
    public const string SectionName = "Marketing:ProblemDetails";

    /// <summary><c>Retry-After</c> of 503 answers when the exception carries no hint (default 30 seconds; 1 second to 1 hour).</summary>
    public TimeSpan DefaultRetryAfter { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class MarketingProblemDetailsOptionsValidator : IValidateOptions<MarketingProblemDetailsOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketingProblemDetailsOptions options) =>
        options.DefaultRetryAfter < TimeSpan.FromSeconds(1) || options.DefaultRetryAfter > TimeSpan.FromHours(1)
            ? ValidateOptionsResult.Fail("DefaultRetryAfter must be between 00:00:01 and 01:00:00.")
            : ValidateOptionsResult.Success;
}
