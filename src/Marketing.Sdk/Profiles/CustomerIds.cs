namespace Marketing.Sdk.Profiles;

/// <summary>The check every entry point of the core applies to a customer id it is given.</summary>
internal static class CustomerIds
{
    /// <summary>
    /// Rejects <c>default(CustomerId)</c>, the one way to hold a <see cref="CustomerId"/> that its
    /// constructor did not validate (every other value is 1-64 characters of the allowed set).
    /// </summary>
    /// <exception cref="MarketingValidationException">The id is empty (<see cref="ValidationReason.Missing"/>).</exception>
    public static CustomerId Ensure(CustomerId id, string field = "customerId", int? index = null) =>
        id.Value is null
            ? throw new MarketingValidationException(field, ValidationReason.Missing, "A customer id must not be empty (default).", index)
            : id;
}
