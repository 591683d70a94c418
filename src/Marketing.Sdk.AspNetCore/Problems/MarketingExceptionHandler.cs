using System.Diagnostics;
using System.Globalization;
using Marketing.Sdk.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.AspNetCore.Problems;

/// <summary>
/// Answers every exception with an RFC 9457 ProblemDetails body (<see cref="MarketingProblemMapper"/>),
/// in every environment. Logs the problem type and the exception's type code; the exception itself
/// only redacted, at Debug.
/// </summary>
internal sealed class MarketingExceptionHandler(
    IProblemDetailsService problemDetails,
    IOptions<MarketingProblemDetailsOptions> options,
    AspNetCoreMetrics metrics,
    ILogger<MarketingExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return false; // the client went away; there is nobody to answer
        }
        var problem = MarketingProblemMapper.Map(exception, options.Value.DefaultRetryAfter);
        var code = RedactedException.Code(exception);
        if (problem.Type == MarketingProblemTypes.Internal)
        {
            Log.UnexpectedProblem(logger, problem.Status, problem.Type, code);
        }
        else
        {
            Log.ProblemWritten(logger, problem.Status, problem.Type, code);
        }
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(exception);
            Log.ProblemException(logger, problem.Type, redacted);
        }
        metrics.Problems.Add(1, new KeyValuePair<string, object?>("marketing.problem_type", problem.Type), new KeyValuePair<string, object?>("http.response.status_code", problem.Status));
        return await WriteAsync(httpContext, problemDetails, problem).ConfigureAwait(false);
    }

    internal static async ValueTask<bool> WriteAsync(HttpContext httpContext, IProblemDetailsService? service, MarketingProblem problem)
    {
        var response = httpContext.Response;
        if (response.HasStarted)
        {
            return false;
        }
        response.StatusCode = problem.Status;
        if (problem.RetryAfter is { } retry)
        {
            response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        var details = problem.ToProblemDetails();
        details.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        if (service is not null && await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details }).ConfigureAwait(false))
        {
            return true;
        }
        // No writer accepted the client's Accept header: answer JSON anyway, a body beats an empty error.
        await TypedResults.Problem(details).ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }
}
