namespace Marketing.Sdk.Recommendations;

/// <summary>Why a recommendation call failed.</summary>
public enum RecommendationErrorReason
{
    /// <summary>No model has been trained or published yet.</summary>
    ModelNotReady,
    /// <summary>The input data cannot be used (for example an empty training set or an unreadable file).</summary>
    InvalidData,
}

/// <summary>Thrown by the recommendations package when a call cannot be served. Messages contain no personal data.</summary>
public sealed class RecommendationException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the call failed.</param>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause, if any.</param>
    public RecommendationException(RecommendationErrorReason reason, string message, Exception? innerException = null)
        : base(message, innerException) => Reason = reason;

    /// <summary>Why the call failed.</summary>
    public RecommendationErrorReason Reason { get; }
}
