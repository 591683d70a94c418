namespace Marketing.Sdk.AspNetCore.Problems;

/// <summary>
/// The stable <c>type</c> URIs of the ProblemDetails the integration writes (RFC 9457). Each points at
/// its row of the table in <c>docs/aspnetcore.md</c>.
/// </summary>
public static class MarketingProblemTypes
{
    /// <summary>The base of every type URI.</summary>
    public const string BaseUri = "https://github.com/marketing-sdk/marketing-sdk/blob/main/docs/aspnetcore.md#problem-";

    /// <summary>400: a value was rejected by validation (field and reason given).</summary>
    public const string Validation = BaseUri + "validation";

    /// <summary>400: the body is not JSON the endpoint accepts (malformed, unknown or duplicate member, wrong type); the field is the JSON path.</summary>
    public const string InvalidJson = BaseUri + "invalid-json";

    /// <summary>400: a segment rule could not be parsed (line and column given).</summary>
    public const string SegmentRule = BaseUri + "segment-rule";

    /// <summary>403: the customer's consent does not allow the operation.</summary>
    public const string ConsentWithheld = BaseUri + "consent-withheld";

    /// <summary>404: the experiment, segment or other named resource does not exist.</summary>
    public const string NotFound = BaseUri + "not-found";

    /// <summary>409: the record was changed by another writer, or is still referenced.</summary>
    public const string Conflict = BaseUri + "conflict";

    /// <summary>413: the body is larger than allowed.</summary>
    public const string RequestTooLarge = BaseUri + "request-too-large";

    /// <summary>415: the body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = BaseUri + "unsupported-media-type";

    /// <summary>422: the request is well-formed but the domain cannot process it (e.g. a model that cannot be fitted to the data).</summary>
    public const string Unprocessable = BaseUri + "unprocessable";

    /// <summary>429: too many requests from this caller; retry after <c>Retry-After</c>.</summary>
    public const string TooManyRequests = BaseUri + "too-many-requests";

    /// <summary>502: an ad or social platform refused the request permanently.</summary>
    public const string PlatformRejected = BaseUri + "platform-rejected";

    /// <summary>503: an ad or social platform is unavailable, throttling or needs new credentials; retry after <c>Retry-After</c>.</summary>
    public const string PlatformUnavailable = BaseUri + "platform-unavailable";

    /// <summary>503: the database failed transiently (lost connection, lock timeout); retry after <c>Retry-After</c>.</summary>
    public const string StoreUnavailable = BaseUri + "store-unavailable";

    /// <summary>503: a model (e.g. recommendations) is not trained yet; retry after <c>Retry-After</c>.</summary>
    public const string NotReady = BaseUri + "not-ready";

    /// <summary>500: the database failed permanently (e.g. a missing table: the schema is not migrated).</summary>
    public const string StoreFailure = BaseUri + "store-failure";

    /// <summary>500: an unexpected error; the body carries the trace id only.</summary>
    public const string Internal = BaseUri + "internal";
}
