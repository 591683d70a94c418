namespace Marketing.Sdk.Recommendations;

/// <summary>Why a recommendation call failed.</summary>
public enum RecommendationErrorReason
{
    /// <summary>No model has been trained or published yet. The default <see cref="IRecommender"/> no longer throws it: it falls back to popularity and says so in <see cref="RecommendationList.Fallback"/>.</summary>
    ModelNotReady,
    /// <summary>The input data cannot be used (for example an empty training set or an unreadable file).</summary>
    InvalidData,
    /// <summary>A stored model version cannot be loaded: a chunk is missing, its content hash differs or its data cannot be read. The host keeps serving the version it has.</summary>
    ModelCorrupt,
    /// <summary>A publish was refused because a writer holding a newer lease (a higher fencing token) has published since.</summary>
    StalePublisher,
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

    /// <summary>Creates the exception for a value read from delimited text.</summary>
    /// <param name="reason">Why the call failed.</param>
    /// <param name="message">A message without personal data (it names the line and column, never the value).</param>
    /// <param name="line">The 1-based line of the input.</param>
    /// <param name="column">The 0-based column of the input.</param>
    public RecommendationException(RecommendationErrorReason reason, string message, int line, int column)
        : base(message)
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    /// <summary>Why the call failed.</summary>
    public RecommendationErrorReason Reason { get; }

    /// <summary>The stored model version concerned, when the failure is about one.</summary>
    public long? ModelVersion { get; init; }

    /// <summary>The 1-based line of the input that could not be read, or <see langword="null"/> when the failure is not about one line.</summary>
    public int? Line { get; }

    /// <summary>The 0-based column of the input that could not be read, or <see langword="null"/> when the failure is not about one column.</summary>
    public int? Column { get; }
}
