using System.Net;
using Marketing.Sdk.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Content.Generation;

/// <summary>
/// The generator's stage of the chat client pipeline: a per-attempt timeout (on the <see cref="TimeProvider"/>), a bounded
/// number of retries of transient failures with doubling delays, and the caller's cancellation honoured throughout
/// (a cancelled caller is never retried). Failures leave as <see cref="ContentGenerationException"/>.
/// </summary>
internal sealed class ResilientChatClient(IChatClient inner, ContentGenerationOptions options, TimeProvider time, ContentMetrics metrics, ILogger logger)
    : DelegatingChatClient(inner)
{
    /// <summary>The request's kind for logs and metrics (generate, rewrite).</summary>
    public static readonly string KindKey = "marketing.content.kind";

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
    {
        var kind = chatOptions?.AdditionalProperties?.TryGetValue(KindKey, out var k) == true ? k as string ?? "generate" : "generate";
        var list = messages as IList<ChatMessage> ?? [.. messages];
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ContentGenerationFailure failure;
            Exception cause;
            using (var timeout = new CancellationTokenSource(options.RequestTimeout, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    var response = await base.GetResponseAsync(list, chatOptions, linked.Token).ConfigureAwait(false);
                    metrics.Requests.Add(1, new("kind", kind), new("outcome", "ok"));
                    return response;
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = ContentGenerationFailure.TimedOut;
                    cause = e;
                    metrics.Requests.Add(1, new("kind", kind), new("outcome", "timeout"));
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTransient(e))
                {
                    failure = ContentGenerationFailure.ClientFailed;
                    cause = e;
                    metrics.Requests.Add(1, new("kind", kind), new("outcome", "transient"));
                }
                catch (Exception e) when (e is not OperationCanceledException && e is not ContentException)
                {
                    metrics.Requests.Add(1, new("kind", kind), new("outcome", "failed"));
                    throw new ContentGenerationException(ContentGenerationFailure.ClientFailed, "request", $"the chat client failed ({RedactedException.Code(e)})", RedactedException.From(e));
                }
            }

            if (attempt > options.MaxRetries)
            {
                var detail = failure == ContentGenerationFailure.TimedOut
                    ? $"{attempt} attempts each ran past the timeout of {options.RequestTimeout.TotalSeconds:0.###} s"
                    : $"{attempt} attempts failed transiently (last: {RedactedException.Code(cause)})";
                throw new ContentGenerationException(failure, "request", detail, RedactedException.From(cause));
            }

            ContentLog.RequestRetried(logger, kind, attempt, failure == ContentGenerationFailure.TimedOut ? "timeout" : RedactedException.Code(cause));
            var delay = options.RetryDelay * Math.Pow(2, attempt - 1);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Timeouts, network failures and HTTP 408, 429 and 5xx answers are worth another attempt.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        TimeoutException => true,
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } s } => s is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)s >= 500,
        IOException => true,
        _ => false,
    };
}
