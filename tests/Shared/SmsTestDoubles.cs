using System.Collections.Concurrent;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Tests.Sms;

// Test doubles shared by the SMS provider test projects (linked into each).

/// <summary>A real Kestrel endpoint on loopback that forwards every request to a callback handler (as the web host's mapping does).</summary>
internal sealed class CallbackHost : IAsyncDisposable
{
    private WebApplication _app = null!;
    public Uri Url { get; private set; } = null!;

    public static async Task<CallbackHost> StartAsync(IPlatformCallbackHandler handler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var request = new PlatformCallbackRequest(context.Request.Method,
                context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray(), context.Request.ContentType);
            var response = await handler.HandleAsync(request);
            context.Response.StatusCode = response.StatusCode;
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CallbackHost { _app = app, Url = new Uri(address.TrimEnd('/') + "/callbacks/" + handler.Name) };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class RecordingReporter : IMessageStatusReporter
{
    public ConcurrentQueue<(string ProviderMessageId, ProviderMessageStatus Status, string? Code)> Reports { get; } = new();
    public HashSet<string> Known { get; } = new(StringComparer.Ordinal);

    public ValueTask<bool> ReportAsync(Channel channel, string providerMessageId, ProviderMessageStatus status, DateTimeOffset occurredAt, string? platformCode = null, CancellationToken cancellationToken = default)
    {
        if (!Known.Contains(providerMessageId))
        {
            return ValueTask.FromResult(false);
        }
        Reports.Enqueue((providerMessageId, status, platformCode));
        return ValueTask.FromResult(true);
    }
}

internal sealed class RecordingSuppressions : ISuppressionList
{
    public ConcurrentQueue<SuppressionEntry> Added { get; } = new();

    public ValueTask<SuppressionEntry> AddAsync(CustomerId customerId, Channel? channel, SuppressionReason reason, CancellationToken cancellationToken = default)
    {
        var entry = new SuppressionEntry(customerId, channel, reason, DateTimeOffset.UnixEpoch);
        Added.Enqueue(entry);
        return ValueTask.FromResult(entry);
    }

    public ValueTask<bool> RemoveAsync(CustomerId customerId, Channel? channel, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

    public ValueTask<IReadOnlyList<SuppressionEntry>> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default) => ValueTask.FromResult<IReadOnlyList<SuppressionEntry>>([.. Added.Where(a => a.CustomerId == customerId)]);

    public ValueTask<SuppressionEntry?> FindBlockingAsync(CustomerId customerId, Channel channel, MessagePurpose purpose, CancellationToken cancellationToken = default) => ValueTask.FromResult(Added.FirstOrDefault(a => a.CustomerId == customerId));
}
