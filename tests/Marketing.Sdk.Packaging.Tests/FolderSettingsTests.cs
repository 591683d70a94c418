using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Packaging.Tests;

/// <summary>
/// MSBuild settings come from the folder a project sits in (src/, tests/, samples/ each have a
/// Directory.Build.props), not from its path text: a clone under a parent folder named <c>src</c>
/// must still give tests the test settings and packages the package settings.
/// </summary>
public sealed class FolderSettingsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_clone_under_a_folder_named_src_keeps_tests_unpackable_and_packages_packable()
    {
        var root = ReferenceFiles.RepositoryRoot;
        var parent = Directory.CreateTempSubdirectory("marketing-sdk-clone-");
        try
        {
            var clone = Path.Combine(parent.FullName, "src", "marketing-sdk");
            var head = await Tool.RunAsync("git", ["-C", root, "rev-parse", "HEAD"], root, Limit);
            Assert.True(head.ExitCode == 0, head.Output);
            var cloned = await Tool.RunAsync("git", ["clone", "--quiet", "--no-checkout", root, clone], parent.FullName, Limit);
            Assert.True(cloned.ExitCode == 0, cloned.Output);
            var checkout = await Tool.RunAsync("git", ["-C", clone, "checkout", "--quiet", head.Output.Trim()], parent.FullName, Limit);
            Assert.True(checkout.ExitCode == 0, checkout.Output);

            Assert.Equal("false", await PropertyAsync(clone, "tests/Marketing.Sdk.Tests/Marketing.Sdk.Tests.csproj", "IsPackable"));
            Assert.Equal("false", await PropertyAsync(clone, "tests/Marketing.Sdk.Tests/Marketing.Sdk.Tests.csproj", "GenerateDocumentationFile"));
            Assert.Equal("false", await PropertyAsync(clone, "samples/QuickStart/QuickStart.csproj", "IsPackable"));
            Assert.Equal("true", await PropertyAsync(clone, "src/Marketing.Sdk/Marketing.Sdk.csproj", "IsPackable"));
            Assert.Equal("true", await PropertyAsync(clone, "src/Marketing.Sdk/Marketing.Sdk.csproj", "IsAotCompatible"));
            Assert.Equal("true", await PropertyAsync(clone, "src/Marketing.Sdk/Marketing.Sdk.csproj", "EnforceCodeStyleInBuild"));
        }
        finally
        {
            try
            {
                parent.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static async Task<string> PropertyAsync(string clone, string project, string property)
    {
        var result = await Tool.DotnetAsync(clone, Limit, "msbuild", project, "-nologo", "-getProperty:" + property);
        Assert.True(result.ExitCode == 0, $"{project}: {result.Output}");
        return result.Output.Trim();
    }
}
