using System.Text.RegularExpressions;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Docs.Tests;

/// <summary>
/// Every code include of the documentation site (<c>[!code-csharp[](file#region)]</c>) names a file that
/// exists and a region it has, once: DocFX 2.81 renders a missing region as an empty block without a warning.
/// </summary>
public sealed partial class SnippetRegionTests
{
    [GeneratedRegex(@"\[!code-(?<lang>[a-z]+)\[[^\]]*\]\((?<path>[^)#]+)(#(?<region>[^)]+))?\)\]")]
    private static partial Regex Include();

    [Fact]
    public void Every_code_include_of_the_site_names_an_existing_file_and_region()
    {
        var docs = Path.Combine(ReferenceFiles.RepositoryRoot, "docs");
        var includes = 0;
        var problems = new List<string>();
        foreach (var page in Directory.GetFiles(docs, "*.md", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(page);
            // Includes shown as examples inside fenced blocks are not includes.
            text = Regex.Replace(text, "```.*?```", "", RegexOptions.Singleline);
            foreach (Match m in Include().Matches(text))
            {
                includes++;
                var where = $"{Path.GetRelativePath(docs, page)}: {m.Value}";
                var file = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, m.Groups["path"].Value));
                if (!File.Exists(file))
                {
                    problems.Add(where + " (no such file)");
                    continue;
                }
                if (m.Groups["region"].Success)
                {
                    var region = m.Groups["region"].Value;
                    var count = File.ReadLines(file).Count(l => l.Trim() == "#region " + region);
                    if (count != 1)
                    {
                        problems.Add($"{where} ({count} regions named '{region}')");
                    }
                }
            }
        }
        Assert.True(includes >= 30, $"only {includes} code includes found under docs/");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
