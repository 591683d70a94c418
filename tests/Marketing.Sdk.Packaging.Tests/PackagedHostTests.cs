using System.IO.Compression;
using System.Xml.Linq;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Packaging.Tests;

/// <summary>
/// The packages as a user gets them: packed to a folder, then restored, built and run by a tiny
/// ASP.NET Core 10 host that pins <c>Microsoft.Extensions.Logging</c> 10.0.0 (the lowest 10.0.x the
/// registry serves). Sources: that folder and the package registry only.
/// </summary>
public sealed class PackagedHostTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task An_AspNetCore_10_host_pinning_Logging_10_0_0_restores_builds_and_runs_against_the_packed_packages()
    {
        var root = ReferenceFiles.RepositoryRoot;
        var work = Directory.CreateTempSubdirectory("marketing-sdk-pack-");
        try
        {
            var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed")).FullName;
            // A version of its own, so no package cache can answer with an older build of the same version.
            var version = "0.0.1-pack" + Guid.NewGuid().ToString("N")[..12];
            var projects = Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
                .Where(p => !p.Replace('\\', '/').Contains("/src/Shared/", StringComparison.Ordinal)) // shared sources, not a package
                .Order(StringComparer.Ordinal).ToList();
            Assert.NotEmpty(projects);
            // The src projects are built (this project references them) in the configuration this test runs in.
            var configuration = AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            var packTraversal = Path.Combine(work.FullName, "pack.proj");
            File.WriteAllText(packTraversal, $"""
                <Project>
                  <ItemGroup>
                {string.Concat(projects.Select(p => $"    <P Include=\"{p}\" />\n"))}  </ItemGroup>
                  <Target Name="Build">
                    <MSBuild Projects="@(P)" Targets="Pack" Properties="Configuration={configuration};NoBuild=true;PackageVersion={version};PackageOutputPath={feed}" />
                  </Target>
                </Project>
                """);
            var pack = await Tool.DotnetAsync(work.FullName, Step, "msbuild", packTraversal, "-nologo", "-v:m", "-nr:false");
            Assert.True(pack.ExitCode == 0, "pack failed:\n" + pack.Output);
            var packages = Directory.GetFiles(feed, "*.nupkg").Where(f => !f.EndsWith(".snupkg", StringComparison.Ordinal)).ToList();
            Assert.Equal(projects.Count, packages.Count);

            // Every package as nuget.org shows it: one version, README, licence, icon, release notes, the
            // repository it was built from, and its symbols beside it.
            foreach (var package in packages)
            {
                var name = Path.GetFileName(package);
                using var zip = ZipFile.OpenRead(package);
                var nuspec = Nuspec(zip);
                string? Field(string field) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == field)?.Value;
                string? Attribute(string field, string attribute) => (string?)nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == field)?.Attribute(attribute);
                Assert.Equal(version, Field("version"));
                Assert.Equal("README.md", Field("readme"));
                Assert.Equal("MIT", Field("license"));
                Assert.Equal("expression", Attribute("license", "type"));
                Assert.Equal("icon.png", Field("icon"));
                Assert.False(string.IsNullOrWhiteSpace(Field("description")), name + " has no description");
                Assert.Contains("CHANGELOG.md", Field("releaseNotes") ?? "", StringComparison.Ordinal);
                Assert.Equal("git", Attribute("repository", "type"));
                Assert.StartsWith("https://", Attribute("repository", "url") ?? "", StringComparison.Ordinal);
                foreach (var file in new[] { "README.md", "icon.png", "LICENSE" })
                {
                    Assert.True(zip.GetEntry(file) is not null, $"{name} lacks {file}");
                }
                Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), $"{name} has no symbol package");
            }

            // No package may ask a net10.0 host for Microsoft.Extensions.* above the 10.0.x band.
            foreach (var package in packages)
            {
                foreach (var (id, range) in Dependencies(package))
                {
                    if (id.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && Version.TryParse(range.Trim('[', ']', '(', ')').Split(',')[0], out var v))
                    {
                        Assert.True(v.Major <= 10, $"{Path.GetFileName(package)} depends on {id} {range}");
                    }
                }
            }

            var host = Directory.CreateDirectory(Path.Combine(work.FullName, "host")).FullName;
            var cache = Path.Combine(work.FullName, "packages");
            var userCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
                ? configured
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(host, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config>
                    <add key="globalPackagesFolder" value="{cache}" />
                  </config>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="user" value="{userCache}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(host, "Host.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk.Web">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <!-- The pin below is what such a host has; the SDK notes that the framework already has it. -->
                    <NoWarn>$(NoWarn);NU1510</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Microsoft.Extensions.Logging" Version="10.0.0" />
                    <PackageReference Include="Marketing.Sdk" Version="{version}" />
                    <PackageReference Include="Marketing.Sdk.Storage.Sqlite" Version="{version}" />
                    <PackageReference Include="Marketing.Sdk.Segmentation" Version="{version}" />
                    <PackageReference Include="Marketing.Sdk.Compliance" Version="{version}" />
                    <PackageReference Include="Marketing.Sdk.Platforms.Meta" Version="{version}" />
                    <PackageReference Include="Marketing.Sdk.Email" Version="{version}" />
                    <PackageReference Include="Marketing.Sdk.Export.Parquet" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(host, "Program.cs"), """
                using Marketing.Sdk;
                using Marketing.Sdk.Ingestion;
                using Microsoft.Extensions.DependencyInjection;

                var builder = WebApplication.CreateBuilder(args);
                builder.Services.AddMarketingSdk(m => m.UseSqlite("Data Source=host.db").AddSegmentation());
                await using var app = builder.Build();
                await app.StartAsync();
                var collector = app.Services.GetRequiredService<IEventCollector>();
                var result = await collector.TrackAsync(new MarketingEvent
                {
                    Id = "e-1",
                    Type = EventType.PageView,
                    OccurredAt = DateTimeOffset.UtcNow,
                    Identities = [Identity.Cookie("c-1")],
                });
                Console.WriteLine("tracked " + result.Status);
                await app.StopAsync();
                Console.WriteLine("host ran");
                """);

            var restore = await Tool.DotnetAsync(host, Step, "restore", "-nologo");
            Assert.True(restore.ExitCode == 0, "restore failed:\n" + restore.Output);
            var build = await Tool.DotnetAsync(host, Step, "build", "-nologo", "--no-restore", "-c", "Release");
            Assert.True(build.ExitCode == 0, "build failed:\n" + build.Output);
            var run = await Tool.DotnetAsync(host, Step, "run", "--no-build", "-c", "Release");
            Assert.True(run.ExitCode == 0, "run failed:\n" + run.Output);
            Assert.Contains("tracked Accepted", run.Output, StringComparison.Ordinal);
            Assert.Contains("host ran", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static XDocument Nuspec(ZipArchive zip)
    {
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static IEnumerable<(string Id, string Range)> Dependencies(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var doc = Nuspec(zip);
        return doc.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!)).ToList();
    }
}
