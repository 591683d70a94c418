using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Delivery;

/// <summary>Validates <see cref="PlatformDeliveryOptions"/> when the host starts.</summary>
internal sealed class PlatformDeliveryOptionsValidator : IValidateOptions<PlatformDeliveryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PlatformDeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.WorkerId))
        {
            errors.Add("PlatformDeliveryOptions.WorkerId is required.");
        }
        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            errors.Add("PlatformDeliveryOptions.LeaseDuration must be at least one second.");
        }
        if (options.PollInterval <= TimeSpan.Zero)
        {
            errors.Add("PlatformDeliveryOptions.PollInterval must be positive.");
        }
        if (options.ConcurrentBatches is < 1 or > 64)
        {
            errors.Add("PlatformDeliveryOptions.ConcurrentBatches must be between 1 and 64.");
        }
        if (options.MaxBatchBytes < 1024)
        {
            errors.Add("PlatformDeliveryOptions.MaxBatchBytes must be at least 1 KiB.");
        }
        if (options.MaxAttempts is < 1 or > 1000)
        {
            errors.Add("PlatformDeliveryOptions.MaxAttempts must be between 1 and 1000.");
        }
        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add("PlatformDeliveryOptions.RetryMaxDelay must be at least RetryBaseDelay (and neither negative).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
