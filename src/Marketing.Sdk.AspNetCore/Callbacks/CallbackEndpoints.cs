using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using Marketing.Sdk.AspNetCore.Callbacks;
using Marketing.Sdk.AspNetCore.Problems;
using Marketing.Sdk.Platforms.Callbacks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the platform callback endpoints: <c>app.MapMarketingCallbacks()</c>.</summary>
public static class MarketingCallbackEndpointRouteBuilderExtensions
{
    private const int ReadChunk = 16 * 1024;

    /// <summary>
    /// Maps <c>GET</c> and <c>POST {prefix}/{name}</c> to the registered <see cref="IPlatformCallbackHandler"/> of that
    /// name (WeCom, the WeChat Official Account, SMS receipts…; each package registers its own). An unknown name is
    /// answered 404; a body larger than the handler's <see cref="IPlatformCallbackHandler.MaxBodyBytes"/> is refused
    /// with 413 before the handler runs; a handler that takes longer than
    /// <see cref="MarketingCallbackOptions.Timeout"/> is cancelled and answered 503 so the platform retries. Nothing of
    /// a request's content is logged. Handler names are checked here: well-formed and unique.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="prefix">The route prefix (default <c>/marketing/callbacks</c>).</param>
    /// <returns>The group, for rate limiting, IP allow-lists and the like.</returns>
    /// <exception cref="InvalidOperationException">Two handlers share a name, a name is malformed, or the options are out of range.</exception>
    public static RouteGroupBuilder MapMarketingCallbacks(this IEndpointRouteBuilder endpoints, string prefix = "/marketing/callbacks")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var services = endpoints.ServiceProvider;
        var options = services.GetService<IOptions<MarketingCallbackOptions>>()?.Value ?? new MarketingCallbackOptions();
        options.Validate();
        var handlers = new Dictionary<string, IPlatformCallbackHandler>(StringComparer.Ordinal);
        foreach (var handler in services.GetServices<IPlatformCallbackHandler>())
        {
            if (!IsName(handler.Name))
            {
                throw new InvalidOperationException($"A callback handler ({handler.GetType().Name}) has a malformed name: 1-64 lower-case letters, digits, '-' or '_'.");
            }
            if (handler.MaxBodyBytes <= 0)
            {
                throw new InvalidOperationException($"The callback handler '{handler.Name}' has no positive MaxBodyBytes.");
            }
            if (!handlers.TryAdd(handler.Name, handler))
            {
                throw new InvalidOperationException($"Two callback handlers are named '{handler.Name}'; give each its own name.");
            }
        }
        var state = new CallbackEndpointState(
            handlers.ToFrozenDictionary(StringComparer.Ordinal),
            options.Timeout,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MarketingCallbackEndpointRouteBuilderExtensions).FullName!),
            new CallbackMetrics(services.GetService<IMeterFactory>()));

        var group = endpoints.MapGroup(prefix);
        group.WithTags("Marketing callbacks");
        group.MapMethods("/{name}", [HttpMethods.Get, HttpMethods.Post], (HttpContext context, string name, CancellationToken cancellationToken) => HandleAsync(context, name, state, cancellationToken))
            .WithName("MarketingPlatformCallback")
            .WithSummary("Receives a platform callback (URL verification or a push) for the handler of that name.")
            .WithDescription("The handler verifies the platform's signature before reading anything; bodies are bounded per handler.")
            .DisableAntiforgery();
        return group;
    }

    private static bool IsName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    private sealed record CallbackEndpointState(
        FrozenDictionary<string, IPlatformCallbackHandler> Handlers, TimeSpan Timeout, TimeProvider TimeProvider, ILogger Logger, CallbackMetrics Metrics);

    private static async Task<IResult> HandleAsync(HttpContext context, string name, CallbackEndpointState state, CancellationToken requestAborted)
    {
        var method = context.Request.Method == HttpMethods.Get ? HttpMethods.Get : HttpMethods.Post;
        if (!state.Handlers.TryGetValue(name, out var handler))
        {
            CallbackLog.UnknownHandler(state.Logger, method);
            state.Metrics.Count("(unknown)", StatusCodes.Status404NotFound);
            return Problem(MarketingProblem.ForField(StatusCodes.Status404NotFound, MarketingProblemTypes.NotFound, "name", "UnknownHandler", "callback.unknown_handler", "No callback handler has this name."));
        }

        using var timeout = new CancellationTokenSource(state.Timeout, state.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, timeout.Token);
        var cancellationToken = linked.Token;
        try
        {
            ReadOnlyMemory<byte> body = ReadOnlyMemory<byte>.Empty;
            if (method == HttpMethods.Post)
            {
                var read = await ReadBodyAsync(context, handler.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
                if (read is null)
                {
                    CallbackLog.TooLarge(state.Logger, method, handler.Name, handler.MaxBodyBytes);
                    state.Metrics.Count(handler.Name, StatusCodes.Status413PayloadTooLarge);
                    return Problem(MarketingProblem.ForField(StatusCodes.Status413PayloadTooLarge, MarketingProblemTypes.RequestTooLarge, "body", "TooLarge", "validation.too_large", $"The body is larger than {handler.MaxBodyBytes} bytes."));
                }
                body = read.Value;
            }
            var request = new PlatformCallbackRequest(method, Query(context.Request.Query), Headers(context.Request.Headers), body, context.Request.ContentType);
            var response = await handler.HandleAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode >= 400)
            {
                CallbackLog.HandlerRefused(state.Logger, method, handler.Name, response.StatusCode);
            }
            else
            {
                CallbackLog.Answered(state.Logger, method, handler.Name, response.StatusCode, body.Length);
            }
            state.Metrics.Count(handler.Name, response.StatusCode);
            return Results.Text(response.Body, response.ContentType, statusCode: response.StatusCode);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            CallbackLog.TimedOut(state.Logger, method, handler.Name, (long)state.Timeout.TotalMilliseconds);
            state.Metrics.Count(handler.Name, StatusCodes.Status503ServiceUnavailable);
            return Results.Text("timeout", "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (OperationCanceledException) when (requestAborted.IsCancellationRequested)
        {
            CallbackLog.Aborted(state.Logger, method, handler.Name);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CallbackLog.Failed(state.Logger, method, handler.Name, ex.GetType().Name, ex.HResult);
            state.Metrics.Count(handler.Name, StatusCodes.Status500InternalServerError);
            throw;
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(MarketingProblem problem) => TypedResults.Problem(problem.ToProblemDetails());

    private static Dictionary<string, string> Query(IQueryCollection query)
    {
        var result = new Dictionary<string, string>(query.Count, StringComparer.Ordinal);
        foreach (var (key, values) in query)
        {
            if (values.Count > 0 && values[0] is { } first)
            {
                result[key] = first;
            }
        }
        return result;
    }

    private static Dictionary<string, string> Headers(IHeaderDictionary headers)
    {
        var result = new Dictionary<string, string>(headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in headers)
        {
            if (values.Count > 0 && values[0] is { } first)
            {
                result[key] = first;
            }
        }
        return result;
    }

    /// <summary>Reads the body into memory, bounded by the limit; <see langword="null"/> when it is larger.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context, int limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        // A declared length over the limit is refused before reading; the server drains the unread body so the
        // answer reaches the caller. Otherwise the server's own limit is lowered to ours as a second bound.
        if (request.ContentLength > limit)
        {
            return null;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? ReadChunk, limit) + 1);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(ReadChunk), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    return null;
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return buffer.WrittenMemory;
    }
}
