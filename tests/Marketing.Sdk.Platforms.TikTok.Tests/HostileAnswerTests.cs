using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.TikTok;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

internal sealed class HostileHandler(Func<HttpRequestMessage, int, (HttpStatusCode Status, string Body)> answer) : HttpMessageHandler
{
    public int Calls;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (status, body) = answer(request, Interlocked.Increment(ref Calls));
        return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}

internal sealed class AllowAll : IConsentGate
{
    public ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new ConsentDecision(customerId, purpose, destination, true, ConsentDecisionReason.Granted, purpose, "test"));

    public ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new ConsentFilterResult([.. customerIds.Distinct()], []));
}

/// <summary>Serves a JSON answer of <c>size</c> bytes lazily and counts what the client read of it.</summary>
internal sealed class EndlessAnswerHandler(long size) : HttpMessageHandler
{
    public long Served;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new CountingStream(this, size)) });

    private sealed class CountingStream(EndlessAnswerHandler owner, long size) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, size - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = _position + i == 0 ? (byte)'[' : (byte)' ';
            }
            _position += n;
            Interlocked.Add(ref owner.Served, n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Answers 200 with headers at once and a body that never arrives.</summary>
internal sealed class StallingBodyHandler : HttpMessageHandler
{
    /// <summary>Completes when the client starts reading the body.</summary>
    public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new StalledStream(Reading)) });

    private sealed class StalledStream(TaskCompletionSource reading) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            reading.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return 0;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public sealed class HostileAnswerTests
{
    [Fact]
    public async Task An_answer_larger_than_MaxResponseBytes_is_a_typed_error_read_no_further_than_the_limit()
    {
        const int limit = 64 * 1024;
        var handler = new EndlessAnswerHandler(256L * 1024 * 1024);
        // AddPlatformHttpClient sets the limit from PlatformClientOptions.MaxResponseBytes; here the client is built by hand.
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://hostile.test/"), MaxResponseContentBufferSize = limit };
        var options = new TikTokPlatformOptions
        {
            BaseAddress = http.BaseAddress, AccessToken = "token", AdvertiserId = TikTokHarness.Advertiser, AccountCurrency = "USD",
            PixelCode = TikTokHarness.Pixel, RequestsPerSecond = 0, MaxResponseBytes = limit,
        };
        var client = new TikTokPlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, new AllowAll());

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(2)).AsTask());

        Assert.Equal(PlatformApiClient.MalformedAnswerCode, error.PlatformCode);
        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
        Assert.InRange(handler.Served, limit, limit + 64 * 1024);
    }

    [Fact]
    public void The_registered_client_is_bounded_by_MaxResponseBytes()
    {
        var services = new ServiceCollection();
        services.AddPlatformHttpClient<TikTokPlatformOptions>("bounded", new Uri("http://hostile.test/"));
        services.Configure<TikTokPlatformOptions>(o => { o.AccessToken = "t"; o.AdvertiserId = "1"; o.PixelCode = "P"; o.MaxResponseBytes = 128 * 1024; });
        using var provider = services.BuildServiceProvider();

        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient("bounded");

        Assert.Equal(128 * 1024, http.MaxResponseContentBufferSize);
    }

    [Fact]
    public async Task A_body_that_stalls_after_its_headers_is_a_transport_failure_on_the_registered_client()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // the batch's events are an hour old
        var stalling = new StallingBodyHandler();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddPlatformHttpClient<TikTokPlatformOptions>("stalling", new Uri("http://hostile.test/"))
            .ConfigurePrimaryHttpMessageHandler(() => stalling);
        services.Configure<TikTokPlatformOptions>(o =>
        {
            o.AccessToken = "t"; o.AdvertiserId = TikTokHarness.Advertiser; o.PixelCode = TikTokHarness.Pixel; o.AccountCurrency = "USD";
            o.RequestsPerSecond = 0; o.TotalTimeout = TimeSpan.FromSeconds(30);
        });
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<TikTokPlatformOptions>>().Value;
        var client = new TikTokPlatformClient(() => factory.CreateClient("stalling"), new StaticAccessTokenProvider(() => "t"), options, new AllowAll(), timeProvider: time);

        var send = client.SendAsync(Data.Batch(1)).AsTask();
        await stalling.Reading.Task; // headers in, the body never comes
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(send.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<PlatformApiException>(() => send);

        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
    }

    private static (TikTokPlatformClient Client, HostileHandler Handler) Client(Func<HttpRequestMessage, int, (HttpStatusCode, string)> answer, Action<TikTokPlatformOptions>? configure = null)
    {
        var handler = new HostileHandler(answer);
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://hostile.test/") };
        var options = new TikTokPlatformOptions
        {
            BaseAddress = http.BaseAddress, AccessToken = "token", AdvertiserId = TikTokHarness.Advertiser, AccountCurrency = "USD",
            PixelCode = TikTokHarness.Pixel, RequestsPerSecond = 0,
        };
        configure?.Invoke(options);
        return (new TikTokPlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, new AllowAll()), handler);
    }

    public static TheoryData<string> WrongShapes => ["[]", "{}", "{\"requestId\":5}", "null", "", "{\"code\":", "{\"code\":\"zero\"}", "{\"code\":99999999999999999999}"];

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Conversions_answered_with_a_wrong_shape_are_a_typed_error_never_a_success(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        try
        {
            var result = await client.SendAsync(Data.Batch(2));
            Assert.DoesNotContain(result.Items, i => i.Outcome is DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate);
        }
        catch (PlatformException)
        {
        }
    }

    [Theory]
    [InlineData("{\"code\":0,\"data\":{\"list\":[{\"dimensions\":{\"stat_time_day\":\"2026-03-01 00:00:00\",\"campaign_id\":\"1\"},\"metrics\":{\"impressions\":\"1e40\"}}],\"page_info\":{\"page\":1,\"total_page\":1}}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[{\"dimensions\":{\"stat_time_day\":\"2026-03-01 00:00:00\",\"campaign_id\":\"1\"},\"metrics\":{\"spend\":\"79228162514264337593543950336\"}}],\"page_info\":{\"page\":1,\"total_page\":1}}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[null],\"page_info\":{\"page\":1,\"total_page\":1}}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":{},\"page_info\":{\"page\":1,\"total_page\":1}}}")]
    [InlineData("{\"code\":0,\"data\":{\"page_info\":{\"page\":1,\"total_page\":99999999999}}}")]
    [InlineData("{\"code\":0}")]
    public async Task A_report_page_that_cannot_be_read_is_a_typed_error(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        await Assert.ThrowsAnyAsync<PlatformException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))))
            {
            }
        });
    }

    [Fact]
    public async Task A_report_announcing_two_billion_pages_stops_at_the_page_limit()
    {
        var (client, handler) = Client((_, n) => (HttpStatusCode.OK,
            """{"code":0,"data":{"list":[{"dimensions":{"stat_time_day":"2026-03-01 00:00:00","campaign_id":"1"},"metrics":{"spend":"1"}}],"page_info":{"page":1,"total_page":2000000000}}}"""),
            o => o.MaxPages = 30);
        var rows = 0;
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))))
            {
                rows++;
            }
        });
        Assert.Equal(PlatformApiClient.PageLimitCode, ex.PlatformCode);
        Assert.Equal(30, handler.Calls);
        Assert.Equal(30, rows);
    }

    [Theory]
    [InlineData("{\"code\":0}")]
    [InlineData("{\"code\":0,\"data\":[]}")]
    [InlineData("{\"code\":0,\"data\":{\"custom_audience_id\":5}}")]
    public async Task An_audience_created_without_an_id_is_a_typed_error(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        await Assert.ThrowsAnyAsync<PlatformException>(() => client.CreateAudienceAsync("name", [new AudienceMember(new CustomerId("c1"), new CustomerMatchData { Email = "a@example.com" })]).AsTask());
    }
}
