// Shared test source, linked into the test projects that read reference data
// (<Compile Include="../Shared/ReferenceFiles.cs" LinkBase="Shared" />).
using Xunit;

namespace Marketing.Sdk.Tests.Shared;

/// <summary>
/// The one locator of reference data for tests. Small, permissively licensed sets are committed under
/// <c>tests/data</c> (see <c>tests/data/README.md</c>) and are always there. Large or GPL sets are read in
/// place from the <c>shared/data</c> folder beside the repository: where it is missing, a test that needs
/// them is skipped with a message saying so, except under CI (<c>CI=true</c>), where it fails.
/// </summary>
internal static class ReferenceFiles
{
    /// <summary>The folder that holds <c>Marketing.Sdk.sln</c>.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Marketing.Sdk.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName
                ?? throw new InvalidOperationException("Could not find the repository root (the folder holding Marketing.Sdk.sln) above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>
    /// The path of a reference file, e.g. <c>Get("cdnow", "CDNOW_master.txt")</c>: from <c>tests/data</c> when
    /// it is committed there, else from <c>../shared/data</c>. When neither has it, the calling test is
    /// skipped (it must be a <c>[SkippableFact]</c> or <c>[SkippableTheory]</c>), or fails under CI.
    /// </summary>
    public static string Get(params string[] parts)
    {
        var relative = Path.Combine(parts);
        var root = RepositoryRoot;
        var committed = Path.Combine(root, "tests", "data", relative);
        if (File.Exists(committed))
        {
            return committed;
        }
        var shared = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", relative));
        if (File.Exists(shared))
        {
            return shared;
        }
        var message = $"Reference data '{relative.Replace('\\', '/')}' is not in tests/data and the shared data folder is missing (expected {shared}); "
            + "see tests/data/README.md for where to get it.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new FileNotFoundException(message, shared);
        }
        Skip.If(true, message);
        return shared;
    }
}
