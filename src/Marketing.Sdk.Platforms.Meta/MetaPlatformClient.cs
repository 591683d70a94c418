using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.Meta;

/// <summary>
/// The Meta client: Conversions API events (<c>POST /{version}/{pixel_id}/events</c>), custom-audience
/// uploads (<c>/{audience_id}/users</c> and <c>/usersreplace</c>, with sessions beyond 10 000 rows),
/// ad-account insights with cursor paging, and campaign / ad-set status and daily budgets. Errors are
/// classified from Meta's <c>{"error":{...}}</c> body; the usage headers are read on every answer and a
/// throttling answer's wait hint holds further calls back until it has passed.
/// </summary>
public sealed partial class MetaPlatformClient : PlatformApiClient, IConversionSink, IConversionRequestValidator, IMatchFieldPreparer, IAudienceSync, IAdReporting, ICampaignControl
{
    /// <summary>The platform name (<c>meta</c>), also the key of the keyed services.</summary>
    public const string PlatformId = "meta";

    /// <summary>The default outbox destination of conversions.</summary>
    public const string DefaultDestination = "meta.conversions";

    /// <summary>Meta's limit of events per Conversions API request.</summary>
    public const int MaxEventsPerRequest = 1000;

    /// <summary>Meta's limit of rows per custom-audience request.</summary>
    public const int MaxAudienceRowsPerRequest = 10_000;

    /// <summary>How far back a web, app or CRM event may lie (the Conversions API rejects the whole request for an older one).</summary>
    public static TimeSpan MaxEventAge { get; } = TimeSpan.FromDays(7);

    /// <summary>How far back a physical-store event may lie.</summary>
    public static TimeSpan MaxPhysicalStoreEventAge { get; } = TimeSpan.FromDays(62);

    /// <summary>Graph's production address.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://graph.facebook.com/");

    private static readonly HttpRequestOptionsKey<List<KeyValuePair<string, string>>> FormKey = new("Marketing.Sdk.Meta.Form");
    private static readonly HttpRequestOptionsKey<Action<Utf8JsonWriter>> JsonBodyKey = new("Marketing.Sdk.Meta.JsonBody");
    private static readonly HttpRequestOptionsKey<int> JsonBodySizeKey = new("Marketing.Sdk.Meta.JsonBodySize");

    /// <summary>A typical serialised Conversions API event with hashed customer information and one order line, in bytes (sizes the request buffer).</summary>
    private const int ExpectedEventBytes = 768;

    private readonly MetaPlatformOptions _options;
    private readonly IConsentGate _consent;
    private readonly TimeProvider _time;
    private readonly BudgetChangeLimiter _budgets;
    private readonly Lock _usageLock = new();
    private MetaUsageSnapshot? _usage;
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set to Graph or an emulator).</param>
    /// <param name="options">The settings (validated here too).</param>
    /// <param name="tokens">The token provider (a <see cref="StaticAccessTokenProvider"/> over the system-user token).</param>
    /// <param name="consentGate">The consent gate checked before audience members are sent.</param>
    /// <param name="timeProvider">The clock (event age, budget-change window, throttling waits).</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public MetaPlatformClient(Func<HttpClient> httpClientFactory, MetaPlatformOptions options, IAccessTokenProvider tokens, IConsentGate consentGate, TimeProvider? timeProvider = null, ILogger<MetaPlatformClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(consentGate);
        var errors = options.GetValidationErrors().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Meta options: " + string.Join(" ", errors), nameof(options));
        }
        _options = options;
        _consent = consentGate;
        _time = timeProvider ?? TimeProvider.System;
        _budgets = new BudgetChangeLimiter(options.MaxBudgetChangesPerAdSetPerHour, _time);
    }

    /// <inheritdoc cref="IConversionSink.Platform" />
    public Channel Platform => Channel.Meta;

    /// <inheritdoc />
    public string Destination => _options.Destination;

    /// <inheritdoc />
    public HashingProfile Hashing => HashingProfile.Meta;

    /// <inheritdoc />
    public int MaxBatchSize => _options.ConversionBatchSize;

    /// <inheritdoc />
    /// <remarks>Meta's rules as the official Meta Business SDK applies them (see docs/platforms-meta.md for the deliberate differences).</remarks>
    public string Prepare(MatchField field, string value, string? country) => MetaNormalization.Instance.Prepare(field, value, country);

    /// <inheritdoc />
    public int MaxMembersPerRequest => _options.AudienceBatchSize;

    /// <summary>The usage Meta reported in its latest answer's headers, if any.</summary>
    public MetaUsageSnapshot? Usage
    {
        get
        {
            lock (_usageLock)
            {
                return _usage;
            }
        }
    }

    /// <summary>Until when calls are held back because Meta throttled the caller (in the past when not throttled).</summary>
    public DateTimeOffset BlockedUntil
    {
        get
        {
            lock (_usageLock)
            {
                return _blockedUntil;
            }
        }
    }

    /// <summary>Budget changes counted for an ad set within the last hour (the limit is <see cref="MetaPlatformOptions.MaxBudgetChangesPerAdSetPerHour"/>).</summary>
    /// <param name="adSetId">The ad set id.</param>
    public int BudgetChangesInLastHour(string adSetId) => _budgets.Count(adSetId);

    /// <summary><c>appsecret_proof</c>: HMAC-SHA256 of the access token keyed by the app secret, lower-case hex.</summary>
    /// <param name="accessToken">The access token.</param>
    /// <param name="appSecret">The app secret.</param>
    public static string ComputeAppSecretProof(string accessToken, string appSecret)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        ArgumentNullException.ThrowIfNull(appSecret);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), Encoding.UTF8.GetBytes(accessToken)));
    }

    /// <summary>Whether a value is a Graph object id (digits only).</summary>
    /// <param name="id">The id.</param>
    public static bool IsGraphId(string? id) => !string.IsNullOrEmpty(id) && id.Length <= 32 && id.All(char.IsAsciiDigit);

    // ---------------------------------------------------------------- transport

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        var auth = new List<KeyValuePair<string, string>>(2) { new("access_token", token.Value) };
        if (!string.IsNullOrEmpty(_options.AppSecret))
        {
            auth.Add(new("appsecret_proof", ComputeAppSecretProof(token.Value, _options.AppSecret)));
        }
        if (request.Options.TryGetValue(JsonBodyKey, out var writeBody))
        {
            // A JSON body (the Conversions API's large event batches): written once, with the token inside, never in the URL.
            // Sized for the expected body, so a batch of 1 000 events is not copied through every doubling of a small buffer.
            var buffer = new ArrayBufferWriter<byte>(Math.Max(4 * 1024, request.Options.TryGetValue(JsonBodySizeKey, out var size) ? size : 64 * 1024));
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writeBody(writer);
                foreach (var (key, value) in auth)
                {
                    writer.WriteString(key, value);
                }
                writer.WriteEndObject();
            }
            request.Content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }
        else if (request.Options.TryGetValue(FormKey, out var form))
        {
            // POST/DELETE: parameters as a form, so the token never appears in a URL.
            request.Content = new FormUrlEncodedContent([.. form, .. auth]);
        }
        else
        {
            var uri = request.RequestUri!.OriginalString;
            var query = string.Join('&', auth.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
            request.RequestUri = new Uri(uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query, UriKind.RelativeOrAbsolute);
        }
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var now = _time.GetUtcNow();
        var usage = MetaErrors.ReadUsage(response.Headers, now);
        var error = MetaErrors.Classify(response, usage, _options.AppUsageThrottleWait);
        lock (_usageLock)
        {
            if (usage is not null)
            {
                _usage = usage;
            }
            if (error is { ErrorClass: PlatformErrorClass.RateLimited, RetryAfter: { } wait } && now + wait > _blockedUntil)
            {
                _blockedUntil = now + wait;
            }
        }
        if (usage is not null && usage.MaxPercent >= 90)
        {
            LogHighUsage(Logger, usage.MaxPercent);
        }
        return error;
    }

    private async Task<T> SendAsync<T>(string operation, Func<HttpRequestMessage> build, JsonTypeInfo<T> type, CancellationToken cancellationToken, Func<T, bool>? isWellFormed = null)
        where T : class
    {
        var blockedUntil = BlockedUntil;
        var now = _time.GetUtcNow();
        if (blockedUntil > now)
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.RateLimited, null,
                $"Meta throttled this client; calls are held back until {blockedUntil:O}", retryAfter: blockedUntil - now);
        }
        var response = await SendAsync(operation, build, cancellationToken).ConfigureAwait(false);
        // A 2xx with an unreadable or wrong-shaped body is a malformed answer (transient: the request may have been
        // processed; conversions deduplicate on event id and the other calls are idempotent), never a success.
        return ReadAnswer(operation, response, r =>
        {
            var value = JsonSerializer.Deserialize(r.Body.Span, type);
            return value is not null && (isWellFormed?.Invoke(value) ?? true) ? value : throw Malformed(operation, r, "the answer lacks its required fields");
        });
    }

    private string Path(string objectId, string? edge = null) =>
        edge is null ? $"{_options.ApiVersion}/{objectId}" : $"{_options.ApiVersion}/{objectId}/{edge}";

    private static HttpRequestMessage JsonBody(string path, Action<Utf8JsonWriter> writeBody, int expectedBytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Options.Set(JsonBodyKey, writeBody);
        request.Options.Set(JsonBodySizeKey, expectedBytes);
        return request;
    }

    private static HttpRequestMessage Form(HttpMethod method, string path, List<KeyValuePair<string, string>> fields)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Options.Set(FormKey, fields);
        return request;
    }

    // ---------------------------------------------------------------- conversions

    /// <inheritdoc />
    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new ItemResult?[batch.Count];
        var now = _time.GetUtcNow();
        var sendable = new List<int>(batch.Count);
        var events = new CapiEvent?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var refusal = CheckConversion(batch[i], now);
            if (refusal is not null)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, refusal.Value.Reason, refusal.Value.Code);
            }
            else
            {
                events[i] = ToEvent(batch[i]);
                sendable.Add(i);
            }
        }
        var state = new SendState(results, events);
        foreach (var chunk in sendable.Chunk(_options.ConversionBatchSize))
        {
            await SendEventsAsync(chunk, state, cancellationToken).ConfigureAwait(false);
        }
        return new BatchResult([.. results.Select(r => r!)], state.TraceId);
    }

    private sealed class SendState(ItemResult?[] results, CapiEvent?[] events)
    {
        public ItemResult?[] Results { get; } = results;
        public CapiEvent?[] Events { get; } = events;
        public string? TraceId { get; set; }
        public bool AnyDecided => Results.Any(r => r is not null);
    }

    /// <summary>
    /// Sends a set of events. Meta rejects the whole request for one invalid event, so a permanent
    /// rejection of the events (not of the request itself) is narrowed down by halving until the
    /// invalid ones stand alone; the valid ones go through. Other failures fail the call when nothing has been decided yet (the
    /// delivery worker retries the batch) and otherwise mark the remaining events for retry.
    /// </summary>
    private async Task SendEventsAsync(int[] indices, SendState state, CancellationToken cancellationToken)
    {
        var data = new List<CapiEvent>(indices.Length);
        foreach (var i in indices)
        {
            data.Add(state.Events[i]!);
        }
        var testEventCode = _options.TestEventCode;
        void WriteBody(Utf8JsonWriter writer)
        {
            writer.WritePropertyName("data");
            JsonSerializer.Serialize(writer, data, MetaJsonContext.Default.ListCapiEvent);
            if (!string.IsNullOrEmpty(testEventCode))
            {
                writer.WriteString("test_event_code", testEventCode);
            }
        }
        var path = Path(_options.PixelId, "events");
        try
        {
            var response = await SendAsync("conversions.send", () => JsonBody(path, WriteBody, (indices.Length * ExpectedEventBytes) + 1024), MetaJsonContext.Default.CapiResponse, cancellationToken).ConfigureAwait(false);
            state.TraceId = response.FbtraceId ?? state.TraceId;
            var complete = response.EventsReceived == indices.Length;
            foreach (var i in indices)
            {
                state.Results[i] = complete
                    ? ItemResult.Accepted(i)
                    : new ItemResult(i, DeliveryOutcome.Retry, $"Meta acknowledged {response.EventsReceived} of {indices.Length} events", "events_received");
            }
        }
        catch (PlatformApiException ex) when (MetaErrors.IsAboutTheEvents(ex))
        {
            state.TraceId = ex.RequestId ?? state.TraceId;
            if (indices.Length == 1)
            {
                state.Results[indices[0]] = new ItemResult(indices[0], DeliveryOutcome.Rejected, ex.Message, ex.PlatformCode);
                return;
            }
            var half = indices.Length / 2;
            await SendEventsAsync([.. indices.Take(half)], state, cancellationToken).ConfigureAwait(false);
            await SendEventsAsync([.. indices.Skip(half)], state, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (state.AnyDecided)
        {
            foreach (var i in indices)
            {
                state.Results[i] = new ItemResult(i, DeliveryOutcome.Retry, ex.Message, ex.PlatformCode, ex.RetryAfter);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The Conversions API refuses a <c>website</c> event without <c>client_user_agent</c> and <c>event_source_url</c>;
    /// such a conversion is refused at publish time. A conversion recorded by the shop's backend without the
    /// browser's data uses another <see cref="ConversionRequest.Source"/> (the default, <see cref="ConversionSource.Other"/>).
    /// </remarks>
    public void Validate(ConversionRequest conversion, int index)
    {
        ArgumentNullException.ThrowIfNull(conversion);
        if (conversion.Source != ConversionSource.Website)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(conversion.Clicks?.UserAgent))
        {
            throw new MarketingValidationException($"{nameof(ConversionRequest.Clicks)}.{nameof(ClickIdentifiers.UserAgent)}", ValidationReason.Missing,
                "Meta requires client_user_agent for website events; set it, or use a non-website Source (the default, Other) for a server-side order", index);
        }
        if (conversion.SourceUrl is null)
        {
            throw new MarketingValidationException(nameof(ConversionRequest.SourceUrl), ValidationReason.Missing,
                "Meta requires event_source_url for website events; set it, or use a non-website Source (the default, Other) for a server-side order", index);
        }
    }

    /// <summary>Checks a conversion against the Conversions API's rules before sending; returns the refusal, or <see langword="null"/>.</summary>
    private static (string Reason, string Code)? CheckConversion(PreparedConversion c, DateTimeOffset now)
    {
        var maxAge = c.Source == ConversionSource.PhysicalStore ? MaxPhysicalStoreEventAge : MaxEventAge;
        if (now - c.OccurredAt > maxAge)
        {
            return ($"event_time is more than {maxAge.TotalDays:0} days in the past; Meta would reject the whole request for it", "event_too_old");
        }
        var hasIdentifier = c.Match.Count > 0 || c.Clicks.Fbc is not null || c.Clicks.Fbp is not null
            || (c.Clicks.ClientIpAddress is not null && c.Clicks.UserAgent is not null);
        if (!hasIdentifier)
        {
            return ("user_data has no customer information parameter Meta can match on", "no_customer_information");
        }
        if ((c.Value is null || string.IsNullOrEmpty(c.Currency)) && MetaMatching.EventName(c.EventType) == "Purchase")
        {
            return ("Purchase events need a value and a currency", "missing_value");
        }
        if (c.Source == ConversionSource.Website)
        {
            if (string.IsNullOrEmpty(c.Clicks.UserAgent))
            {
                return ("client_user_agent is required for website events", "missing_client_user_agent");
            }
            if (string.IsNullOrEmpty(c.SourceUrl))
            {
                return ("event_source_url is required for website events", "missing_event_source_url");
            }
        }
        return null;
    }

    internal static CapiEvent ToEvent(PreparedConversion c)
    {
        CapiCustomData? custom = null;
        if (c.Value is not null || c.Items.Count > 0 || c.OrderId is not null)
        {
            custom = new CapiCustomData
            {
                Value = c.Value,
                Currency = c.Value is null ? null : c.Currency,
                Contents = c.Items.Count == 0 ? null : [.. c.Items.Select(i => new CapiContent(i.ProductId, i.Quantity, i.UnitPrice))],
                ContentType = c.Items.Count == 0 ? null : "product",
                NumItems = c.Items.Count == 0 ? null : c.Items.Sum(i => i.Quantity),
                OrderId = c.OrderId,
            };
        }
        return new CapiEvent
        {
            EventName = MetaMatching.EventName(c.EventType),
            EventTime = c.OccurredAt.ToUnixTimeSeconds(),
            EventId = c.EventId,
            ActionSource = ActionSource(c.Source),
            EventSourceUrl = c.SourceUrl,
            UserData = new CapiUserData
            {
                Em = c.Get(MatchField.Email),
                Ph = c.Get(MatchField.Phone),
                Fn = c.Get(MatchField.FirstName),
                Ln = c.Get(MatchField.LastName),
                Ct = c.Get(MatchField.City),
                St = c.Get(MatchField.State),
                Zp = c.Get(MatchField.Zip),
                Country = c.Get(MatchField.Country),
                Db = c.Get(MatchField.DateOfBirth),
                Ge = c.Get(MatchField.Gender),
                ExternalId = c.Get(MatchField.ExternalId),
                ClientIpAddress = c.Clicks.ClientIpAddress,
                ClientUserAgent = c.Clicks.UserAgent,
                Fbc = c.Clicks.Fbc,
                Fbp = c.Clicks.Fbp,
            },
            CustomData = custom,
        };
    }

    /// <summary>Meta's <c>action_source</c> for a conversion source.</summary>
    /// <param name="source">The source.</param>
    public static string ActionSource(ConversionSource source) => source switch
    {
        ConversionSource.Website => "website",
        ConversionSource.App => "app",
        ConversionSource.PhysicalStore => "physical_store",
        ConversionSource.Crm => "system_generated",
        ConversionSource.Chat => "chat",
        ConversionSource.PhoneCall => "phone_call",
        _ => "other",
    };

    // ---------------------------------------------------------------- audiences

    /// <inheritdoc />
    /// <remarks>
    /// Members to add or to replace with are checked against the consent gate for
    /// <see cref="ConsentPurpose.AdTargeting"/>; members to <em>remove</em> are not (removing someone
    /// who withdrew consent is what the withdrawal requires). Uploads above
    /// <see cref="MaxMembersPerRequest"/> rows, and every replace, run in one upload session.
    /// </remarks>
    /// <exception cref="PlatformRequestException">The audience id is not a Graph id, or a replace would leave the audience empty.</exception>
    public async ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (!IsGraphId(audienceId))
        {
            throw new PlatformRequestException(PlatformId, nameof(audienceId), "a custom audience id is a numeric Graph id");
        }
        if (operation is not (AudienceOperation.Add or AudienceOperation.Remove or AudienceOperation.Replace))
        {
            throw new ArgumentOutOfRangeException(nameof(operation));
        }
        var withheld = 0;
        IEnumerable<AudienceMember> allowed = members;
        if (operation != AudienceOperation.Remove)
        {
            var decision = await _consent.FilterAsync(members.Select(m => m.CustomerId), ConsentPurpose.AdTargeting, Channel.Meta, cancellationToken).ConfigureAwait(false);
            var ok = decision.Allowed.ToHashSet();
            allowed = members.Where(m => ok.Contains(m.CustomerId));
            withheld = members.Count(m => !ok.Contains(m.CustomerId));
        }

        var rows = new List<string?[]>(members.Count);
        var invalid = 0;
        var used = new bool[MetaMatching.AudienceKeys.Length];
        foreach (var member in allowed)
        {
            var row = new string?[MetaMatching.AudienceKeys.Length];
            if (MetaMatching.PrepareAudienceRow(member.Match, row) == 0)
            {
                invalid++;
                continue;
            }
            for (var k = 0; k < row.Length; k++)
            {
                used[k] |= row[k] is not null;
            }
            rows.Add(row);
        }
        if (rows.Count == 0)
        {
            if (operation == AudienceOperation.Replace)
            {
                throw new PlatformRequestException(PlatformId, nameof(members),
                    "no member can be sent (consent or customer information missing); replacing would empty the audience — remove members explicitly instead");
            }
            return new AudienceSyncResult(operation, 0, invalid, withheld, 0);
        }

        var keys = Enumerable.Range(0, used.Length).Where(k => used[k]).ToArray();
        var chunks = rows.Chunk(_options.AudienceBatchSize).ToList();
        var useSession = operation == AudienceOperation.Replace || chunks.Count > 1;
        var sessionId = useSession ? NewSessionId() : 0;
        var (method, edge) = operation switch
        {
            AudienceOperation.Add => (HttpMethod.Post, "users"),
            AudienceOperation.Remove => (HttpMethod.Delete, "users"),
            _ => (HttpMethod.Post, "usersreplace"),
        };
        var path = Path(audienceId, edge);
        var requests = 0;
        var remoteInvalid = 0;
        for (var b = 0; b < chunks.Count; b++)
        {
            var fields = new List<KeyValuePair<string, string>>(2) { new("payload", AudiencePayload(keys, chunks[b])) };
            if (useSession)
            {
                var session = new AudienceSession(sessionId, b + 1, b == chunks.Count - 1, rows.Count);
                fields.Add(new("session", JsonSerializer.Serialize(session, MetaJsonContext.Default.AudienceSession)));
            }
            var rowsInBatch = chunks[b].Length;
            // An answer that does not say it received this batch's rows is not a success.
            var response = await SendAsync($"audiences.{operation.ToString().ToLowerInvariant()}", () => Form(method, path, fields), MetaJsonContext.Default.AudienceUploadResponse, cancellationToken,
                r => r.NumReceived == rowsInBatch && (r.NumInvalidEntries is null || (r.NumInvalidEntries >= 0 && r.NumInvalidEntries <= rowsInBatch))).ConfigureAwait(false);
            requests++;
            remoteInvalid += response.NumInvalidEntries ?? 0;
        }
        LogAudienceSynced(Logger, operation, rows.Count, invalid + remoteInvalid, withheld, requests);
        return new AudienceSyncResult(operation, rows.Count, invalid + remoteInvalid, withheld, requests,
            useSession ? sessionId.ToString(CultureInfo.InvariantCulture) : null);
    }

    private static long NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return Math.Max(1, BitConverter.ToInt64(bytes) & long.MaxValue);
    }

    /// <summary>The <c>payload</c> parameter: <c>{"schema": …, "data": …}</c>; one e-mail or phone key uses the single-key form (<c>EMAIL_SHA256</c> with a flat list).</summary>
    internal static string AudiencePayload(int[] keys, IReadOnlyList<string?[]> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(rows.Count * keys.Length * 70 + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var single = keys.Length == 1 && keys[0] is 0 or 1 ? (keys[0] == 0 ? "EMAIL_SHA256" : "PHONE_SHA256") : null;
            if (single is not null)
            {
                writer.WriteString("schema", single);
                writer.WriteStartArray("data");
                foreach (var row in rows)
                {
                    writer.WriteStringValue(row[keys[0]]);
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartArray("schema");
                foreach (var k in keys)
                {
                    writer.WriteStringValue(MetaMatching.AudienceKeys[k]);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data");
                foreach (var row in rows)
                {
                    writer.WriteStartArray();
                    foreach (var k in keys)
                    {
                        writer.WriteStringValue(row[k] ?? "");
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // ---------------------------------------------------------------- insights

    /// <inheritdoc />
    /// <remarks>
    /// Reads <c>GET /act_{id}/insights</c> with <c>time_increment=1</c> at campaign or ad-set level and
    /// follows the <c>after</c> cursor while the page has a <c>paging.next</c> link (the link itself is
    /// not followed, so the token only ever goes to the configured host). Spend and conversion value
    /// are in the account currency; conversions come from the first of
    /// <see cref="MetaPlatformOptions.ConversionActionTypes"/> present in the row's <c>actions</c>.
    /// </remarks>
    public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var account = query.AccountId.StartsWith("act_", StringComparison.Ordinal) ? query.AccountId[4..] : query.AccountId;
        if (!IsGraphId(account))
        {
            throw new PlatformRequestException(PlatformId, nameof(query.AccountId), "an ad account id is numeric (with or without the act_ prefix)");
        }
        var level = query.Level == ReportLevel.AdSet ? "adset" : "campaign";
        var fields = query.Level == ReportLevel.AdSet
            ? "account_currency,campaign_id,campaign_name,adset_id,adset_name,spend,impressions,clicks,actions,action_values"
            : "account_currency,campaign_id,campaign_name,spend,impressions,clicks,actions,action_values";
        var timeRange = string.Create(CultureInfo.InvariantCulture, $"{{\"since\":\"{query.From:yyyy-MM-dd}\",\"until\":\"{query.To:yyyy-MM-dd}\"}}");
        var basePath = string.Create(CultureInfo.InvariantCulture,
            $"{Path("act_" + account, "insights")}?fields={Uri.EscapeDataString(fields)}&level={level}&time_range={Uri.EscapeDataString(timeRange)}&time_increment=1&limit={_options.InsightsPageSize}");
        string? after = null;
        var paging = StartPaging("insights.read", _options.MaxPages);
        while (true)
        {
            paging.Next(after);
            var path = after is null ? basePath : $"{basePath}&after={Uri.EscapeDataString(after)}";
            var page = await SendAsync("insights.read", () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), MetaJsonContext.Default.InsightsPage, cancellationToken,
                p => p.Data is not null).ConfigureAwait(false);
            var rows = new List<AdReportRow>(page.Data!.Count);
            foreach (var row in page.Data)
            {
                rows.Add(ReadAnswerRow(row, query.Level));
            }
            foreach (var row in rows)
            {
                yield return row;
            }
            if (page.Paging?.Next is null)
            {
                yield break;
            }
            after = page.Paging.Cursors?.After;
            if (string.IsNullOrEmpty(after))
            {
                throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "insights.read: a next page was announced without an after cursor", RepeatedCursorCode);
            }
        }
    }

    /// <summary>Maps an insights row; a row whose values cannot be used (an unknown currency, out-of-range numbers) is a malformed answer.</summary>
    private AdReportRow ReadAnswerRow(InsightsRow? row, ReportLevel level)
    {
        try
        {
            return ToReportRow(row ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "insights.read: a row is null", MalformedAnswerCode), level);
        }
        catch (Exception ex) when (IsMalformation(ex))
        {
            throw Malformed("insights.read", null, "a row has values that cannot be read", ex);
        }
    }

    private AdReportRow ToReportRow(InsightsRow row, ReportLevel level)
    {
        var currency = row.AccountCurrency ?? _options.AccountCurrency
            ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "an insights row has no account_currency and no AccountCurrency is configured");
        if (!DateOnly.TryParseExact(row.DateStart, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "an insights row has no readable date_start");
        }
        var conversions = Pick(row.Actions);
        var value = Pick(row.ActionValues);
        return new AdReportRow
        {
            Platform = Channel.Meta,
            Date = date,
            CampaignId = row.CampaignId ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "an insights row has no campaign_id"),
            CampaignName = row.CampaignName,
            AdSetId = level == ReportLevel.AdSet ? row.AdsetId : null,
            Spend = new Money(row.Spend ?? 0m, currency),
            Impressions = row.Impressions ?? 0,
            Clicks = row.Clicks ?? 0,
            Conversions = (double)(conversions ?? 0m),
            ConversionValue = value is null ? null : new Money(value.Value, currency),
        };
    }

    private decimal? Pick(IReadOnlyList<InsightsAction>? actions)
    {
        if (actions is null)
        {
            return null;
        }
        foreach (var type in _options.ConversionActionTypes)
        {
            foreach (var action in actions)
            {
                if (string.Equals(action.ActionType, type, StringComparison.Ordinal))
                {
                    return action.Value ?? 0m;
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- campaigns

    /// <inheritdoc />
    /// <remarks>
    /// Status changes send <c>status=PAUSED|ACTIVE</c>; budget changes send <c>daily_budget</c> in the
    /// currency's minor units. An ad set's fifth budget change within an hour is refused here, without a
    /// call, with the time the next one is allowed.
    /// </remarks>
    public async ValueTask<IReadOnlyList<CampaignChangeResult>> ApplyAsync(IReadOnlyList<CampaignChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var results = new List<CampaignChangeResult>(changes.Count);
        foreach (var change in changes)
        {
            results.Add(await ApplyOneAsync(change, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    private async Task<CampaignChangeResult> ApplyOneAsync(CampaignChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!IsGraphId(change.ObjectId))
        {
            return new CampaignChangeResult(change, false, "the object id is not a numeric Graph id", "invalid_id");
        }
        var fields = new List<KeyValuePair<string, string>>(1);
        switch (change.Kind)
        {
            case CampaignChangeKind.Pause:
                fields.Add(new("status", "PAUSED"));
                break;
            case CampaignChangeKind.Resume:
                fields.Add(new("status", "ACTIVE"));
                break;
            case CampaignChangeKind.SetDailyBudget when change.DailyBudget is { } budget:
                if (_options.AccountCurrency is { } accountCurrency && !string.Equals(budget.Currency, accountCurrency, StringComparison.OrdinalIgnoreCase))
                {
                    return new CampaignChangeResult(change, false, $"the budget is in {budget.Currency} but the ad account bills in {accountCurrency}", "currency_mismatch");
                }
                var minor = budget.ToMinorUnits();
                if (minor <= 0)
                {
                    return new CampaignChangeResult(change, false, "the budget rounds to zero minor units", "invalid_budget");
                }
                fields.Add(new("daily_budget", minor.ToString(CultureInfo.InvariantCulture)));
                break;
            default:
                return new CampaignChangeResult(change, false, "a budget change needs a budget", "invalid_change");
        }

        var limited = change.Kind == CampaignChangeKind.SetDailyBudget && change.Level == CampaignObjectLevel.AdSet;
        DateTimeOffset slot = default;
        if (limited && !_budgets.TryAcquire(change.ObjectId, out slot, out var nextAllowed))
        {
            LogBudgetLimit(Logger, change.ObjectId, _options.MaxBudgetChangesPerAdSetPerHour);
            return new CampaignChangeResult(change, false,
                string.Create(CultureInfo.InvariantCulture, $"Meta allows {_options.MaxBudgetChangesPerAdSetPerHour} budget changes per ad set per hour; ad set {change.ObjectId} has had them, the next is allowed at {nextAllowed:O}"),
                "budget_change_limit");
        }
        var path = Path(change.ObjectId);
        try
        {
            var response = await SendAsync("campaigns.update", () => Form(HttpMethod.Post, path, fields), MetaJsonContext.Default.GraphSuccess, cancellationToken).ConfigureAwait(false);
            if (!response.Success)
            {
                if (limited) _budgets.Release(change.ObjectId, slot);
                return new CampaignChangeResult(change, false, "Meta answered success=false", "not_applied");
            }
            return new CampaignChangeResult(change, true);
        }
        catch (PlatformApiException ex)
        {
            if (limited) _budgets.Release(change.ObjectId, slot);
            return new CampaignChangeResult(change, false, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString());
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Meta reports {Percent}% of a rate-limit quota used")]
    private static partial void LogHighUsage(ILogger logger, double percent);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Refused a budget change of Meta ad set {AdSetId}: {Limit} changes in the last hour")]
    private static partial void LogBudgetLimit(ILogger logger, string adSetId, int limit);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Meta audience {Operation}: {Sent} sent, {Invalid} invalid, {Withheld} withheld by consent, {Requests} requests")]
    private static partial void LogAudienceSynced(ILogger logger, AudienceOperation operation, int sent, int invalid, int withheld, int requests);
}
