using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Marketing.Sdk.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Marketing.Sdk.Docs.Tests;

/// <summary>A ```csharp block of a Markdown file.</summary>
/// <param name="File">The Markdown file, relative to the repository root.</param>
/// <param name="Line">The 1-based line of the block's first code line.</param>
/// <param name="Code">The code.</param>
/// <param name="Given">Declarations from a preceding <c>&lt;!-- snippet: given … --&gt;</c> comment.</param>
public sealed record Snippet(string File, int Line, string Code, IReadOnlyList<string> Given)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// Finds and compiles the documentation's C# snippets. The convention (docs/README.md):
/// every ```csharp block compiles on its own as one file of a <c>Microsoft.NET.Sdk.Web</c> project that
/// references the packages (the Web SDK's implicit usings plus the block's own <c>using</c>s; top-level
/// statements and type declarations allowed). Values a block uses but that come from the reader's
/// application are named just above it in <c>&lt;!-- snippet: given Type name; Type name --&gt;</c>.
/// </summary>
public static partial class Snippets
{
    /// <summary>The implicit global usings of a Microsoft.NET.Sdk.Web project.</summary>
    public static readonly string[] WebImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    /// <summary>The Markdown files whose snippets are compiled.</summary>
    public static IEnumerable<string> MarkdownFiles()
    {
        var root = ReferenceFiles.RepositoryRoot;
        yield return Path.Combine(root, "README.md");
        foreach (var f in Directory.GetFiles(Path.Combine(root, "src"), "README.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return f;
        }
        foreach (var f in Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return f;
        }
    }

    public static IReadOnlyList<Snippet> All() => MarkdownFiles().SelectMany(Read).ToList();

    public static IEnumerable<Snippet> Read(string path)
    {
        var relative = Path.GetRelativePath(ReferenceFiles.RepositoryRoot, path).Replace('\\', '/');
        var lines = File.ReadAllLines(path);
        var given = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            var g = GivenComment().Match(trimmed);
            if (g.Success)
            {
                given = g.Groups[1].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                continue;
            }
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                var language = trimmed[3..].Trim();
                var start = i + 1;
                var end = start;
                while (end < lines.Length && !lines[end].Trim().StartsWith("```", StringComparison.Ordinal))
                {
                    end++;
                }
                if (language is "csharp" or "cs" or "c#")
                {
                    yield return new Snippet(relative, start + 1, string.Join('\n', lines[start..end]), given);
                }
                given = [];
                i = end;
                continue;
            }
            if (trimmed.Length > 0)
            {
                given = [];
            }
        }
    }

    /// <summary>The snippet as the compiled file: its usings, then the given declarations, then the rest.</summary>
    public static (string Source, int FirstSnippetLine) Wrap(Snippet snippet)
    {
        var lines = snippet.Code.Split('\n');
        var usingCount = 0;
        while (usingCount < lines.Length && (lines[usingCount].StartsWith("using ", StringComparison.Ordinal) || lines[usingCount].Trim().Length == 0))
        {
            usingCount++;
        }
        var text = new StringBuilder();
        text.AppendLine("#line hidden");
        var header = string.Concat(snippet.Given.Select(g => $"{g} = default!; "));
        // Line directives map every diagnostic to the Markdown file and line.
        text.AppendLine($"#line {snippet.Line} \"{snippet.File}\"");
        for (var i = 0; i < lines.Length; i++)
        {
            if (i == usingCount && header.Length > 0)
            {
                text.AppendLine("#line hidden");
                text.AppendLine(header);
                text.AppendLine($"#line {snippet.Line + i} \"{snippet.File}\"");
            }
            text.AppendLine(lines[i]);
        }
        if (usingCount == lines.Length && header.Length > 0)
        {
            text.AppendLine(header);
        }
        return (text.ToString(), snippet.Line);
    }

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
    {
        // The shared frameworks (NETCore + AspNetCore) and every assembly of this test's output folder:
        // the packages and their dependencies.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Where(p => !Path.GetFileName(p).StartsWith("Marketing.Sdk.Docs.Tests", StringComparison.Ordinal))
            .Where(p => !Path.GetFileName(p).StartsWith("xunit", StringComparison.OrdinalIgnoreCase));
        var list = new List<MetadataReference>();
        foreach (var p in paths.Distinct(StringComparer.Ordinal))
        {
            try
            {
                _ = AssemblyName.GetAssemblyName(p);
                list.Add(MetadataReference.CreateFromFile(p));
            }
            catch (BadImageFormatException)
            {
                // Native libraries are not references.
            }
        }
        return list;
    });

    public static CSharpCompilation Compile(Snippet snippet, string assemblyName = "Snippet")
    {
        var (source, _) = Wrap(snippet);
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var globalUsings = CSharpSyntaxTree.ParseText(string.Concat(WebImplicitUsings.Select(u => $"global using global::{u};\n")), options, "GlobalUsings.g.cs");
        var tree = CSharpSyntaxTree.ParseText(source, options, snippet.File, Encoding.UTF8);
        var hasTopLevelStatements = tree.GetCompilationUnitRoot().Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        return CSharpCompilation.Create(
            assemblyName,
            [globalUsings, tree],
            References.Value,
            new CSharpCompilationOptions(hasTopLevelStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary)
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithOptimizationLevel(OptimizationLevel.Debug));
    }

    /// <summary>The compiler errors, each as "file:line: id message".</summary>
    public static IReadOnlyList<string> Errors(CSharpCompilation compilation) =>
        compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d =>
            {
                var span = d.Location.GetMappedLineSpan();
                return $"{span.Path}:{span.StartLinePosition.Line + 1}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            })
            .ToList();

    [GeneratedRegex(@"^<!--\s*snippet:\s*given\s+(.*?)\s*-->$")]
    private static partial Regex GivenComment();
}
