using System.Net;
using Microsoft.AspNetCore.Builder;
using System.Text.Json;
using Marketing.Sdk.Dashboard.Data;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Dashboard.Tests;

/// <summary>The JSON endpoints over seeded stores: the numbers each page shows, and who may do what.</summary>
public sealed class DashboardApiTests
{
    private static readonly DateTimeOffset Now = DashboardHost.Now;

    [Fact]
    public async Task Overview_counts_the_window_and_compares_it_with_the_one_before()
    {
        await using var host = await DashboardHost.StartAsync();
        await Seed.ProfilesAsync(host, 3);
        await Seed.EventsAsync(host,
            Seed.Event(1, EventType.ProductView, Now.AddHours(-3)),
            Seed.Event(1, EventType.AddToCart, Now.AddHours(-2)),
            Seed.Event(1, EventType.Purchase, Now.AddHours(-1), 100m),
            Seed.Event(2, EventType.PageView, Now.AddDays(-1)),
            Seed.Event(3, EventType.Purchase, Now.AddDays(-20), 50m),
            Seed.Event(3, EventType.Purchase, Now.AddDays(-40), 999m));

        var data = await host.GetJsonAsync("overview");
        var kpis = data.GetProperty("kpis");
        Assert.Equal(14, data.GetProperty("windowDays").GetInt32());
        Assert.False(data.GetProperty("truncated").GetBoolean());
        Assert.Equal(3, kpis.GetProperty("customers").GetInt64());
        Assert.Equal(2, kpis.GetProperty("activeCustomers").GetInt64());
        Assert.Equal(1, kpis.GetProperty("buyers").GetInt64());
        Assert.Equal(1, kpis.GetProperty("orders").GetInt64());
        Assert.Equal(100m, kpis.GetProperty("revenue").GetDecimal());
        Assert.Equal("CNY", kpis.GetProperty("currency").GetString());
        Assert.Equal(100m, kpis.GetProperty("averageOrderValue").GetDecimal());
        Assert.Equal(0.5, kpis.GetProperty("conversionRate").GetDouble());
        Assert.Equal(4, kpis.GetProperty("events").GetInt64());
        // The previous 14 days had one order of 50 and one active customer (the order 40 days ago is outside both windows).
        Assert.Equal(0.0, kpis.GetProperty("ordersChange").GetDouble());
        Assert.Equal(1.0, kpis.GetProperty("revenueChange").GetDouble());
        Assert.Equal(1.0, kpis.GetProperty("activeCustomersChange").GetDouble());
        var daily = data.GetProperty("daily").EnumerateArray().ToList();
        Assert.Equal(14, daily.Count);
        Assert.Equal("2026-11-20", daily[^1].GetProperty("date").GetString());
        Assert.Equal(1, daily[^1].GetProperty("views").GetInt64());
        Assert.Equal(1, daily[^1].GetProperty("addToCarts").GetInt64());
        Assert.Equal(1, daily[^1].GetProperty("purchases").GetInt64());
        Assert.Equal(100m, daily[^1].GetProperty("revenue").GetDecimal());
        Assert.Equal(1, daily[^2].GetProperty("views").GetInt64());
        Assert.Equal(1, daily[^2].GetProperty("activeCustomers").GetInt64());
        Assert.Equal(0, daily[0].GetProperty("views").GetInt64());
    }

    [Fact]
    public async Task Overview_says_when_it_stopped_at_the_scan_limit()
    {
        await using var host = await DashboardHost.StartAsync(configure: o => o.MaxEventsScanned = 1_000);
        await Seed.EventsAsync(host, [.. Enumerable.Range(0, 1_001).Select(i => Seed.Event(1, EventType.PageView, Now.AddMinutes(-i)))]);
        var data = await host.GetJsonAsync("overview");
        Assert.True(data.GetProperty("truncated").GetBoolean());
        Assert.True(data.GetProperty("kpis").GetProperty("events").GetInt64() <= 1_000);
    }

    private static async Task<(long Failed, long Withheld, long Delivered)> SeedOutboxAsync(DashboardHost host)
    {
        var outbox = host.Get<IOutboxStore>();
        await outbox.EnqueueAsync([
            Seed.Message("meta.conversions", "a", 1), Seed.Message("meta.conversions", "b", 2),
            Seed.Message("google.conversions", "c", 3), Seed.Message("google.conversions", "d", 1), Seed.Message("google.conversions", "e", 2)]);
        var meta = await outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1), "meta.conversions");
        Assert.True(await outbox.DeadLetterAsync(meta[0].Id, meta[0].LeaseToken, "rejected: invalid phone (code 100)"));
        Assert.True(await outbox.DeadLetterAsync(meta[1].Id, meta[1].LeaseToken, "consent_withheld: denied (ad_measurement)"));
        var google = await outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1), "google.conversions");
        Assert.True(await outbox.AckAsync(google[0].Id, google[0].LeaseToken));
        Assert.True(await outbox.RetryAsync(google[1].Id, google[1].LeaseToken, Now.AddMinutes(5), "HTTP 503"));
        return (meta[0].Id, meta[1].Id, google[0].Id);
    }

    [Fact]
    public async Task Delivery_shows_backlog_retries_dead_letters_and_consent_withheld_apart()
    {
        await using var host = await DashboardHost.StartAsync();
        var (failed, _, _) = await SeedOutboxAsync(host);

        var data = await host.GetJsonAsync("delivery");
        var totals = data.GetProperty("totals");
        Assert.Equal(1, totals.GetProperty("pending").GetInt64());
        Assert.Equal(1, totals.GetProperty("inFlight").GetInt64());
        Assert.Equal(1, totals.GetProperty("delivered").GetInt64());
        Assert.Equal(1, totals.GetProperty("deadLettered").GetInt64());
        Assert.Equal(1, totals.GetProperty("withheld").GetInt64());
        Assert.Equal(1, totals.GetProperty("retrying").GetInt64());
        var destinations = data.GetProperty("destinations").EnumerateArray().ToDictionary(d => d.GetProperty("destination").GetString()!);
        Assert.Equal(["google.conversions", "meta.conversions"], destinations.Keys);
        Assert.Equal(2, destinations["google.conversions"].GetProperty("pending").GetInt64());
        Assert.Equal(1, destinations["google.conversions"].GetProperty("retrying").GetInt64());
        Assert.Equal(1, destinations["meta.conversions"].GetProperty("deadLettered").GetInt64());
        Assert.Equal(1, destinations["meta.conversions"].GetProperty("withheld").GetInt64());
        Assert.Equal("rejected", data.GetProperty("failureReasons")[0].GetProperty("name").GetString());
        Assert.Equal("denied", data.GetProperty("withheldReasons")[0].GetProperty("name").GetString());
        var row = Assert.Single(data.GetProperty("deadLetters").EnumerateArray());
        Assert.Equal(failed, row.GetProperty("id").GetInt64());
        Assert.Equal("rejected: invalid phone (code 100)", row.GetProperty("reason").GetString());
        Assert.Equal(1, row.GetProperty("attempts").GetInt32());
        Assert.False(data.GetProperty("canRetry").GetBoolean());
        Assert.True((await host.GetJsonAsync("delivery", "admin")).GetProperty("canRetry").GetBoolean());
    }

    [Fact]
    public async Task A_writer_with_the_antiforgery_token_requeues_a_dead_letter_and_nobody_else_can()
    {
        await using var host = await DashboardHost.StartAsync();
        var (failed, withheld, delivered) = await SeedOutboxAsync(host);
        var outbox = host.Get<IOutboxStore>();

        using var viewer = host.Client("viewer");
        Assert.Null((await DashboardHost.ReadTokenAsync(viewer)).Token);
        using (var refused = await viewer.PostAsync($"/dash/api/delivery/dead-letters/{failed}/retry", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using var anonymous = host.Client(role: null);
        using (var refused = await anonymous.PostAsync($"/dash/api/delivery/dead-letters/{failed}/retry", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var admin = host.Client("admin");
        using (var noToken = await admin.PostAsync($"/dash/api/delivery/dead-letters/{failed}/retry", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }
        Assert.Equal(OutboxState.DeadLettered, (await outbox.GetAsync(failed))!.State);

        var (token, cookie) = await DashboardHost.ReadTokenAsync(admin);
        Assert.NotNull(token);
        Assert.NotNull(cookie);
        async Task<HttpStatusCode> RetryAsync(long id)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/dash/api/delivery/dead-letters/{id}/retry");
            request.Headers.Add("RequestVerificationToken", token);
            request.Headers.Add("Cookie", cookie);
            using var response = await admin.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await RetryAsync(failed));
        var entry = (await outbox.GetAsync(failed))!;
        Assert.Equal(OutboxState.Pending, entry.State);
        Assert.Equal(Now, entry.NextAttemptAt);
        // Again, a withheld message (a customer's decision), a delivered one, an unknown id: nothing to requeue.
        Assert.Equal(HttpStatusCode.NotFound, await RetryAsync(failed));
        Assert.Equal(HttpStatusCode.NotFound, await RetryAsync(withheld));
        Assert.Equal(HttpStatusCode.NotFound, await RetryAsync(delivered));
        Assert.Equal(HttpStatusCode.NotFound, await RetryAsync(987654));
        Assert.Equal(OutboxState.DeadLettered, (await outbox.GetAsync(withheld))!.State);
    }

    [Fact]
    public async Task Read_only_by_default_maps_no_write_endpoint()
    {
        await using var host = await DashboardHost.StartAsync(writePolicy: null);
        var (failed, _, _) = await SeedOutboxAsync(host);
        using var admin = host.Client("admin");
        Assert.Null((await DashboardHost.ReadTokenAsync(admin)).Token);
        using var response = await admin.PostAsync($"/dash/api/delivery/dead-letters/{failed}/retry", null);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, response.StatusCode.ToString());
        Assert.False((await host.GetJsonAsync("delivery", "admin")).GetProperty("canRetry").GetBoolean());
        Assert.Equal(OutboxState.DeadLettered, (await host.Get<IOutboxStore>().GetAsync(failed))!.State);
    }

    [Fact]
    public async Task Consent_rates_per_purpose_count_the_current_decision_of_each_customer()
    {
        await using var host = await DashboardHost.StartAsync();
        await Seed.ProfilesAsync(host, 4);
        var consents = host.Get<IConsentStore>();
        async Task DecideAsync(int customer, ConsentPurpose purpose, bool granted, int minutes) =>
            await consents.AppendAsync(new ConsentRecord { CustomerId = Seed.Customer(customer), Purpose = purpose, Granted = granted, RecordedAt = Now.AddMinutes(minutes), Source = "web" });
        await DecideAsync(1, ConsentPurpose.AdTargeting, true, -10);
        await DecideAsync(2, ConsentPurpose.AdTargeting, true, -10);
        await DecideAsync(2, ConsentPurpose.AdTargeting, false, -5);
        await DecideAsync(3, ConsentPurpose.AdTargeting, false, -5);
        await DecideAsync(3, ConsentPurpose.Email, true, -5);

        var data = await host.GetJsonAsync("consent");
        Assert.Equal(4, data.GetProperty("customers").GetInt64());
        var purposes = data.GetProperty("purposes").EnumerateArray().ToDictionary(p => p.GetProperty("purpose").GetString()!);
        Assert.Equal(1, purposes["ad_targeting"].GetProperty("granted").GetInt64());
        Assert.Equal(2, purposes["ad_targeting"].GetProperty("withdrawn").GetInt64());
        Assert.Equal(1, purposes["ad_targeting"].GetProperty("undecided").GetInt64());
        Assert.Equal(0.25, purposes["ad_targeting"].GetProperty("grantRate").GetDouble());
        Assert.Equal(1, purposes["email"].GetProperty("granted").GetInt64());
        Assert.Equal(4, purposes["sms"].GetProperty("undecided").GetInt64());
    }

    [Fact]
    public async Task Segments_show_sizes_the_rfm_grid_and_value_layers()
    {
        await using var host = await DashboardHost.StartAsync();
        await Seed.ProfilesAsync(host, 3);
        await Seed.EventsAsync(host,
            Seed.Event(1, EventType.Purchase, Now.AddDays(-1), 100m),
            Seed.Event(1, EventType.Purchase, Now.AddDays(-2), 80m),
            Seed.Event(2, EventType.Purchase, Now.AddDays(-50), 20m),
            Seed.Event(3, EventType.PageView, Now.AddDays(-1)));
        var segments = host.Get<ISegmentService>();
        await segments.DefineAsync(SegmentDefinition.Parse("buyers", "exists(purchase)"));
        await segments.EvaluateAsync("buyers");

        var data = await host.GetJsonAsync("segments");
        Assert.True(data.GetProperty("available").GetBoolean());
        var size = Assert.Single(data.GetProperty("segments").EnumerateArray());
        Assert.Equal("buyers", size.GetProperty("name").GetString());
        Assert.Equal(2, size.GetProperty("count").GetInt64());
        Assert.Equal(2, data.GetProperty("scoredCustomers").GetInt64());
        var grid = data.GetProperty("rfmGrid").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        Assert.Equal(5, grid.Length);
        Assert.Equal(2, grid.Sum(r => r.Sum()));
        Assert.Equal(2, data.GetProperty("rfmSegments").EnumerateArray().Sum(s => s.GetProperty("count").GetInt64()));
        var layers = data.GetProperty("valueLayers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!, l => l.GetProperty("count").GetInt64());
        Assert.Equal(Enum.GetNames<ValueLayer>(), layers.Keys);
        Assert.Equal(3, layers.Values.Sum());
    }

    [Fact]
    public async Task Funnel_counts_customers_reaching_each_step_overall_and_by_channel()
    {
        await using var host = await DashboardHost.StartAsync();
        await Seed.EventsAsync(host,
            Seed.Event(1, EventType.ProductView, Now.AddHours(-4), channel: "wechat"),
            Seed.Event(1, EventType.AddToCart, Now.AddHours(-3)),
            Seed.Event(1, EventType.BeginCheckout, Now.AddHours(-2)),
            Seed.Event(1, EventType.Purchase, Now.AddHours(-1), 10m),
            Seed.Event(2, EventType.ProductView, Now.AddHours(-4), channel: "douyin"),
            Seed.Event(2, EventType.AddToCart, Now.AddHours(-3)),
            Seed.Event(3, EventType.ProductView, Now.AddHours(-4), channel: "douyin"));

        var data = await host.GetJsonAsync("funnel");
        var steps = data.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["product_view", "add_to_cart", "begin_checkout", "purchase"], steps.Select(s => s.GetProperty("step").GetString()));
        Assert.Equal([3L, 2L, 1L, 1L], steps.Select(s => s.GetProperty("reached").GetInt64()));
        Assert.Equal(1.0 / 3, steps[3].GetProperty("overallRate").GetDouble(), 9);
        var channels = data.GetProperty("channels").EnumerateArray().ToDictionary(c => c.GetProperty("channel").GetString()!, c => c.GetProperty("reached").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        Assert.Equal([2L, 1L, 0L, 0L], channels["douyin"]);
        Assert.Equal([1L, 1L, 1L, 1L], channels["wechat"]);
    }

    [Theory]
    [InlineData(null, "en", "Overview")]
    [InlineData("zh-CN", "zh-CN", "概览")]
    [InlineData("zh", "zh-CN", "概览")]
    [InlineData("fr-FR", "en", "Overview")]
    public async Task Pages_follow_the_request_language(string? acceptLanguage, string expected, string navText)
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.Client("viewer", acceptLanguage);
        using var response = await client.GetAsync("/dash");
        response.EnsureSuccessStatusCode();
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"<html lang=\"{expected}\">", html, StringComparison.Ordinal);
        Assert.Contains(navText, html, StringComparison.Ordinal);
        Assert.Contains("/dash/assets/echarts/echarts.min.js", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_policy_guards_pages_json_and_assets()
    {
        await using var host = await DashboardHost.StartAsync();
        using var anonymous = host.Client(role: null);
        using var stranger = host.Client("customer");
        foreach (var path in new[] { "/dash", "/dash/delivery", "/dash/api/overview", "/dash/api/consent", "/dash/assets/dashboard.js" })
        {
            using var a = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode);
            using var s = await stranger.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, s.StatusCode);
        }
    }

    [Fact]
    public async Task Bundled_assets_are_served_with_their_licence_and_revalidated_by_etag()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.Client();
        using var script = await client.GetAsync("/dash/assets/echarts/echarts.min.js");
        script.EnsureSuccessStatusCode();
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.True(script.Content.Headers.ContentLength > 500_000);
        var etag = script.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/dash/assets/echarts/echarts.min.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var licence = await client.GetAsync("/dash/assets/echarts/LICENSE");
        Assert.Contains("Apache License", await licence.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var notice = await client.GetAsync("/dash/assets/echarts/NOTICE");
        Assert.Contains("Apache ECharts", await notice.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var missing = await client.GetAsync("/dash/assets/../Marketing.Sdk.Dashboard.dll");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Invalid_options_fail_at_start()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => DashboardHost.StartAsync(configure: o =>
        {
            o.TrendDays = 0;
            o.RefreshInterval = TimeSpan.Zero;
        }));
        Assert.Contains("TrendDays", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RefreshInterval", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_without_registration_says_what_is_missing()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        var app = builder.Build();
        var ex = Assert.Throws<InvalidOperationException>(() => app.MapMarketingDashboard("/dash"));
        Assert.Contains("AddMarketingDashboard", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => app.MapMarketingDashboard("/dash/{id}"));
    }

    [Theory]
    [InlineData("rejected: invalid phone (code 100)", "rejected")]
    [InlineData("gave up after 25 attempts; last: HTTP 503", "gave up after N attempts")]
    [InlineData("denied (ad_measurement)", "denied")]
    [InlineData("", "unknown")]
    public void Reasons_group_by_their_kind(string reason, string category) =>
        Assert.Equal(category, DashboardDataService.Category(reason));

    [Fact]
    public void Both_languages_have_the_same_strings()
    {
        var en = DashboardStrings.For(DashboardStrings.English).Strings;
        var zh = DashboardStrings.For(DashboardStrings.Chinese).Strings;
        Assert.Equal(en.Keys.Order(StringComparer.Ordinal), zh.Keys.Order(StringComparer.Ordinal));
        Assert.All(zh, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Value), kv.Key));
        using var doc = JsonDocument.Parse(DashboardStrings.For(DashboardStrings.Chinese).Json);
        Assert.Equal("概览", doc.RootElement.GetProperty("nav.overview").GetString());
    }
}
