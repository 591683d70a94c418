using System.Collections.Concurrent;
using Marketing.Sdk.Packaging.Tests;
using Marketing.Sdk.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace Marketing.Sdk.Docs.Tests;

/// <summary>
/// The documentation site (docs/docfx.json): DocFX builds the API reference and the articles with warnings as
/// errors (a broken link, a missing snippet region or an unresolved cross-reference fails), and headless
/// Chromium renders the home page and an API page served on loopback, with no request failing.
/// </summary>
public sealed class DocSiteTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(10);

    /// <summary>Debian's Chromium, which build.sh installs when it is missing.</summary>
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_site_builds_with_warnings_as_errors_and_Chromium_renders_its_home_and_an_API_page()
    {
        var root = ReferenceFiles.RepositoryRoot;
        var restore = await Tool.DotnetAsync(root, Step, "tool", "restore");
        Assert.True(restore.ExitCode == 0, "dotnet tool restore failed:\n" + restore.Output);
        var metadata = await Tool.DotnetAsync(root, Step, "docfx", "metadata", "docs/docfx.json", "--warningsAsErrors");
        Assert.True(metadata.ExitCode == 0, "docfx metadata failed:\n" + metadata.Output);
        var build = await Tool.DotnetAsync(root, Step, "docfx", "build", "docs/docfx.json", "--warningsAsErrors");
        Assert.True(build.ExitCode == 0, "docfx build failed:\n" + build.Output);

        var site = Path.Combine(root, "artifacts", "docs", "_site");
        Assert.True(File.Exists(Path.Combine(site, "index.html")), "no index.html in " + site);
        Assert.True(File.Exists(Path.Combine(site, "api", "Marketing.Sdk.MarketingEvent.html")), "no API page for MarketingEvent");
        // Every package has its API reference: its assembly is named in the generated metadata.
        var assemblies = Directory.GetFiles(Path.Combine(root, "docs", "api"), "*.yml")
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"assemblies:\s*\n\s*- (\S+)").Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var project in Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Replace('\\', '/').Contains("/src/Shared/", StringComparison.Ordinal)))
        {
            var package = Path.GetFileNameWithoutExtension(project);
            Assert.True(assemblies.Contains(package), $"no API reference for {package}");
        }

        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./build.sh test installs it (apt-get install -y chromium)");
        var failed = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response.StatusCode >= 400)
            {
                failed.Enqueue($"{context.Response.StatusCode} {context.Request.Path}");
            }
        });
        app.UseFileServer(new FileServerOptions { FileProvider = new PhysicalFileProvider(site) });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var home = await RenderAsync(address + "/index.html");
        Assert.Contains("Track your first events", home, StringComparison.Ordinal);
        // The navigation bar is rendered by the template's script from toc.json: it ran.
        Assert.Contains("href=\"api/index.html\"", home, StringComparison.Ordinal);

        var api = await RenderAsync(address + "/api/Marketing.Sdk.MarketingEvent.html");
        Assert.Contains("MarketingEvent", api, StringComparison.Ordinal);
        Assert.Contains("OccurredAt", api, StringComparison.Ordinal);
        Assert.Contains("Marketing.Sdk.Abstractions.dll", api, StringComparison.Ordinal);

        await app.StopAsync();
        Assert.True(failed.IsEmpty, "failed requests: " + string.Join(", ", failed));
    }

    private static async Task<string> RenderAsync(string url)
    {
        var profile = Directory.CreateTempSubdirectory("docsite-chromium-");
        try
        {
            var result = await Tool.RunAsync(Chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile.FullName, "--virtual-time-budget=10000", "--dump-dom", url,
            ], profile.FullName, TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, $"chromium failed on {url}:\n{result.Output}");
            return result.Output;
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
