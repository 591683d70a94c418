namespace Marketing.Sdk.Recommendations;

/// <summary>Weights of behaviour events as implicit feedback (view &lt; cart &lt; purchase by default).</summary>
public sealed record InteractionWeights
{
    /// <summary>Weight of a product view; default 1.</summary>
    public double View { get; init; } = 1;

    /// <summary>Weight of a review; default 2.</summary>
    public double Review { get; init; } = 2;

    /// <summary>Weight of an add-to-cart; default 3.</summary>
    public double Cart { get; init; } = 3;

    /// <summary>Weight of a purchased order line; default 5.</summary>
    public double Purchase { get; init; } = 5;

    internal void Validate()
    {
        foreach (var (name, w) in new[] { ("view", View), ("review", Review), ("cart", Cart), ("purchase", Purchase) })
        {
            if (!(w > 0) || double.IsInfinity(w))
            {
                throw new MarketingValidationException("eventWeights." + name, ValidationReason.OutOfRange, "Event weights are positive finite numbers.");
            }
        }
    }
}

/// <summary>Turns behaviour events into interactions.</summary>
public static class InteractionExtractor
{
    /// <summary>The event types that carry item feedback.</summary>
    public static IReadOnlyList<EventType> EventTypes { get; } = [EventType.ProductView, EventType.AddToCart, EventType.Review, EventType.Purchase];

    /// <summary>
    /// Extracts interactions: product views, add-to-cart and reviews (property <c>product_id</c>) and
    /// every line of a purchase's order (or the purchase's <c>product_id</c> when it has no order).
    /// Events without a resolved customer are skipped; other event types are ignored.
    /// </summary>
    /// <param name="events">The events.</param>
    /// <param name="weights">Event weights; defaults when <see langword="null"/>.</param>
    public static IEnumerable<Interaction> FromEvents(IEnumerable<MarketingEvent> events, InteractionWeights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        weights ??= new InteractionWeights();
        weights.Validate();
        return Extract(events, weights);
    }

    private static IEnumerable<Interaction> Extract(IEnumerable<MarketingEvent> events, InteractionWeights weights)
    {
        foreach (var e in events)
        {
            if (e.CustomerId is not { } customer)
            {
                continue;
            }
            var user = customer.Value;
            var product = e.Property(EventProperties.ProductId).AsString();
            if (e.Type == EventType.Purchase)
            {
                if (e.Order is { Lines.Count: > 0 } order && order.Status is not (OrderStatus.Cancelled or OrderStatus.Refunded))
                {
                    foreach (var line in order.Lines)
                    {
                        yield return new Interaction(user, line.ProductId, e.OccurredAt, weights.Purchase, InteractionKind.Purchase);
                    }
                }
                else if (e.Order is null && !string.IsNullOrEmpty(product))
                {
                    yield return new Interaction(user, product, e.OccurredAt, weights.Purchase, InteractionKind.Purchase);
                }
                continue;
            }
            if (string.IsNullOrEmpty(product))
            {
                continue;
            }
            if (e.Type == EventType.ProductView)
            {
                yield return new Interaction(user, product, e.OccurredAt, weights.View, InteractionKind.View);
            }
            else if (e.Type == EventType.AddToCart)
            {
                yield return new Interaction(user, product, e.OccurredAt, weights.Cart, InteractionKind.Cart);
            }
            else if (e.Type == EventType.Review)
            {
                yield return new Interaction(user, product, e.OccurredAt, weights.Review, InteractionKind.Rating);
            }
        }
    }
}
