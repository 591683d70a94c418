using System.Net;
using System.Net.Http.Json;
using DocSnippets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Docs.Tests;

/// <summary>
/// The getting-started path of the documentation site (docs/getting-started), whose code is included from
/// samples/DocSnippets/GettingStarted.cs: run as written, on loopback.
/// </summary>
public sealed class GettingStartedTests
{
    [Fact]
    public async Task The_tracking_endpoint_of_step_2_accepts_a_product_view_and_keeps_the_visitor()
    {
        var directory = Directory.CreateTempSubdirectory("getting-started-track-");
        try
        {
            await using var app = GettingStarted.BuildTrackingApp(["--urls=http://127.0.0.1:0"], $"Data Source={Path.Combine(directory.FullName, "marketing.db")}");
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var http = new HttpClient { BaseAddress = new Uri(address) };

            using var first = await http.PostAsync(new Uri("/products/sku-1/viewed", UriKind.Relative), content: null);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("Accepted", (await first.Content.ReadFromJsonAsync<StatusBody>())!.Status);
            var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith("visitor=", cookie, StringComparison.Ordinal);

            var profiles = app.Services.GetRequiredService<Marketing.Sdk.Profiles.IProfileService>();
            var visitor = cookie["visitor=".Length..cookie.IndexOf(';', StringComparison.Ordinal)];
            var profile = await profiles.FindByIdentityAsync(Identity.Cookie(visitor));
            Assert.NotNull(profile);
            await app.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(directory);
        }
    }

    [Fact]
    public async Task The_first_conversion_of_step_3_reaches_the_Meta_emulator()
    {
        var directory = Directory.CreateTempSubdirectory("getting-started-conversion-");
        try
        {
            var accepted = await GettingStarted.SendFirstConversionAsync($"Data Source={Path.Combine(directory.FullName, "marketing.db")}");
            Assert.Equal(1, accepted);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(directory);
        }
    }

    private static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private sealed record StatusBody(string Status);
}
