using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace ECommerce.Api.Tests;

/// <summary>The sample as a user starts it: its own Kestrel process in Production, real loopback HTTP.</summary>
public sealed partial class ProcessTests
{
    [Fact]
    public async Task The_sample_process_answers_bad_input_with_a_problem_body_in_production()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ecommerce-process-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ECommerce.Api.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Marketing"] = $"Data Source={Path.Combine(directory, "marketing.db")}";
        start.Environment["Shop__Jobs__Enabled"] = "false";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        using var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        try
        {
            using var started = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            Uri? address = null;
            while (address is null && await process.StandardOutput.ReadLineAsync(started.Token) is { } line)
            {
                if (ListeningOn().Match(line) is { Success: true } m)
                {
                    address = new Uri(m.Groups[1].Value);
                }
            }
            Assert.NotNull(address);
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None); // keep draining

            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
            using var bad = await client.PostAsync("/marketing/events", Http.Json("""{"id": "p-1", "type": "page_view", "occurredAt": "2026-01-15T10:00:00Z", "anonymousIds": [], "customerId": "c_x"}"""));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            Assert.Equal("customerId", (await bad.ReadJsonAsync()).GetProperty("field").GetString());

            using var good = await client.PostAsync("/marketing/events", Http.Json("""{"id": "p-2", "type": "page_view", "occurredAt": "2026-01-15T10:00:00Z", "anonymousIds": [{"kind": "CookieId", "value": "ck-1"}]}"""));
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);

            using var unknown = await client.GetAsync("/no/such/route");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

            using var health = await client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp file is harmless.
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
