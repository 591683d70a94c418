using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>A minimal platform for testing the shared pipeline: an OAuth token endpoint and one echo route with a JSON error envelope.</summary>
internal sealed class TestEmulator() : PlatformEmulator("test")
{
    private readonly ConcurrentDictionary<string, bool> _valid = new();
    private int _issued;

    public int TokensIssued => _issued;
    public ConcurrentQueue<string> Echoed { get; } = new();

    public void RevokeAll() => _valid.Clear();

    protected override bool IsFaultable(HttpContext context) => context.Request.Path != "/token";

    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/token", async (HttpContext ctx) =>
        {
            var form = await ctx.Request.ReadFormAsync();
            if (form["refresh_token"] != "refresh-1")
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsync("""{"error":"invalid_grant","error_description":"Token has been expired or revoked."}""");
                return;
            }
            var token = $"access-{Interlocked.Increment(ref _issued)}";
            _valid[token] = true;
            await ctx.Response.WriteAsync($$"""{"access_token":"{{token}}","expires_in":3600,"token_type":"Bearer"}""");
        });
        routes.MapPost("/echo", async (HttpContext ctx) =>
        {
            var auth = ctx.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_valid.ContainsKey(auth[7..]))
            {
                await WriteTokenExpiredAsync(ctx);
                return;
            }
            using var reader = new StreamReader(ctx.Request.Body);
            var text = await reader.ReadToEndAsync();
            Echoed.Enqueue(text);
            await ctx.Response.WriteAsync($$"""{"ok":true,"request_id":"r-{{Echoed.Count}}"}""");
        });
        routes.MapPost("/fail/{code}", async (HttpContext ctx, string code) =>
        {
            ctx.Response.StatusCode = 200;
            await ctx.Response.WriteAsync($$$"""{"error":{"code":"{{{code}}}","request_id":"r-fail"}}""");
        });
    }

    protected override Task WriteServerErrorAsync(HttpContext context)
    {
        context.Response.StatusCode = 503;
        return context.Response.WriteAsync("""{"error":{"code":"UNAVAILABLE","request_id":"r-503"}}""");
    }

    protected override Task WriteThrottledAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.Headers.RetryAfter = "7";
        return context.Response.WriteAsync("""{"error":{"code":"THROTTLED","request_id":"r-429"}}""");
    }

    protected override Task WriteTokenExpiredAsync(HttpContext context)
    {
        context.Response.StatusCode = 401;
        return context.Response.WriteAsync("""{"error":{"code":"EXPIRED","request_id":"r-401"}}""");
    }
}

internal sealed class TestClientOptions : PlatformClientOptions;

/// <summary>A client on the shared base: classifies the test envelope from the body.</summary>
internal sealed class TestClient(Func<HttpClient> http, IAccessTokenProvider tokens, System.Threading.RateLimiting.RateLimiter? limiter = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
    : PlatformApiClient(http, tokens, "test", limiter, meterFactory: meters)
{
    public async Task<string> EchoAsync(string text, bool retriable = true, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync("echo", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "echo") { Content = new StringContent(text) };
            if (retriable)
            {
                request.Options.Set(PlatformRetry.Retriable, true);
            }
            return request;
        }, cancellationToken);
        return JsonDocument.Parse(response.Body).RootElement.GetProperty("request_id").GetString()!;
    }

    public Task FailAsync(string code, CancellationToken cancellationToken = default) =>
        SendAsync("fail", () => new HttpRequestMessage(HttpMethod.Post, $"fail/{code}"), cancellationToken);

    protected override void Authorize(HttpRequestMessage request, AccessToken token) =>
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Value);

    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(response.Body);
        }
        catch (JsonException)
        {
            return new PlatformApiException("test", PlatformErrorClass.Transient, response.StatusCode, "malformed answer");
        }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("error", out var error))
            {
                return response.StatusCode == HttpStatusCode.OK ? null : new PlatformApiException("test", ClassifyStatus(response.StatusCode), response.StatusCode, "error");
            }
            var code = error.GetProperty("code").GetString();
            var errorClass = code switch
            {
                "EXPIRED" => PlatformErrorClass.AuthenticationExpired,
                "THROTTLED" => PlatformErrorClass.RateLimited,
                "UNAVAILABLE" => PlatformErrorClass.Transient,
                "DENIED" => PlatformErrorClass.Unauthorized,
                _ => PlatformErrorClass.Permanent,
            };
            return new PlatformApiException("test", errorClass, response.StatusCode, $"test error {code}", code, requestId: error.GetProperty("request_id").GetString(), retryAfter: RetryAfter(response));
        }
    }
}
