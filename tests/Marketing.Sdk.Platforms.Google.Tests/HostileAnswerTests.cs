using System.Net;
using System.Net.Sockets;
using System.Text;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Google.Tests;

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

public sealed class HostileAnswerTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));

    internal static GooglePlatformOptions Options() => new()
    {
        ClientId = "client", ClientSecret = "secret", RefreshToken = "refresh",
        OperatingAccountId = "123-456-7890", ConversionActions = { ["purchase"] = "555000111" },
        CustomerMatchTermsAccepted = true, RequestsPerSecond = 0,
    };

    private static (GooglePlatformClient Client, HostileHandler Handler) Client(Func<HttpRequestMessage, int, (HttpStatusCode, string)> answer, Action<GooglePlatformOptions>? configure = null)
    {
        var handler = new HostileHandler(answer);
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://hostile.test/") };
        var options = Options();
        options.BaseAddress = new Uri("http://hostile.test/");
        configure?.Invoke(options);
        return (new GooglePlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, new AllowAll(), Time), handler);
    }

    private static PreparedConversion Conversion() => ConversionPublisher.Prepare(new ConversionRequest
    {
        EventId = "e1", EventType = EventType.Purchase, OccurredAt = Time.GetUtcNow().AddHours(-1), CustomerId = new CustomerId("c1"),
        Value = new Money(10m, "USD"), OrderId = "o1", Source = ConversionSource.Other,
        Customer = new CustomerMatchData { Email = "a@example.com" },
    }, HashingProfile.Google);

    public static TheoryData<string> WrongShapes => ["[]", "{}", "{\"requestId\":5}", "null", "", "{\"requestId\":", "\"text\"", "{\"results\":7}"];

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Conversions_answered_with_a_wrong_shape_are_a_typed_error_never_a_success(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync([Conversion()]).AsTask());
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
    }

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Audience_uploads_answered_with_a_wrong_shape_are_a_typed_error_never_a_success(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        await Assert.ThrowsAsync<PlatformApiException>(() => client.SyncAsync("9876", AudienceOperation.Add,
            [new AudienceMember(new CustomerId("c1"), new CustomerMatchData { Email = "a@example.com" })]).AsTask());
    }

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Mutates_answered_with_a_wrong_shape_are_a_typed_error_never_applied(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        try
        {
            var results = await client.ApplyAsync([new CampaignChange("1234567890", "111", CampaignChangeKind.Pause)]);
            Assert.DoesNotContain(results, r => r.Applied);
        }
        catch (PlatformException)
        {
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[{\"results\":[{\"customer\":{\"currencyCode\":\"USD\"},\"campaign\":{\"id\":\"1\"},\"segments\":{\"date\":\"2026-03-01\"},\"metrics\":{\"conversionsValue\":1e300}}]}]")]
    [InlineData("[{\"results\":[{\"customer\":{\"currencyCode\":\"USD\"},\"campaign\":{\"id\":\"1\"},\"segments\":{\"date\":\"2026-03-01\"},\"metrics\":{\"costMicros\":\"99999999999999999999999\"}}]}]")]
    [InlineData("[{\"results\":[{\"customer\":{\"currencyCode\":\"usd1\"},\"campaign\":{\"id\":\"1\"},\"segments\":{\"date\":\"2026-03-01\"}}]}]")]
    [InlineData("[{\"results\":[null]}]")]
    [InlineData("[{\"results\":[]}")]
    public async Task A_report_stream_that_cannot_be_read_is_a_typed_error(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        await Assert.ThrowsAnyAsync<PlatformException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("1234567890", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2))))
            {
            }
        });
    }

    [Theory]
    [InlineData("99999999999999999999s")]
    [InlineData("1e400s")]
    [InlineData("-5s")]
    [InlineData("NaNs")]
    public async Task A_hostile_retry_delay_is_clamped_not_an_overflow(string delay)
    {
        var body = $$$"""{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"quota","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"{{{delay}}}"}]}}""";
        var (client, _) = Client((_, _) => ((HttpStatusCode)429, body));
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync([Conversion()]).AsTask());
        Assert.Equal(PlatformErrorClass.RateLimited, ex.ErrorClass);
        Assert.True(ex.RetryAfter is null || (ex.RetryAfter >= TimeSpan.Zero && ex.RetryAfter <= PlatformApiClient.MaxRetryAfter));
    }

    [Fact]
    public void Duration_parsing_clamps_instead_of_overflowing() =>
        Assert.Equal(PlatformApiClient.MaxRetryAfter, GoogleErrors.ParseDuration("99999999999999999999s"));

    private static async Task ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(received)) < 0)
        {
            var n = await stream.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                return;
            }
            received.AddRange(buffer.AsSpan(0, n));
        }
        var head = Encoding.ASCII.GetString([.. received.Take(headerEnd)]);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var body = received.Count - headerEnd - 4;
        while (body < length)
        {
            var n = await stream.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                return;
            }
            body += n;
        }
    }

    private static int IndexOfHeaderEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// The one real-socket check: a loopback server that announces more bytes than it sends (a truncated body) and
    /// one that drips its body a byte at a time. Both end as typed errors within the client's attempt timeout.
    /// </summary>
    [Theory]
    [InlineData("truncated")]
    [InlineData("drip")]
    public async Task A_truncated_or_dripping_answer_over_a_real_socket_is_a_typed_error(string mode)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptTcpClientAsync(stop.Token);
                var stream = socket.GetStream();
                await ReadRequestAsync(stream, stop.Token);
                var body = "{\"requestId\":\"r-1\"}";
                var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {(mode == "truncated" ? body.Length + 100 : body.Length)}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), stop.Token);
                if (mode == "truncated")
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(body), stop.Token);
                    socket.Client.Shutdown(SocketShutdown.Both);
                }
                else
                {
                    // A drip that stalls after its first byte and resumes only when the test ends: the client's
                    // bound is what ends the call, whatever the machine's speed.
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(body).AsMemory(0, 1), stop.Token);
                    var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    using (stop.Token.Register(() => resumed.TrySetCanceled(stop.Token)))
                    {
                        await resumed.Task;
                    }
                }
            }
        });
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMilliseconds(500) };
        var options = Options();
        options.BaseAddress = http.BaseAddress;
        var client = new GooglePlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, new AllowAll(), Time);
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync([Conversion()]).AsTask());
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await server;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }
}
