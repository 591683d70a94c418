namespace Marketing.Sdk.Docs.Tests;

/// <summary>Every C# snippet of the README, the package READMEs and docs/ compiles.</summary>
public sealed class SnippetTests
{
    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (var s in Snippets.All())
        {
            data.Add(s.ToString());
        }
        return data;
    }

    [Fact]
    public void The_documentation_has_snippets_to_compile()
    {
        var all = Snippets.All();
        Assert.Contains(all, s => s.File == "README.md");
        Assert.True(all.Select(s => s.File).Distinct().Count() >= 10, "snippets found in: " + string.Join(", ", all.Select(s => s.File).Distinct()));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Snippet_compiles(string where)
    {
        var snippet = Snippets.All().Single(s => s.ToString() == where);
        var errors = Snippets.Errors(Snippets.Compile(snippet));
        Assert.True(errors.Count == 0, $"{where} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    [Fact]
    public void A_given_comment_declares_values_for_the_next_block_only()
    {
        var file = Path.Combine(Path.GetTempPath(), "snippet-convention-" + Guid.NewGuid().ToString("N") + ".md");
        File.WriteAllText(file, "<!-- snippet: given int count -->\n```csharp\nConsole.WriteLine(count);\n```\n\n```csharp\nConsole.WriteLine(count);\n```\n");
        try
        {
            var blocks = Snippets.Read(file).ToList();
            Assert.Equal(2, blocks.Count);
            Assert.Empty(Snippets.Errors(Snippets.Compile(blocks[0])));
            var second = Snippets.Errors(Snippets.Compile(blocks[1]));
            Assert.Contains(second, e => e.Contains("CS0103", StringComparison.Ordinal) && e.Contains(":7:", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
