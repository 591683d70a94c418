namespace Marketing.Sdk.Content.Generation;

/// <summary>Why a generation failed.</summary>
public enum ContentGenerationFailure
{
    /// <summary>The answer is not the JSON asked for (not JSON, or a field of the wrong shape).</summary>
    MalformedResponse,

    /// <summary>The answer holds fewer variants than asked for.</summary>
    TooFewVariants,

    /// <summary>Two variants of the answer carry the same copy.</summary>
    DuplicateVariant,

    /// <summary>The model declined to write the copy (an explicit refusal or a content filter).</summary>
    Refused,

    /// <summary>A variant breaks a rule of its channel (a length, a count, a convention) and is still used.</summary>
    OverChannelLimit,

    /// <summary>A variant holds terms the ad-copy review refuses (absolute claims such as 最佳, 第一, 国家级 …) and is still used.</summary>
    AdCopyRejected,

    /// <summary>Every attempt ran past the per-request timeout.</summary>
    TimedOut,

    /// <summary>The chat client failed with a transient error on every attempt, or with an error that is not transient.</summary>
    ClientFailed,
}

/// <summary>
/// Thrown when a generation fails. Names the field (e.g. <c>variants</c>, <c>variants[2].title</c>, <c>response</c>)
/// and the reason; never the copy, the brief or the model's answer.
/// </summary>
public sealed class ContentGenerationException : ContentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failure">Why it failed.</param>
    /// <param name="field">The field concerned.</param>
    /// <param name="detail">The reason in words, without copy or personal data.</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public ContentGenerationException(ContentGenerationFailure failure, string field, string detail, Exception? innerException = null)
        : base($"Content generation failed ({failure}) at '{field}': {detail}", innerException)
    {
        Failure = failure;
        Field = field;
        Detail = detail;
    }

    /// <summary>Why it failed.</summary>
    public ContentGenerationFailure Failure { get; }

    /// <summary>The field concerned (e.g. <c>variants</c>, <c>variants[2].title</c>, <c>response</c>).</summary>
    public string Field { get; }

    /// <summary>The reason in words.</summary>
    public string Detail { get; }
}
