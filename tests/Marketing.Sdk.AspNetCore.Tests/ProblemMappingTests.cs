using System.Net;
using System.Text.Json;
using Marketing.Sdk.AspNetCore.Problems;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Recommendations;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.AspNetCore.Http;

namespace Marketing.Sdk.AspNetCore.Tests;

public sealed class ProblemMappingTests
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(30);
    private const string Secret = "jane.doe@example.com";

    public static TheoryData<string, Exception, int, string, string?, string?> Families() => new()
    {
        { "validation", new MarketingValidationException("identities[0].value", ValidationReason.InvalidFormat, "Not an email."), 400, MarketingProblemTypes.Validation, "identities[0].value", "InvalidFormat" },
        { "validation in a batch", new MarketingValidationException("occurredAt", ValidationReason.TooOld, "Too old.", 3), 400, MarketingProblemTypes.Validation, "[3].occurredAt", "TooOld" },
        { "currency mismatch", new CurrencyMismatchException("EUR", "USD"), 400, MarketingProblemTypes.Validation, "currency", "InvalidCurrency" },
        { "segment rule", new SegmentParseException(1, 7, 6, ["a number"], "'" + Secret + "'"), 400, MarketingProblemTypes.SegmentRule, "rule", "InvalidFormat" },
        { "unknown segment", new SegmentReferenceException("vip", "Segment 'vip' is not defined."), 404, MarketingProblemTypes.NotFound, "segmentId", null },
        { "segment in use", new SegmentReferenceException("vip", "Segment 'vip' is referenced by 'gold'."), 409, MarketingProblemTypes.Conflict, null, null },
        { "segment cycle", new SegmentReferenceException("vip", "Segment references form a cycle: a -> vip -> a."), 400, MarketingProblemTypes.SegmentRule, "rule", "Inconsistent" },
        { "unknown experiment", new ExperimentNotFoundException("subject_line"), 404, MarketingProblemTypes.NotFound, "experimentKey", null },
        { "concurrency", new ConcurrencyConflictException("profile", 4), 409, MarketingProblemTypes.Conflict, null, null },
        { "store transient", new StoreProviderException("postgresql", "event", "append", true, "40001", new InvalidOperationException(Secret)), 503, MarketingProblemTypes.StoreUnavailable, null, null },
        { "store permanent", new StoreProviderException("sqlite", "event", "append", false, "1", new InvalidOperationException(Secret)), 500, MarketingProblemTypes.StoreFailure, null, null },
        { "platform transient", new PlatformApiException("meta", PlatformErrorClass.Transient, HttpStatusCode.ServiceUnavailable, Secret), 503, MarketingProblemTypes.PlatformUnavailable, null, null },
        { "platform rate limited", new PlatformApiException("tiktok", PlatformErrorClass.RateLimited, HttpStatusCode.TooManyRequests, Secret, retryAfter: TimeSpan.FromSeconds(90)), 503, MarketingProblemTypes.PlatformUnavailable, null, null },
        { "platform permanent", new PlatformApiException("google", PlatformErrorClass.Permanent, HttpStatusCode.BadRequest, Secret, "INVALID_ARGUMENT"), 502, MarketingProblemTypes.PlatformRejected, null, null },
        { "platform request", new PlatformRequestException("meta", "data", "more than 1000 events"), 400, MarketingProblemTypes.Validation, "data", "OutOfRange" },
        { "platform other", new PlatformException("meta", Secret), 503, MarketingProblemTypes.PlatformUnavailable, null, null },
        { "model not ready", new RecommendationException(RecommendationErrorReason.ModelNotReady, "No model."), 503, MarketingProblemTypes.NotReady, null, null },
        { "recommendation data", new RecommendationException(RecommendationErrorReason.InvalidData, "Bad."), 422, MarketingProblemTypes.Unprocessable, null, null },
        { "tc string", new TcStringFormatException("Bad segment."), 400, MarketingProblemTypes.Validation, "tcString", "InvalidFormat" },
        { "match normalisation", new MatchNormalizationException("phone", "not a number"), 400, MarketingProblemTypes.Validation, "phone", "InvalidFormat" },
        { "compliance missing profile", new ComplianceException("Profile c_1 does not exist; nothing to rectify."), 404, MarketingProblemTypes.NotFound, "customerId", null },
        { "lifecycle", new LifecycleModelException("Cannot fit."), 422, MarketingProblemTypes.Unprocessable, null, null },
        { "json body", new BadHttpRequestException("Failed to read parameter", new JsonException("bad", "$.lines[2].quantity", 0, 12)), 400, MarketingProblemTypes.InvalidJson, "lines[2].quantity", "InvalidJson" },
        { "unknown member", new JsonException("The JSON property 'customerId' could not be mapped to any .NET member contained in type 'X'.", "$", 0, 5), 400, MarketingProblemTypes.InvalidJson, "customerId", "UnknownMember" },
        { "body too large", new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge), 413, MarketingProblemTypes.RequestTooLarge, "body", "TooLarge" },
        { "unexpected", new InvalidOperationException(Secret), 500, MarketingProblemTypes.Internal, null, null },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Every_exception_family_maps_to_its_status_type_field_and_reason_without_values(string name, Exception exception, int status, string type, string? field, string? reason)
    {
        var problem = MarketingProblemMapper.Map(exception, Retry);
        Assert.True(status == problem.Status, name);
        Assert.Equal(type, problem.Type);
        Assert.Equal(field, problem.Field);
        Assert.Equal(reason, problem.Reason);
        Assert.False(string.IsNullOrEmpty(problem.Code));
        var body = JsonSerializer.Serialize(problem.ToProblemDetails());
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.Equal(status == 503, problem.RetryAfter is not null);
    }

    [Fact]
    public void A_platform_retry_hint_wins_over_the_default()
    {
        var problem = MarketingProblemMapper.Map(new PlatformApiException("tiktok", PlatformErrorClass.RateLimited, HttpStatusCode.TooManyRequests, "slow down", retryAfter: TimeSpan.FromSeconds(90)), Retry);
        Assert.Equal(TimeSpan.FromSeconds(90), problem.RetryAfter);
        Assert.Equal(Retry, MarketingProblemMapper.Map(new StoreProviderException("sqlite", "outbox", "claim", true, "5", new InvalidOperationException()), Retry).RetryAfter);
    }
}
