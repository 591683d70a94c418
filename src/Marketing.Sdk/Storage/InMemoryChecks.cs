using Marketing.Sdk.Profiles;

namespace Marketing.Sdk.Storage;

/// <summary>
/// The shape checks the durable stores make (null collections, empty ids), made by the in-memory
/// stores too, so that every store rejects the same records with the same typed error.
/// </summary>
internal static class InMemoryChecks
{
    public static void Event(MarketingEvent? e, int index)
    {
        if (e is null)
        {
            throw new MarketingValidationException("event", ValidationReason.Missing, "The event is null.", index);
        }
        if (e.CustomerId is not { } customer)
        {
            throw new MarketingValidationException("customerId", ValidationReason.Missing, "Stored events need a resolved customer id.", index);
        }
        CustomerIds.Ensure(customer, index: index);
        StoreLimits.EnsureKey(e.Id, "id", index);
        if (e.Identities is null)
        {
            throw new MarketingValidationException("identities", ValidationReason.InvalidFormat, "Identities must be a list, not null.", index);
        }
        if (e.Properties is null)
        {
            throw new MarketingValidationException("properties", ValidationReason.InvalidFormat, "Properties must be an object, not null.", index);
        }
        if (e.Order is { } order)
        {
            if (order.Lines is null)
            {
                throw new MarketingValidationException("order.lines", ValidationReason.Missing, "An order needs its lines.", index);
            }
            for (var i = 0; i < order.Lines.Count; i++)
            {
                if (order.Lines[i] is null)
                {
                    throw new MarketingValidationException($"order.lines[{i}]", ValidationReason.Missing, "Order lines must not be null.", index);
                }
            }
        }
    }

    public static void Profile(CustomerProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        CustomerIds.Ensure(profile.Id, "id");
        if (profile.Identities is null)
        {
            throw new MarketingValidationException("identities", ValidationReason.InvalidFormat, "Identities must be a list, not null.");
        }
        if (profile.Traits is null)
        {
            throw new MarketingValidationException("traits", ValidationReason.InvalidFormat, "Traits must be an object, not null.");
        }
        if (profile.StaticTags is null || profile.DynamicTags is null)
        {
            throw new MarketingValidationException(profile.StaticTags is null ? "staticTags" : "dynamicTags", ValidationReason.InvalidFormat, "Tags must be a set, not null.");
        }
    }
}
