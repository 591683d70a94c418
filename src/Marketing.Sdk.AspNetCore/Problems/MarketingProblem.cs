using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Marketing.Sdk.AspNetCore.Problems;

/// <summary>
/// A problem to answer with: status, stable type, title, a detail without personal data and, for
/// input problems, the field and reason. <see cref="ToProblemDetails"/> makes the RFC 9457 body
/// (extensions <c>field</c>, <c>reason</c> and <c>code</c>).
/// </summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Type">The type URI (<see cref="MarketingProblemTypes"/>).</param>
/// <param name="Title">A short, stable title per type.</param>
/// <param name="Detail">An explanation without personal data.</param>
/// <param name="Code">A stable machine code (e.g. <c>validation.missing</c>).</param>
/// <param name="Field">The offending field, if the problem is about one.</param>
/// <param name="Reason">Why the field was refused, if the problem is about one.</param>
/// <param name="RetryAfter">When to retry, for 429 and 503 answers.</param>
public sealed record MarketingProblem(int Status, string Type, string Title, string Detail, string Code, string? Field = null, string? Reason = null, TimeSpan? RetryAfter = null)
{
    /// <summary>A problem about one field.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="type">The type URI.</param>
    /// <param name="field">The field path.</param>
    /// <param name="reason">The reason.</param>
    /// <param name="code">The stable code.</param>
    /// <param name="detail">The explanation.</param>
    public static MarketingProblem ForField(int status, string type, string field, string reason, string code, string detail) =>
        new(status, type, TitleOf(type), detail, code, field, reason);

    /// <summary>The RFC 9457 body.</summary>
    public ProblemDetails ToProblemDetails()
    {
        var details = new ProblemDetails { Status = Status, Type = Type, Title = Title, Detail = Detail };
        details.Extensions["code"] = Code;
        if (Field is not null)
        {
            details.Extensions["field"] = Field;
        }
        if (Reason is not null)
        {
            details.Extensions["reason"] = Reason;
        }
        return details;
    }

    /// <summary>The stable title of a problem type.</summary>
    /// <param name="type">The type URI.</param>
    public static string TitleOf(string type) => type switch
    {
        MarketingProblemTypes.Validation => "A value was rejected.",
        MarketingProblemTypes.InvalidJson => "The request body is not valid JSON for this endpoint.",
        MarketingProblemTypes.SegmentRule => "The segment rule cannot be parsed.",
        MarketingProblemTypes.ConsentWithheld => "The customer's consent does not allow this.",
        MarketingProblemTypes.NotFound => "The resource does not exist.",
        MarketingProblemTypes.Conflict => "The resource was changed or is in use.",
        MarketingProblemTypes.RequestTooLarge => "The request body is too large.",
        MarketingProblemTypes.UnsupportedMediaType => "The request body must be JSON.",
        MarketingProblemTypes.Unprocessable => "The request cannot be processed.",
        MarketingProblemTypes.TooManyRequests => "Too many requests.",
        MarketingProblemTypes.PlatformRejected => "The platform refused the request.",
        MarketingProblemTypes.PlatformUnavailable => "The platform is unavailable.",
        MarketingProblemTypes.StoreUnavailable => "The database is unavailable.",
        MarketingProblemTypes.NotReady => "Not ready yet.",
        MarketingProblemTypes.StoreFailure => "The database failed.",
        _ => "An unexpected error occurred.",
    };

    internal static int StatusOf(string type) => type switch
    {
        MarketingProblemTypes.Validation or MarketingProblemTypes.InvalidJson or MarketingProblemTypes.SegmentRule => StatusCodes.Status400BadRequest,
        MarketingProblemTypes.ConsentWithheld => StatusCodes.Status403Forbidden,
        MarketingProblemTypes.NotFound => StatusCodes.Status404NotFound,
        MarketingProblemTypes.Conflict => StatusCodes.Status409Conflict,
        MarketingProblemTypes.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        MarketingProblemTypes.PlatformRejected => StatusCodes.Status502BadGateway,
        MarketingProblemTypes.PlatformUnavailable or MarketingProblemTypes.StoreUnavailable or MarketingProblemTypes.NotReady => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
