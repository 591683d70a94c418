namespace Marketing.Sdk.Recommendations;

/// <summary>What a customer did with an item; orders the strength of the signal for explanations.</summary>
public enum InteractionKind
{
    /// <summary>Any other signal (an imported rating-free record, a share).</summary>
    Other = 0,
    /// <summary>The item was viewed.</summary>
    View = 1,
    /// <summary>The item was rated or reviewed.</summary>
    Rating = 2,
    /// <summary>The item was added to the cart.</summary>
    Cart = 3,
    /// <summary>The item was bought.</summary>
    Purchase = 4,
}

/// <summary>
/// One piece of implicit or explicit feedback: a user did something with an item at a time, with a
/// weight (the event-type weight for behaviour, the rating for rating data).
/// </summary>
/// <param name="UserId">The user (for shop data, <see cref="CustomerId.Value"/>).</param>
/// <param name="ItemId">The item (product id, SKU, stock code).</param>
/// <param name="OccurredAt">When it happened.</param>
/// <param name="Weight">The strength of the signal (positive).</param>
/// <param name="Kind">What happened (used for explanations and the purchased-item filter).</param>
public readonly record struct Interaction(string UserId, string ItemId, DateTimeOffset OccurredAt, double Weight = 1.0, InteractionKind Kind = InteractionKind.Other);

/// <summary>An item with a score, as returned by the recommenders (higher is better).</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">The score.</param>
public readonly record struct ScoredItem(string ItemId, double Score);

/// <summary>
/// Anything that ranks items for a user it was trained on; what the <see cref="Evaluation.EvaluationRunner"/>
/// evaluates.
/// </summary>
public interface IInteractionRecommender
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>
    /// The <paramref name="count"/> best items for <paramref name="userId"/>, best first; ties are
    /// broken by item id (ordinal), so the result is deterministic. Unknown users get what the
    /// recommender can offer without history (possibly nothing).
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="count">How many items at most.</param>
    /// <param name="excludeSeen">Whether items the user already interacted with are left out.</param>
    IReadOnlyList<ScoredItem> Recommend(string userId, int count, bool excludeSeen = true);
}
