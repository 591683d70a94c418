using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Callbacks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.AspNetCore.Tests;

public sealed class CallbackEndpointTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private sealed class StubHandler(string name, int maxBodyBytes = 64) : IPlatformCallbackHandler
    {
        public string Name { get; } = name;
        public int MaxBodyBytes { get; } = maxBodyBytes;
        public PlatformCallbackRequest? Last { get; private set; }
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Hang { get; set; }

        public async ValueTask<PlatformCallbackResponse> HandleAsync(PlatformCallbackRequest request, CancellationToken cancellationToken = default)
        {
            Last = request;
            Started.TrySetResult();
            if (Hang)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            return request.Query.ContainsKey("refuse") ? PlatformCallbackResponse.Refused(401, "signature") : PlatformCallbackResponse.Ok("ok:" + request.Method + ":" + request.Body.Length);
        }
    }

    private static async Task<(WebApplication App, HttpClient Http, FakeTimeProvider Time, FakeLogCollector Logs)> StartAsync(params IPlatformCallbackHandler[] handlers)
    {
        var time = new FakeTimeProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(time);
        foreach (var handler in handlers)
        {
            builder.Services.AddSingleton<IPlatformCallbackHandler>(handler);
        }
        var app = builder.Build();
        app.MapMarketingCallbacks();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address), Timeout = Guard }, time, app.Services.GetRequiredService<FakeLogCollector>());
    }

    [Fact]
    public async Task Get_and_post_reach_the_named_handler_with_query_headers_and_body()
    {
        var sms = new StubHandler("aliyun-sms");
        var (app, http, _, _) = await StartAsync(new StubHandler("wecom"), sms);
        await using var _app = app;
        using var _http = http;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/marketing/callbacks/aliyun-sms?a=1&a=2") { Content = new StringContent("hello", Encoding.UTF8, "text/xml") };
        post.Headers.Add("X-Signature", "abc");
        var response = await http.SendAsync(post).WaitAsync(Guard);
        Assert.Equal("ok:POST:5", await response.Content.ReadAsStringAsync());
        Assert.Equal("1", sms.Last!.Query["a"]);
        Assert.Equal("abc", sms.Last.Headers["x-signature"]);
        Assert.StartsWith("text/xml", sms.Last.ContentType, StringComparison.Ordinal);
        Assert.Equal("ok:GET:0", await http.GetStringAsync(new Uri("/marketing/callbacks/aliyun-sms", UriKind.Relative)).WaitAsync(Guard));
        var refused = await http.GetAsync(new Uri("/marketing/callbacks/aliyun-sms?refuse=1", UriKind.Relative)).WaitAsync(Guard);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Unknown_names_are_404_and_oversize_bodies_413_without_content_in_logs()
    {
        var handler = new StubHandler("wecom", maxBodyBytes: 16);
        var (app, http, _, logs) = await StartAsync(handler);
        await using var _app = app;
        using var _http = http;
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(new Uri("/marketing/callbacks/other", UriKind.Relative), new StringContent("x")).WaitAsync(Guard)).StatusCode);
        var big = await http.PostAsync(new Uri("/marketing/callbacks/wecom", UriKind.Relative), new StringContent("SECRET-CONTENT-" + new string('x', 100))).WaitAsync(Guard);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Null(handler.Last);
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string('y', 100))));
        chunked.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/marketing/callbacks/wecom") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.SendAsync(request).WaitAsync(Guard)).StatusCode);
        Assert.Null(handler.Last);
        var text = string.Join('\n', logs.GetSnapshot().Select(r => r.Message));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 10102);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 10103);
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_slower_than_the_timeout_is_cancelled_and_answered_503()
    {
        var handler = new StubHandler("slow") { Hang = true };
        var (app, http, time, _) = await StartAsync(handler);
        await using var _app = app;
        using var _http = http;
        var call = http.GetAsync(new Uri("/marketing/callbacks/slow", UriKind.Relative));
        await handler.Started.Task.WaitAsync(Guard);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await call.WaitAsync(Guard)).StatusCode);
    }

    [Theory]
    [InlineData("dup", "dup")]
    [InlineData("Bad Name", "ok")]
    public void Duplicate_or_malformed_names_fail_when_mapped(string a, string b)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton<IPlatformCallbackHandler>(new StubHandler(a));
        builder.Services.AddSingleton<IPlatformCallbackHandler>(new StubHandler(b));
        var app = builder.Build();
        Assert.Throws<InvalidOperationException>(() => app.MapMarketingCallbacks());
    }

    [Fact]
    public async Task The_group_accepts_conventions()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton<IPlatformCallbackHandler>(new StubHandler("x"));
        await using var app = builder.Build();
        var group = app.MapMarketingCallbacks("/hooks");
        group.WithMetadata("marker");
        Assert.NotNull(group);
    }
}
