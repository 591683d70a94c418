using Microsoft.Extensions.Options;

namespace Marketing.Sdk.AspNetCore.HealthChecks;

/// <summary>Thresholds of the health checks added by <c>AddMarketingHealthChecks</c> (section <c>Marketing:HealthChecks</c> in the sample).</summary>
public sealed class MarketingHealthCheckOptions
{
    /// <summary>The configuration section name the sample binds.</summary>
    public const string SectionName = "Marketing:HealthChecks";

    /// <summary>The outbox is degraded when a destination's oldest waiting message is at least this old (default 5 minutes; positive).</summary>
    public TimeSpan BacklogAgeDegraded { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The outbox is unhealthy when a destination's oldest waiting message is at least this old (default 1 hour; at least <see cref="BacklogAgeDegraded"/>).</summary>
    public TimeSpan BacklogAgeUnhealthy { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The window in which dead letters are counted (default 1 hour; 1 minute to 30 days).</summary>
    public TimeSpan DeadLetterWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Degraded when a destination has at least this many dead letters in the window (default 1; at least 1).</summary>
    public int DeadLettersDegraded { get; set; } = 1;

    /// <summary>Unhealthy when a destination has at least this many dead letters in the window (default 100; at least <see cref="DeadLettersDegraded"/>).</summary>
    public int DeadLettersUnhealthy { get; set; } = 100;

    /// <summary>
    /// Dead letters whose reason starts with this text are not counted (default <c>consent_withheld:</c>,
    /// the prefix of conversions the consent gate withheld: a lawful outcome, not a failure). Empty counts all.
    /// </summary>
    public string IgnoredDeadLetterPrefix { get; set; } = "consent_withheld:";

    /// <summary>Keys of the platform token providers to check (keyed <c>IAccessTokenProvider</c> services; default <c>meta</c>, <c>google</c>, <c>tiktok</c>, <c>tencent_ads</c>, <c>ocean_engine</c>; missing keys are skipped).</summary>
    public IList<string> TokenProviderKeys { get; } = ["meta", "google", "tiktok", "tencent_ads", "ocean_engine"];

    /// <summary>How long a token provider may take before it counts as unhealthy (default 10 seconds; 1 second to 5 minutes).</summary>
    public TimeSpan TokenTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

internal sealed class MarketingHealthCheckOptionsValidator : IValidateOptions<MarketingHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketingHealthCheckOptions o)
    {
        var failures = new List<string>();
        if (o.BacklogAgeDegraded <= TimeSpan.Zero)
        {
            failures.Add("BacklogAgeDegraded must be positive.");
        }
        if (o.BacklogAgeUnhealthy < o.BacklogAgeDegraded)
        {
            failures.Add("BacklogAgeUnhealthy must be at least BacklogAgeDegraded.");
        }
        if (o.DeadLetterWindow < TimeSpan.FromMinutes(1) || o.DeadLetterWindow > TimeSpan.FromDays(30))
        {
            failures.Add("DeadLetterWindow must be between 00:01:00 and 30.00:00:00.");
        }
        if (o.DeadLettersDegraded < 1)
        {
            failures.Add("DeadLettersDegraded must be at least 1.");
        }
        if (o.DeadLettersUnhealthy < o.DeadLettersDegraded)
        {
            failures.Add("DeadLettersUnhealthy must be at least DeadLettersDegraded.");
        }
        if (o.TokenTimeout < TimeSpan.FromSeconds(1) || o.TokenTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("TokenTimeout must be between 00:00:01 and 00:05:00.");
        }
        if (o.TokenProviderKeys.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("TokenProviderKeys must not contain empty keys.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
