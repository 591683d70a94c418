using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Marketing.Sdk.Dashboard;
using Marketing.Sdk.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Dashboard.Tests;

/// <summary>
/// A minimal host (TestServer) with the SDK's in-memory stores, segmentation, a header sign-in (<c>X-Role</c>:
/// viewer or admin) and the dashboard under <c>/dash</c> for the policy "read"; write actions under "write".
/// </summary>
internal sealed partial class DashboardHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private DashboardHost(WebApplication app, FakeTimeProvider time)
    {
        App = app;
        Time = time;
    }

    public WebApplication App { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>The e-mail address and phone number the seeded profiles carry; no page may show them.</summary>
    public const string SeededEmail = "alice.personal@example.com";

    public const string SeededPhone = "+8613800138000";

    public static async Task<DashboardHost> StartAsync(string? writePolicy = "write", Action<MarketingDashboardOptions>? configure = null, Action<IMarketingBuilder>? marketing = null, Action<IServiceCollection>? services = null)
    {
        var time = new FakeTimeProvider(Now);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddMarketingSdk(m =>
        {
            m.AddSegmentation();
            marketing?.Invoke(m);
        });
        services?.Invoke(builder.Services);
        builder.Services.AddAuthentication(RoleHeaderHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, RoleHeaderHandler>(RoleHeaderHandler.SchemeName, null);
        builder.Services.AddAuthorization(o =>
        {
            o.AddPolicy("read", p => p.RequireRole("viewer", "admin"));
            o.AddPolicy("write", p => p.RequireRole("admin"));
        });
        builder.Services.AddMarketingDashboard(o =>
        {
            o.WritePolicy = writePolicy;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMarketingDashboard("/dash").RequireAuthorization("read");
        await app.StartAsync();
        return new DashboardHost(app, time);
    }

    public HttpClient Client(string? role = "viewer", string? language = null)
    {
        var client = App.GetTestClient();
        if (role is not null)
        {
            client.DefaultRequestHeaders.Add(RoleHeaderHandler.Header, role);
        }
        if (language is not null)
        {
            client.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        }
        return client;
    }

    public async Task<JsonElement> GetJsonAsync(string page, string role = "viewer")
    {
        using var client = Client(role);
        using var response = await client.GetAsync($"/dash/api/{page}");
        response.EnsureSuccessStatusCode();
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        // No page answers with a customer id: the seeded ids all start with "cust-".
        Assert.DoesNotContain("cust-", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SeededEmail, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SeededPhone, text, StringComparison.Ordinal);
        Assert.DoesNotContain("13800138000", text, StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The antiforgery token of the page (rendered for writers only) and the cookie that goes with it.</summary>
    public static async Task<(string? Token, string? Cookie)> ReadTokenAsync(HttpClient client, string path = "/dash/delivery")
    {
        using var response = await client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        var html = await response.Content.ReadAsStringAsync();
        var match = TokenInput().Match(html);
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.First().Split(';')[0] : null;
        return (match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups[1].Value) : null, cookie);
    }

    [GeneratedRegex("id=\"dashboard-antiforgery\" value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    private sealed class RoleHeaderHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "RoleHeader";
        public const string Header = "X-Role";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(Header, out var role))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "tester-" + role), new Claim(ClaimTypes.Role, role.ToString())], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}

/// <summary>Seeds the stores directly (no tracking pipeline): profiles, events, consent and outbox entries.</summary>
internal static class Seed
{
    public static CustomerId Customer(int n) => new($"cust-{n}");

    public static async Task ProfilesAsync(DashboardHost host, int count)
    {
        var profiles = host.Get<IProfileStore>();
        for (var i = 1; i <= count; i++)
        {
            await profiles.SaveAsync(new CustomerProfile
            {
                Id = Customer(i),
                FirstSeen = DashboardHost.Now.AddDays(-60),
                LastSeen = DashboardHost.Now,
                Identities = [Identity.Member($"member-{i}"), Identity.Email(DashboardHost.SeededEmail), Identity.Phone(DashboardHost.SeededPhone)],
            });
        }
    }

    public static MarketingEvent Event(int customer, EventType type, DateTimeOffset at, decimal? value = null, string? channel = null) => new()
    {
        Id = $"e-{customer}-{type.Value}-{at.UtcTicks}",
        Type = type,
        OccurredAt = at,
        CustomerId = Customer(customer),
        Value = value is { } v ? new Money(v, "CNY") : null,
        Order = type == EventType.Purchase ? new Order { OrderId = $"o-{customer}-{at.UtcTicks}", PlacedAt = at, Lines = [], Total = new Money(value ?? 0m, "CNY") } : null,
        Channel = channel is null ? (Channel?)null : new Channel(channel),
    };

    public static async Task EventsAsync(DashboardHost host, params MarketingEvent[] events) =>
        await host.Get<IEventStore>().AppendAsync(events);

    public static OutboxMessage Message(string destination, string key, int customer) => new()
    {
        Destination = destination,
        IdempotencyKey = key,
        Payload = "{}"u8.ToArray(),
        CustomerId = Customer(customer),
    };
}
