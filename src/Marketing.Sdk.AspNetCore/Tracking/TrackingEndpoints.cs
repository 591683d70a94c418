using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk;
using Marketing.Sdk.AspNetCore;
using Marketing.Sdk.AspNetCore.Problems;
using Marketing.Sdk.AspNetCore.Tracking;
using Marketing.Sdk.Ingestion;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the tracking endpoints: <c>app.MapMarketingTracking()</c>.</summary>
public static class MarketingTrackingEndpointRouteBuilderExtensions
{
    /// <summary>The rate-limiting policy name the endpoints use (registered by <c>AddWebTracking</c>).</summary>
    public const string RateLimitPolicy = "marketing-tracking";

    /// <summary>
    /// Maps <c>POST {prefix}/events</c> (one event) and <c>POST {prefix}/events/batch</c> (a batch,
    /// answered per item). The bodies are request models (<see cref="TrackEventRequest"/>), never the
    /// domain model: the customer comes from <see cref="ITrackingIdentityResolver"/> and the caller's
    /// anonymous ids, and server-owned fields cannot be set. Bodies are limited in size and the
    /// endpoints are rate limited as <see cref="MarketingTrackingOptions"/> says. Needs
    /// <c>services.AddMarketingSdk(m => m.AddWebTracking())</c>.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="prefix">The route prefix (default <c>/marketing</c>).</param>
    /// <returns>The group, for <c>.RequireAuthorization()</c>, CORS and the like.</returns>
    public static RouteGroupBuilder MapMarketingTracking(this IEndpointRouteBuilder endpoints, string prefix = "/marketing")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var options = endpoints.ServiceProvider.GetService<IOptions<MarketingTrackingOptions>>()
            ?? throw new InvalidOperationException("MapMarketingTracking needs services.AddMarketingSdk(m => m.AddWebTracking()).");
        var group = endpoints.MapGroup(prefix);
        group.WithTags("Marketing tracking");
        if (options.Value.RateLimit.Enabled)
        {
            group.RequireRateLimiting(RateLimitPolicy);
        }

        group.MapPost("/events", static (HttpContext context, CancellationToken cancellationToken) => TrackOneAsync(context, cancellationToken))
            .WithName("MarketingTrackEvent")
            .WithSummary("Tracks one event.")
            .WithDescription("The customer is the signed-in caller (server side) plus the anonymous ids sent. customerId, flags and receivedAt cannot be set.")
            .WithMetadata(new AcceptsMetadata(["application/json"], typeof(TrackEventRequest)))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TrackEventResponse), ["application/json"]))
            .WithMetadata(Problems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests));

        group.MapPost("/events/batch", static (HttpContext context, CancellationToken cancellationToken) => TrackBatchAsync(context, cancellationToken))
            .WithName("MarketingTrackBatch")
            .WithSummary("Tracks a batch of events, answered per item.")
            .WithDescription("Each item is accepted, duplicate, dropped or rejected (field, reason, code); one bad item never loses the others.")
            .WithMetadata(new AcceptsMetadata(["application/json"], typeof(TrackBatchRequest)))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TrackBatchResponse), ["application/json"]))
            .WithMetadata(Problems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests));
        return group;
    }

    private static object[] Problems(params int[] statuses) =>
        [.. statuses.Select(status => new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]))];

    private static (MarketingTrackingOptions Options, ILogger Logger, AspNetCoreMetrics Metrics) Resolve(IServiceProvider services) =>
        (services.GetRequiredService<IOptions<MarketingTrackingOptions>>().Value,
         services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MarketingTrackingEndpointRouteBuilderExtensions).FullName!),
         services.GetRequiredService<AspNetCoreMetrics>());

    /// <summary>Reads the bounded body and deserialises it strictly; a refusal (size, JSON, null) names the field and reason.</summary>
    private static async Task<(T? Request, Refusal? Refusal)> ReadRequestAsync<T>(
        HttpContext context, MarketingTrackingOptions options, JsonTypeInfo<T> typeInfo, string nullMessage, CancellationToken cancellationToken)
        where T : class
    {
        var (body, refused) = await ReadBodyAsync(context, options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return (null, refused);
        }
        try
        {
            return (JsonSerializer.Deserialize(body!, typeInfo) ?? throw new TrackingInputException("$", TrackingErrors.NullNotAllowed, nullMessage), null);
        }
        catch (JsonException ex)
        {
            return (null, new Refusal(StatusCodes.Status400BadRequest, TrackingErrors.From(ex)));
        }
        catch (TrackingInputException ex)
        {
            return (null, new Refusal(StatusCodes.Status400BadRequest, ex.ToError()));
        }
    }

    private static async Task<IResult> TrackOneAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var services = context.RequestServices;
        var (options, logger, metrics) = Resolve(services);
        var (request, refusal) = await ReadRequestAsync(context, options, TrackingJsonContext.Default.TrackEventRequest, "The body must be a JSON object.", cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return Refuse(refusal!, logger, metrics);
        }

        var server = await services.GetRequiredService<ITrackingIdentityResolver>().ResolveAsync(context, cancellationToken).ConfigureAwait(false);
        var ip = options.CaptureIpAddress ? context.Connection.RemoteIpAddress : null;
        MarketingEvent marketingEvent;
        TrackResult result;
        try
        {
            marketingEvent = TrackingRequestMapper.ToEvent(request, server, ip);
            result = await services.GetRequiredService<IEventCollector>().TrackAsync(marketingEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (TrackingInputException ex)
        {
            return Refuse(new Refusal(StatusCodes.Status400BadRequest, ex.ToError()), logger, metrics);
        }
        catch (MarketingValidationException ex)
        {
            return Refuse(new Refusal(StatusCodes.Status400BadRequest, TrackingErrors.From(ex)), logger, metrics);
        }
        var item = TrackResultMapper.ToItem(0, result);
        if (item.Status == TrackOutcome.Rejected && item.Error is { } error)
        {
            return Refuse(new Refusal(StatusCodes.Status400BadRequest, error), logger, metrics);
        }
        metrics.TrackedEvents.Add(1, new KeyValuePair<string, object?>("marketing.outcome", Outcome(item.Status)));
        return TypedResults.Json(new TrackEventResponse(item.EventId, item.Status, item.DropReason), TrackingJsonContext.Default.TrackEventResponse);
    }

    private static async Task<IResult> TrackBatchAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var services = context.RequestServices;
        var (options, logger, metrics) = Resolve(services);
        var (batch, refusal) = await ReadRequestAsync(context, options, TrackingEnvelopeJsonContext.Default.RawBatch, "The body must be a JSON object with an events array.", cancellationToken).ConfigureAwait(false);
        if (batch is null)
        {
            return Refuse(refusal!, logger, metrics);
        }
        if (batch.Events.Count == 0)
        {
            return Refuse(new Refusal(StatusCodes.Status400BadRequest, TrackingErrors.Create("events", nameof(ValidationReason.Missing), "A batch needs at least one event.")), logger, metrics);
        }
        if (batch.Events.Count > options.MaxBatchSize)
        {
            return Refuse(new Refusal(StatusCodes.Status400BadRequest, TrackingErrors.Create("events", nameof(ValidationReason.TooLarge), $"A batch holds at most {options.MaxBatchSize} events.")), logger, metrics);
        }

        var server = await services.GetRequiredService<ITrackingIdentityResolver>().ResolveAsync(context, cancellationToken).ConfigureAwait(false);
        var ip = options.CaptureIpAddress ? context.Connection.RemoteIpAddress : null;
        var items = new TrackItemResponse?[batch.Events.Count];
        var valid = new List<MarketingEvent>(batch.Events.Count);
        var positions = new List<int>(batch.Events.Count);
        for (var i = 0; i < batch.Events.Count; i++)
        {
            var prefix = $"events[{i}]";
            try
            {
                if (batch.Events[i].ValueKind != JsonValueKind.Object)
                {
                    throw new TrackingInputException(prefix, batch.Events[i].ValueKind == JsonValueKind.Null ? TrackingErrors.NullNotAllowed : TrackingErrors.InvalidJson, "Each event is a JSON object.");
                }
                var request = batch.Events[i].Deserialize(TrackingJsonContext.Default.TrackEventRequest)!;
                valid.Add(TrackingRequestMapper.ToEvent(request, server, ip));
                positions.Add(i);
            }
            catch (JsonException ex)
            {
                items[i] = Rejected(i, TrackingErrors.From(ex, prefix), logger);
            }
            catch (TrackingInputException ex)
            {
                items[i] = Rejected(i, ex.ToError(), logger);
            }
            catch (MarketingValidationException ex)
            {
                items[i] = Rejected(i, TrackingErrors.From(ex), logger);
            }
        }

        if (valid.Count > 0)
        {
            var results = await TrackResultMapper.TrackAllAsync(services.GetRequiredService<IEventCollector>(), valid, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < results.Count; k++)
            {
                var item = TrackResultMapper.ToItem(positions[k], results[k]) with { EventId = valid[k].Id };
                if (item.Error is { } e)
                {
                    Log.ItemRejected(logger, item.Index, e.Field, e.Reason);
                }
                items[positions[k]] = item;
            }
        }

        var all = items.Select(i => i!).ToList();
        var response = new TrackBatchResponse(
            all.Count(i => i.Status == TrackOutcome.Accepted),
            all.Count(i => i.Status == TrackOutcome.Duplicate),
            all.Count(i => i.Status == TrackOutcome.Dropped),
            all.Count(i => i.Status == TrackOutcome.Rejected),
            all);
        foreach (var group in all.GroupBy(i => i.Status))
        {
            metrics.TrackedEvents.Add(group.Count(), new KeyValuePair<string, object?>("marketing.outcome", Outcome(group.Key)));
        }
        Log.BatchTracked(logger, response.Accepted, response.Duplicates, response.Dropped, response.Rejected);
        return TypedResults.Json(response, TrackingJsonContext.Default.TrackBatchResponse);
    }

    private static TrackItemResponse Rejected(int index, TrackingError error, ILogger logger)
    {
        Log.ItemRejected(logger, index, error.Field, error.Reason);
        return new TrackItemResponse(index, null, TrackOutcome.Rejected, null, error);
    }

    private static string Outcome(TrackOutcome outcome) => outcome switch
    {
        TrackOutcome.Accepted => "accepted",
        TrackOutcome.Duplicate => "duplicate",
        TrackOutcome.Dropped => "dropped",
        _ => "rejected",
    };

    private sealed record Refusal(int Status, TrackingError Error);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refuse(Refusal refusal, ILogger logger, AspNetCoreMetrics metrics)
    {
        Log.RequestRefused(logger, refusal.Error.Field, refusal.Error.Reason);
        metrics.RejectedRequests.Add(1, new KeyValuePair<string, object?>("marketing.reason", refusal.Error.Reason));
        var type = refusal.Status switch
        {
            StatusCodes.Status413PayloadTooLarge => MarketingProblemTypes.RequestTooLarge,
            StatusCodes.Status415UnsupportedMediaType => MarketingProblemTypes.UnsupportedMediaType,
            _ => refusal.Error.Reason is TrackingErrors.InvalidJson or TrackingErrors.UnknownMember or TrackingErrors.DuplicateMember or TrackingErrors.NullNotAllowed
                ? MarketingProblemTypes.InvalidJson
                : MarketingProblemTypes.Validation,
        };
        var problem = MarketingProblem.ForField(refusal.Status, type, refusal.Error.Field, refusal.Error.Reason, refusal.Error.Code, refusal.Error.Detail);
        return TypedResults.Problem(problem.ToProblemDetails());
    }

    /// <summary>Reads the body into memory, bounded by the limit (413 beyond it); refuses non-JSON content types (415).</summary>
    private static async Task<(byte[]? Body, Refusal? Refused)> ReadBodyAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return (null, new Refusal(StatusCodes.Status415UnsupportedMediaType, TrackingErrors.Create("Content-Type", nameof(ValidationReason.InvalidFormat), "The body must be application/json.")));
        }
        var tooLarge = new Refusal(StatusCodes.Status413PayloadTooLarge, TrackingErrors.Create("body", nameof(ValidationReason.TooLarge), $"The body is larger than {limit} bytes."));
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }
        if (request.ContentLength > limit)
        {
            return (null, tooLarge);
        }
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(16 * 1024);
                var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    return (null, tooLarge);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, tooLarge);
        }
        return (buffer.WrittenSpan.ToArray(), null);
    }

    internal static JsonTypeInfo<TrackEventRequest> EventRequestInfo => TrackingJsonContext.Default.TrackEventRequest;
}
