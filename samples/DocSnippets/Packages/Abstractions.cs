#region usings
using Marketing.Sdk;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Abstractions (docs/how-to).</summary>
public static class AbstractionsSnippets
{
    /// <summary>The domain model: identities, money and an event.</summary>
    public static MarketingEvent Example1()
    {
        #region example1
        // Identities are normalised values of a kind; a customer has many, resolved into one profile.
        Identity[] identities = [Identity.Member("m-1001"), Identity.Email("ada@example.com"), Identity.Cookie("c-77")];

        // Money is a decimal amount with an ISO 4217 currency; amounts in different currencies never mix.
        var total = new Money(129.90m, "EUR");

        var purchase = new MarketingEvent
        {
            Id = "order-1001:purchase",          // de-duplication key
            Type = EventType.Purchase,
            OccurredAt = DateTimeOffset.UtcNow,
            Identities = identities,
            Value = total,
        };
        #endregion
        return purchase;
    }
}
