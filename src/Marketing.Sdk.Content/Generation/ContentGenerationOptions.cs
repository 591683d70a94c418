namespace Marketing.Sdk.Content.Generation;

/// <summary>Settings of generation through an <c>IChatClient</c> (part of <see cref="ContentOptions"/>, validated at start).</summary>
public sealed class ContentGenerationOptions
{
    /// <summary>The most variants one brief may ask for (default 10, at most 50).</summary>
    public int MaxVariants { get; set; } = 10;

    /// <summary>How often a rejected variant is sent back to the model with its findings (default 2; 0 turns the rewrite loop off; at most 10).</summary>
    public int MaxRewriteAttempts { get; set; } = 2;

    /// <summary>How long one request to the model may take before it is cancelled and counted as a transient failure (default 60 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a request that failed transiently (timeout, network error, 408/429/5xx) is tried again (default 2; at most 10).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The wait before the first retry, doubled for each further one (default 1 s; zero retries at once).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The model to ask for (<c>ChatOptions.ModelId</c>); <see langword="null"/> leaves it to the client.</summary>
    public string? ModelId { get; set; }

    /// <summary>The sampling temperature (<c>ChatOptions.Temperature</c>, 0–2); <see langword="null"/> leaves it to the client.</summary>
    public float? Temperature { get; set; }

    /// <summary>The most output tokens per request (<c>ChatOptions.MaxOutputTokens</c>); <see langword="null"/> leaves it to the client.</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>The price of 1 000 input tokens, for cost accounting (default 0).</summary>
    public decimal InputPricePer1KTokens { get; set; }

    /// <summary>The price of 1 000 output tokens, for cost accounting (default 0).</summary>
    public decimal OutputPricePer1KTokens { get; set; }

    /// <summary>The ISO 4217 currency of the prices (default <c>CNY</c>).</summary>
    public string Currency { get; set; } = "CNY";

    /// <summary>The service key of a keyed <c>IChatClient</c> registration; <see langword="null"/> uses the unkeyed one.</summary>
    public string? ChatClientKey { get; set; }

    internal IEnumerable<string> Errors()
    {
        if (MaxVariants is < 1 or > 50)
        {
            yield return "Generation.MaxVariants must be between 1 and 50.";
        }

        if (MaxRewriteAttempts is < 0 or > 10)
        {
            yield return "Generation.MaxRewriteAttempts must be between 0 and 10.";
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromHours(1))
        {
            yield return "Generation.RequestTimeout must be positive and at most one hour.";
        }

        if (MaxRetries is < 0 or > 10)
        {
            yield return "Generation.MaxRetries must be between 0 and 10.";
        }

        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromMinutes(1))
        {
            yield return "Generation.RetryDelay must be between zero and one minute.";
        }

        if (Temperature is { } t && (float.IsNaN(t) || t < 0 || t > 2))
        {
            yield return "Generation.Temperature must be between 0 and 2.";
        }

        if (MaxOutputTokens is < 1)
        {
            yield return "Generation.MaxOutputTokens must be positive.";
        }

        if (InputPricePer1KTokens < 0 || OutputPricePer1KTokens < 0)
        {
            yield return "Generation prices must not be negative.";
        }

        if (Currency is null || Currency.Length != 3 || !Currency.All(char.IsAsciiLetterUpper))
        {
            yield return "Generation.Currency must be an ISO 4217 code (three upper-case letters).";
        }
    }
}
