using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms;

/// <summary>Where a conversion happened, as the platforms classify it (Meta <c>action_source</c>, TikTok <c>event_source</c>).</summary>
public enum ConversionSource
{
    /// <summary>On the shop's website.</summary>
    Website = 1,
    /// <summary>In the shop's mobile app.</summary>
    App = 2,
    /// <summary>In a physical store (offline).</summary>
    PhysicalStore = 3,
    /// <summary>Recorded in a CRM system (e.g. a qualified lead).</summary>
    Crm = 4,
    /// <summary>Over chat or messaging.</summary>
    Chat = 5,
    /// <summary>Over the phone.</summary>
    PhoneCall = 6,
    /// <summary>Anything else.</summary>
    Other = 7,
}

/// <summary>One line of a converted order.</summary>
/// <param name="ProductId">The product id (as in the catalogue feed the platform knows).</param>
/// <param name="Quantity">Units.</param>
/// <param name="UnitPrice">Price per unit, if known.</param>
public sealed record ConversionItem(string ProductId, int Quantity, decimal? UnitPrice = null);

/// <summary>
/// The raw customer information a conversion or audience member is matched on. Every field is
/// personal data: it is normalised and hashed per platform before it is stored in the outbox or
/// sent, and is never logged. <see cref="ToString"/> reveals only which fields are present.
/// </summary>
public sealed record CustomerMatchData
{
    /// <summary>Email address.</summary>
    [PersonalData]
    public string? Email { get; init; }
    /// <summary>Phone number including the country code (any common format; E.164 preferred).</summary>
    [PersonalData]
    public string? Phone { get; init; }
    /// <summary>First name.</summary>
    [PersonalData]
    public string? FirstName { get; init; }
    /// <summary>Last name.</summary>
    [PersonalData]
    public string? LastName { get; init; }
    /// <summary>City.</summary>
    [PersonalData]
    public string? City { get; init; }
    /// <summary>State or province.</summary>
    [PersonalData]
    public string? State { get; init; }
    /// <summary>Postal code.</summary>
    [PersonalData]
    public string? Zip { get; init; }
    /// <summary>Country, ISO 3166-1 alpha-2.</summary>
    [PersonalData]
    public string? Country { get; init; }
    /// <summary>Gender (f/m or a common word for either).</summary>
    [PersonalData]
    public string? Gender { get; init; }
    /// <summary>Date of birth.</summary>
    [PersonalData]
    public DateOnly? DateOfBirth { get; init; }
    /// <summary>The shop's own id of the customer (e.g. member id).</summary>
    [PseudonymousData]
    public string? ExternalId { get; init; }

    /// <summary>The present fields with their raw values.</summary>
    public IEnumerable<KeyValuePair<MatchField, string>> Fields()
    {
        if (!string.IsNullOrWhiteSpace(Email))
        {
            yield return new(MatchField.Email, Email);
        }

        if (!string.IsNullOrWhiteSpace(Phone))
        {
            yield return new(MatchField.Phone, Phone);
        }

        if (!string.IsNullOrWhiteSpace(FirstName))
        {
            yield return new(MatchField.FirstName, FirstName);
        }

        if (!string.IsNullOrWhiteSpace(LastName))
        {
            yield return new(MatchField.LastName, LastName);
        }

        if (!string.IsNullOrWhiteSpace(City))
        {
            yield return new(MatchField.City, City);
        }

        if (!string.IsNullOrWhiteSpace(State))
        {
            yield return new(MatchField.State, State);
        }

        if (!string.IsNullOrWhiteSpace(Zip))
        {
            yield return new(MatchField.Zip, Zip);
        }

        if (!string.IsNullOrWhiteSpace(Country))
        {
            yield return new(MatchField.Country, Country);
        }

        if (!string.IsNullOrWhiteSpace(Gender))
        {
            yield return new(MatchField.Gender, Gender);
        }

        if (DateOfBirth is { } dob)
        {
            yield return new(MatchField.DateOfBirth, dob.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrWhiteSpace(ExternalId))
        {
            yield return new(MatchField.ExternalId, ExternalId);
        }
    }

    /// <summary>Lists the present fields, never their values.</summary>
    public override string ToString() => $"CustomerMatchData {{ {string.Join(", ", Fields().Select(f => f.Key))} }}";
}

/// <summary>Click and browser identifiers the platforms attribute with; sent unhashed.</summary>
public sealed record ClickIdentifiers
{
    /// <summary>Google click id.</summary>
    [PersonalData]
    public string? Gclid { get; init; }
    /// <summary>Google app click id (iOS 14+).</summary>
    [PersonalData]
    public string? Gbraid { get; init; }
    /// <summary>Google web click id (iOS 14+).</summary>
    [PersonalData]
    public string? Wbraid { get; init; }
    /// <summary>Meta click id cookie (<c>_fbc</c>).</summary>
    [PersonalData]
    public string? Fbc { get; init; }
    /// <summary>Meta browser id cookie (<c>_fbp</c>).</summary>
    [PersonalData]
    public string? Fbp { get; init; }
    /// <summary>TikTok click id.</summary>
    [PersonalData]
    public string? Ttclid { get; init; }
    /// <summary>TikTok browser cookie (<c>_ttp</c>).</summary>
    [PersonalData]
    public string? Ttp { get; init; }
    /// <summary>Tencent Ads click id (<c>gdt_vid</c> / <c>qz_gdt</c> / <c>click_id</c> of the landing URL), sent as <c>trace.click_id</c>.</summary>
    [PersonalData]
    public string? TencentClickId { get; init; }
    /// <summary>Ocean Engine click callback (<c>clickid</c> of the landing page or mini program URL, or the value of the <c>__CALLBACK_PARAM__</c> macro), sent as <c>context.ad.callback</c>.</summary>
    [PersonalData]
    public string? OceanEngineCallback { get; init; }
    /// <summary>The customer's WeChat openid under <see cref="WeChatAppId"/> (Tencent Ads <c>user_id.wechat_openid</c>).</summary>
    [PersonalData]
    public string? WeChatOpenId { get; init; }
    /// <summary>The customer's WeChat unionid (Tencent Ads <c>user_id.wechat_unionid</c>).</summary>
    [PersonalData]
    public string? WeChatUnionId { get; init; }
    /// <summary>The WeChat app id (Official Account or mini program) the openid belongs to (Tencent Ads <c>user_id.wechat_app_id</c>); classified with the openid it qualifies.</summary>
    [PersonalData]
    public string? WeChatAppId { get; init; }
    /// <summary>The customer's IP address (personal data; sent only where the platform takes it).</summary>
    [PersonalData]
    public string? ClientIpAddress { get; init; }
    /// <summary>The customer's browser user agent.</summary>
    [PersonalData]
    public string? UserAgent { get; init; }

    /// <summary>Lists which identifiers are present, never their values.</summary>
    public override string ToString() =>
        $"ClickIdentifiers {{ {string.Join(", ", new (string Name, string? Value)[] { ("gclid", Gclid), ("gbraid", Gbraid), ("wbraid", Wbraid), ("fbc", Fbc), ("fbp", Fbp), ("ttclid", Ttclid), ("ttp", Ttp), ("tencent_click_id", TencentClickId), ("ocean_engine_callback", OceanEngineCallback), ("wechat_openid", WeChatOpenId), ("wechat_unionid", WeChatUnionId), ("ip", ClientIpAddress), ("user_agent", UserAgent) }.Where(p => p.Value is not null).Select(p => p.Name))} }}";
}

/// <summary>
/// A conversion to report to the ad platforms, as the shop knows it. <see cref="Delivery.IConversionPublisher"/>
/// turns it into one durable outbox message per registered platform, with the customer information
/// already normalised and hashed the way that platform documents.
/// </summary>
public sealed record ConversionRequest
{
    /// <summary>The shop's unique id of this conversion; the platforms deduplicate on it (Meta and TikTok <c>event_id</c>), so a retry never double-counts.</summary>
    public required string EventId { get; init; }

    /// <summary>What happened; each platform maps it to its own standard event name.</summary>
    public required EventType EventType { get; init; }

    /// <summary>When it happened.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The customer; the consent gate decides per customer before anything is sent.</summary>
    [PseudonymousData]
    public required CustomerId CustomerId { get; init; }

    /// <summary>The conversion value, if any.</summary>
    public Money? Value { get; init; }

    /// <summary>The order id (Google's transaction id; also sent to Meta and TikTok), if any.</summary>
    [PseudonymousData]
    public string? OrderId { get; init; }

    /// <summary>The order lines.</summary>
    public IReadOnlyList<ConversionItem> Items { get; init; } = [];

    /// <summary>The customer information to match on (hashed per platform before storage).</summary>
    [PersonalData]
    public CustomerMatchData Customer { get; init; } = new();

    /// <summary>Click and browser identifiers.</summary>
    [PersonalData]
    public ClickIdentifiers Clicks { get; init; } = new();

    /// <summary>
    /// Where the conversion happened (Meta <c>action_source</c>, Google <c>eventSource</c>, TikTok <c>event_source</c>).
    /// Default <see cref="ConversionSource.Other"/>, which fits an order recorded by the shop's backend: Meta
    /// <c>other</c> and Google <c>OTHER</c> need no browser fields, TikTok sends it as a <c>web</c> event under the pixel.
    /// Set <see cref="ConversionSource.Website"/> only with the browser's <see cref="ClickIdentifiers.UserAgent"/> and
    /// the <see cref="SourceUrl"/> (Meta requires both for website events; publishing refuses a website conversion without them).
    /// </summary>
    public ConversionSource Source { get; init; } = ConversionSource.Other;

    /// <summary>The page where it happened (required for website conversions sent to Meta).</summary>
    public Uri? SourceUrl { get; init; }

    /// <summary>Describes the conversion without personal data.</summary>
    public override string ToString() => $"ConversionRequest {{ EventId = {EventId}, EventType = {EventType}, OccurredAt = {OccurredAt:O}, Items = {Items.Count}, {Customer} }}";
}

/// <summary>
/// A conversion prepared for one platform: the customer information normalised and hashed per the
/// platform's <see cref="HashingProfile"/> (plain only where the platform wants it plain). This is
/// what the outbox stores and what a <see cref="IConversionSink"/> sends.
/// </summary>
public sealed record PreparedConversion
{
    /// <summary>The shop's unique id of the conversion (the platform's dedup key).</summary>
    public required string EventId { get; init; }
    /// <summary>What happened.</summary>
    public required string EventType { get; init; }
    /// <summary>When it happened.</summary>
    public required DateTimeOffset OccurredAt { get; init; }
    /// <summary>The customer (for the consent gate at delivery time).</summary>
    [PseudonymousData]
    public required string CustomerId { get; init; }
    /// <summary>The value amount, if any.</summary>
    public decimal? Value { get; init; }
    /// <summary>The value's ISO 4217 currency, if any.</summary>
    public string? Currency { get; init; }
    /// <summary>The order id, if any.</summary>
    [PseudonymousData]
    public string? OrderId { get; init; }
    /// <summary>The order lines.</summary>
    public IReadOnlyList<ConversionItem> Items { get; init; } = [];
    /// <summary>Prepared match values by field name (<see cref="MatchField"/> in lower case), hashed where the platform hashes the field.</summary>
    [PersonalData]
    public IReadOnlyDictionary<string, string> Match { get; init; } = new Dictionary<string, string>();
    /// <summary>Click and browser identifiers.</summary>
    [PersonalData]
    public ClickIdentifiers Clicks { get; init; } = new();
    /// <summary>Where it happened.</summary>
    public ConversionSource Source { get; init; } = ConversionSource.Website;
    /// <summary>The page where it happened.</summary>
    public string? SourceUrl { get; init; }

    /// <summary>The prepared value of a field, or <see langword="null"/>.</summary>
    /// <param name="field">The field.</param>
    public string? Get(MatchField field) => Match.TryGetValue(MatchKeys.Name(field), out var v) ? v : null;

    /// <summary>Describes the conversion without personal data.</summary>
    public override string ToString() => $"PreparedConversion {{ EventId = {EventId}, EventType = {EventType}, OccurredAt = {OccurredAt:O}, Fields = {string.Join(",", Match.Keys)} }}";
}

/// <summary>The wire names of <see cref="MatchField"/> used in prepared payloads.</summary>
public static class MatchKeys
{
    /// <summary>The lower-case name of a field (e.g. <c>email</c>, <c>first_name</c>).</summary>
    /// <param name="field">The field.</param>
    public static string Name(MatchField field) => field switch
    {
        MatchField.Email => "email",
        MatchField.Phone => "phone",
        MatchField.FirstName => "first_name",
        MatchField.LastName => "last_name",
        MatchField.City => "city",
        MatchField.State => "state",
        MatchField.Zip => "zip",
        MatchField.Country => "country",
        MatchField.Gender => "gender",
        MatchField.DateOfBirth => "date_of_birth",
        MatchField.ExternalId => "external_id",
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}

/// <summary>What became of one item sent to a platform.</summary>
public enum DeliveryOutcome
{
    /// <summary>The platform accepted it.</summary>
    Accepted = 1,
    /// <summary>The platform already had it (deduplicated); counts as delivered.</summary>
    Duplicate = 2,
    /// <summary>The platform (or a pre-send check of the platform's rules) rejected it; retrying cannot help.</summary>
    Rejected = 3,
    /// <summary>It was not processed this time; try again.</summary>
    Retry = 4,
}

/// <summary>The result for one item of a batch.</summary>
/// <param name="Index">The item's position in the batch sent.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Reason">The platform's reason when not accepted (no personal data).</param>
/// <param name="Code">The platform's error code, if any.</param>
/// <param name="RetryAfter">The wait hint for <see cref="DeliveryOutcome.Retry"/>, if any.</param>
public sealed record ItemResult(int Index, DeliveryOutcome Outcome, string? Reason = null, string? Code = null, TimeSpan? RetryAfter = null)
{
    /// <summary>An accepted item.</summary>
    /// <param name="index">The item's position.</param>
    public static ItemResult Accepted(int index) => new(index, DeliveryOutcome.Accepted);
}

/// <summary>The per-item results of one batch, in batch order.</summary>
/// <param name="Items">One result per item sent.</param>
/// <param name="RequestId">The platform's request or trace id, if any.</param>
public sealed record BatchResult(IReadOnlyList<ItemResult> Items, string? RequestId = null)
{
    /// <summary>Number of items accepted or deduplicated.</summary>
    public int Delivered => Items.Count(i => i.Outcome is DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate);

    /// <summary>Every item accepted.</summary>
    /// <param name="count">The batch size.</param>
    /// <param name="requestId">The platform's request id.</param>
    public static BatchResult AllAccepted(int count, string? requestId = null) =>
        new([.. Enumerable.Range(0, count).Select(ItemResult.Accepted)], requestId);
}

/// <summary>
/// Implemented by a <see cref="IConversionSink"/> whose platform normalises customer information its own way (as
/// its official SDK does): <see cref="Delivery.IConversionPublisher"/> prepares that destination's fields with it
/// instead of the shared <see cref="PlatformHasher"/> rules.
/// </summary>
public interface IMatchFieldPreparer
{
    /// <summary>Normalises and (where the platform hashes the field) hashes one field.</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The raw value.</param>
    /// <param name="country">The customer's country, if known (completes national phone numbers).</param>
    /// <exception cref="Compliance.MatchNormalizationException">The platform would drop the value.</exception>
    string Prepare(MatchField field, string value, string? country);
}

/// <summary>
/// Implemented by a <see cref="IConversionSink"/> whose platform refuses some conversions for what they lack (e.g.
/// Meta's website events without a user agent): <see cref="Delivery.IConversionPublisher"/> asks it before anything is
/// stored, so such a conversion fails at publish time with a typed error instead of being dead-lettered later.
/// </summary>
public interface IConversionRequestValidator
{
    /// <summary>Checks a conversion against the platform's rules.</summary>
    /// <param name="conversion">The conversion.</param>
    /// <param name="index">Its position in the published list.</param>
    /// <exception cref="MarketingValidationException">The platform would refuse it (names the field and the reason, never a value).</exception>
    void Validate(ConversionRequest conversion, int index);
}

/// <summary>
/// Sends conversions to one platform destination. Implemented by each platform package
/// (<c>Marketing.Sdk.Platforms.Meta</c>, <c>.Google</c>, <c>.TikTok</c>) and driven by the delivery
/// worker, which batches from the outbox, checks consent and maps the per-item results.
/// </summary>
public interface IConversionSink
{
    /// <summary>The outbox destination this sink drains (e.g. <c>meta.conversions</c>); unique per registration.</summary>
    string Destination { get; }

    /// <summary>The platform as a channel (the consent gate decides per destination).</summary>
    Channel Platform { get; }

    /// <summary>How customer information is normalised and hashed for this platform.</summary>
    HashingProfile Hashing { get; }

    /// <summary>The largest batch the platform accepts.</summary>
    int MaxBatchSize { get; }

    /// <summary>
    /// Sends one batch (at most <see cref="MaxBatchSize"/>) and returns one result per item. Items
    /// the platform's rules refuse (e.g. too old) are returned as <see cref="DeliveryOutcome.Rejected"/>
    /// without being sent when the platform would reject the whole batch for them.
    /// </summary>
    /// <param name="batch">The conversions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The whole request failed.</exception>
    ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default);
}
