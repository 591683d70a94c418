using System.Net;
using System.Text.Json;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Marketing.Sdk.Dashboard.Tests;

/// <summary>
/// The dashboard in Debian's Chromium (Playwright) against the ECommerce.Api sample on 127.0.0.1. Without Chromium
/// the tests are skipped on a developer machine and fail under <c>CI=true</c>.
/// </summary>
public sealed class DashboardBrowserTests(ShopBrowserFixture fixture) : IClassFixture<ShopBrowserFixture>
{
    private static readonly string[] Pages = ["overview", "funnel", "attribution", "segments", "lifecycle", "experiments", "messages", "consent", "delivery"];

    private void RequireBrowser()
    {
        if (fixture.Missing is { } missing)
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "CI=true: " + missing);
            Skip.If(true, missing);
        }
    }

    private static string PagePath(string page) => page == "overview" ? "marketing/dashboard" : "marketing/dashboard/" + page;

    /// <summary>A browser context signed in as <paramref name="member"/> (the demo's header sign-in).</summary>
    private async Task<IBrowserContext> ContextAsync(string? member, string locale = "en-US")
    {
        var options = new BrowserNewContextOptions
        {
            BaseURL = fixture.BaseAddress.ToString(),
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        };
        if (member is not null)
        {
            options.ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Demo-User"] = member };
        }
        return await fixture.Browser!.NewContextAsync(options);
    }

    /// <summary>Collects console errors, page errors, failed requests and error answers of a page.</summary>
    private static List<string> Watch(IPage page)
    {
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add("console: " + message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.RequestFailed += (_, request) => problems.Add($"request failed: {request.Url} {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                problems.Add($"HTTP {response.Status}: {response.Url}");
            }
        };
        return problems;
    }

    private static async Task<int> LoadsAsync(IPage page) =>
        int.Parse(await page.EvaluateAsync<string>("() => document.body.dataset.loads || '0'"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Waits until the page has rendered its data <paramref name="after"/> more times than it had (its own refresh).</summary>
    private static async Task WaitForLoadAsync(IPage page, int after = 0) =>
        await page.WaitForFunctionAsync($"() => Number(document.body.dataset.loads || 0) > {after}", null, new PageWaitForFunctionOptions { Timeout = 30_000 });

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ShopBrowserFixture.ArtefactDirectory);
        var path = Path.Combine(ShopBrowserFixture.ArtefactDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        if (Environment.GetEnvironmentVariable("MARKETING_SDK_SCREENSHOTS") is { Length: > 0 } published)
        {
            Directory.CreateDirectory(published);
            File.Copy(path, Path.Combine(published, name + ".png"), overwrite: true);
        }
    }

    private sealed class ChartState
    {
        public string Name { get; set; } = "";
        public int Points { get; set; }
        public bool Rendered { get; set; }
        public int CanvasWidth { get; set; }
    }

    [SkippableTheory]
    [InlineData("en-US", "")]
    [InlineData("zh-CN", "-zh-CN")]
    public async Task Every_page_loads_cleanly_and_every_chart_shows_data(string locale, string suffix)
    {
        RequireBrowser();
        await using var context = await ContextAsync("admin", locale);
        foreach (var name in Pages)
        {
            var page = await context.NewPageAsync();
            var problems = Watch(page);
            var response = await page.GotoAsync(PagePath(name));
            Assert.Equal(200, response!.Status);
            await WaitForLoadAsync(page);
            Assert.Equal("ready", await page.EvaluateAsync<string>("() => document.body.dataset.state"));
            Assert.Equal(locale == "zh-CN" ? "zh-CN" : "en", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
            var charts = await page.EvaluateAsync<ChartState[]>(
                "() => [...document.querySelectorAll('[data-chart]')].map(e => ({ name: e.dataset.chart, points: Number(e.dataset.points || 0), rendered: e.dataset.rendered === 'true', canvasWidth: (e.querySelector('canvas') || { width: 0 }).width }))");
            Assert.NotEmpty(charts);
            Assert.All(charts, c =>
            {
                Assert.True(c.Rendered, $"{name}/{c.Name} not rendered");
                Assert.True(c.Points > 0, $"{name}/{c.Name} shows no data");
                Assert.True(c.CanvasWidth > 0, $"{name}/{c.Name} has no canvas");
            });
            await ScreenshotAsync(page, $"dashboard-{name}{suffix}");
            Assert.True(problems.Count == 0, name + ": " + string.Join(" | ", problems));
            // No personal data: member names, e-mails and customer ids never reach the page.
            var html = await page.ContentAsync();
            Assert.DoesNotContain("member-", html, StringComparison.Ordinal);
            Assert.DoesNotContain("@", await page.InnerTextAsync("main"), StringComparison.Ordinal);
            await page.CloseAsync();
        }
    }

    [SkippableFact]
    public async Task An_unauthorised_user_is_refused_and_a_marketer_reads_without_write_actions()
    {
        RequireBrowser();
        await using (var anonymous = await ContextAsync(member: null))
        {
            var page = await anonymous.NewPageAsync();
            Assert.Equal(401, (await page.GotoAsync(PagePath("overview")))!.Status);
            Assert.Equal(401, (await page.GotoAsync("marketing/dashboard/api/delivery"))!.Status);
        }
        await using (var customer = await ContextAsync("member-3"))
        {
            var page = await customer.NewPageAsync();
            Assert.Equal(403, (await page.GotoAsync(PagePath("delivery")))!.Status);
            Assert.Equal(403, (await page.GotoAsync("marketing/dashboard/api/consent"))!.Status);
            Assert.Equal(0, await page.Locator("[data-chart]").CountAsync());
        }
        await using (var marketer = await ContextAsync("marketer"))
        {
            var page = await marketer.NewPageAsync();
            var problems = Watch(page);
            Assert.Equal(200, (await page.GotoAsync(PagePath("delivery")))!.Status);
            await WaitForLoadAsync(page);
            Assert.True(await page.Locator("table[data-table=deadLetters] tbody tr").CountAsync() > 0);
            Assert.Equal(0, await page.Locator("button[data-retry]").CountAsync());
            Assert.Equal(0, await page.Locator("#dashboard-antiforgery").CountAsync());
            Assert.Empty(problems);
        }
        // The write endpoint itself refuses the marketer too (the write policy), whatever the page shows.
        using var client = fixture.Client("marketer");
        var dead = await fixture.Shop.Services.GetRequiredService<IOutboxStore>().ReadAsync(OutboxState.DeadLettered).FirstAsync(e => e.LastError!.StartsWith("gave up", StringComparison.Ordinal));
        using var refused = await client.PostAsync($"/marketing/dashboard/api/delivery/dead-letters/{dead.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [SkippableFact]
    public async Task A_consent_withdrawal_through_the_api_shows_on_the_open_page_without_a_reload()
    {
        RequireBrowser();
        await using var context = await ContextAsync("admin");
        var page = await context.NewPageAsync();
        var problems = Watch(page);
        await page.GotoAsync(PagePath("consent"));
        await WaitForLoadAsync(page);
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        var row = page.Locator("table[data-table=purposeTable] tr[data-purpose=ad_targeting] td");
        var granted = int.Parse(await row.Nth(1).InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        var withdrawn = int.Parse(await row.Nth(2).InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

        using var member = fixture.Client("member-5");
        await ShopBrowserFixture.SetConsentAsync(member, "ad_targeting", granted: false);

        // The page refreshes itself (fetch on its interval): wait for the new numbers, not for a time.
        await page.WaitForFunctionAsync(
            $"() => {{ const c = document.querySelectorAll('table[data-table=purposeTable] tr[data-purpose=ad_targeting] td'); return c.length > 2 && c[2].textContent === '{withdrawn + 1}'; }}",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.Equal((granted - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), await row.Nth(1).InnerTextAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        await ShopBrowserFixture.SetConsentAsync(member, "ad_targeting", granted: true);
        Assert.Empty(problems);
    }

    [SkippableFact]
    public async Task A_journey_is_paused_and_resumed_from_the_lifecycle_page_and_a_marketer_cannot()
    {
        RequireBrowser();
        var engine = fixture.Shop.Services.GetRequiredService<Marketing.Sdk.Lifecycle.Journeys.JourneyEngine>();
        await using (var marketer = await ContextAsync("marketer"))
        {
            var page = await marketer.NewPageAsync();
            await page.GotoAsync(PagePath("lifecycle"));
            await WaitForLoadAsync(page);
            Assert.True(await page.Locator("table[data-table=journeys] tbody tr").CountAsync() > 0);
            Assert.Equal(0, await page.Locator("button[data-pause], button[data-resume]").CountAsync());
        }
        using (var client = fixture.Client("marketer"))
        {
            using var refused = await client.PostAsync("/marketing/dashboard/api/lifecycle/journeys/cart_abandoned/pause", null);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.False(await engine.IsPausedAsync("cart_abandoned"));

        await using var context = await ContextAsync("admin");
        var admin = await context.NewPageAsync();
        var problems = Watch(admin);
        await admin.GotoAsync(PagePath("lifecycle"));
        await WaitForLoadAsync(admin);
        await admin.EvaluateAsync("() => { window.__sameDocument = true; }");
        await admin.Locator("button[data-pause='cart_abandoned']").ClickAsync();
        await admin.WaitForFunctionAsync("() => document.querySelector('tr[data-journey=cart_abandoned]')?.dataset.paused === 'true'", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.True(await engine.IsPausedAsync("cart_abandoned"));
        await admin.Locator("button[data-resume='cart_abandoned']").ClickAsync();
        await admin.WaitForFunctionAsync("() => document.querySelector('tr[data-journey=cart_abandoned]')?.dataset.paused === 'false'", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.False(await engine.IsPausedAsync("cart_abandoned"));
        Assert.True(await admin.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        Assert.Empty(problems);
    }

    [SkippableFact]
    public async Task A_dead_letter_is_discarded_from_the_delivery_page_and_a_marketer_cannot()
    {
        RequireBrowser();
        var outbox = fixture.Shop.Services.GetRequiredService<IOutboxStore>();
        await using var context = await ContextAsync("admin");
        var page = await context.NewPageAsync();
        var problems = Watch(page);
        await page.GotoAsync(PagePath("delivery"));
        await WaitForLoadAsync(page);
        // A Google conversion refused for good (these members gave no identifiers): nothing to retry, so it is discarded.
        var button = page.Locator("table[data-table=deadLetters] tbody tr:has(td:text-is('google.conversions')) button[data-discard]").First;
        var id = long.Parse((await button.GetAttributeAsync("data-discard"))!, System.Globalization.CultureInfo.InvariantCulture);
        using (var client = fixture.Client("marketer"))
        {
            using var refused = await client.PostAsync($"/marketing/dashboard/api/delivery/dead-letters/{id}/discard", null);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Equal(OutboxState.DeadLettered, (await outbox.GetAsync(id))!.State);

        await button.ClickAsync();
        await page.WaitForFunctionAsync("() => document.body.dataset.lastWrite === 'ok'", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.Null(await outbox.GetAsync(id));
        await page.WaitForFunctionAsync($"() => !document.querySelector('button[data-discard=\"{id}\"]')", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.Empty(problems);
    }

    [SkippableFact]
    public async Task A_dead_letter_is_retried_from_the_delivery_page_and_then_delivered()
    {
        RequireBrowser();
        var outbox = fixture.Shop.Services.GetRequiredService<IOutboxStore>();
        await using var context = await ContextAsync("admin");
        var page = await context.NewPageAsync();
        var problems = Watch(page);
        await page.GotoAsync(PagePath("delivery"));
        await WaitForLoadAsync(page);
        // The Meta conversions that gave up while Meta was down (Google refuses these members' orders for good: no identifiers).
        var button = page.Locator("table[data-table=deadLetters] tbody tr:has(td:text-is('meta.conversions')) button[data-retry]").First;
        var id = long.Parse((await button.GetAttributeAsync("data-retry"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(OutboxState.DeadLettered, (await outbox.GetAsync(id))!.State);
        var metaBefore = fixture.Emulators.Meta.AcceptedEvents.Count;

        await button.ClickAsync();
        await page.WaitForFunctionAsync("() => document.body.dataset.lastRetry === 'ok'", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.Equal(OutboxState.Pending, (await outbox.GetAsync(id))!.State);
        await page.WaitForFunctionAsync($"() => !document.querySelector('button[data-retry=\"{id}\"]')", null, new PageWaitForFunctionOptions { Timeout = 30_000 });

        await fixture.DeliverAllAsync();
        var after = (await outbox.GetAsync(id))!;
        Assert.True(after.State == OutboxState.Delivered, $"{after.State}: {after.LastError}");
        Assert.Equal(metaBefore + 1, fixture.Emulators.Meta.AcceptedEvents.Count);
        var data = JsonDocument.Parse(await page.EvaluateAsync<string>("async () => JSON.stringify(await (await fetch('api/delivery', { cache: 'no-store' })).json())")).RootElement;
        Assert.DoesNotContain(data.GetProperty("deadLetters").EnumerateArray(), r => r.GetProperty("id").GetInt64() == id);
        Assert.Empty(problems);
    }
}
