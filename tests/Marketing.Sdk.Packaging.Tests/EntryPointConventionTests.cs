using System.Reflection;
using System.Runtime.CompilerServices;
using Marketing.Sdk;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Packaging.Tests;

/// <summary>
/// Every package's DI entry points follow one template: a public static class
/// <c>&lt;Area&gt;MarketingBuilderExtensions</c> in namespace <c>Microsoft.Extensions.DependencyInjection</c>,
/// in a file of the same name at the package root, whose extension methods extend
/// <see cref="IMarketingBuilder"/> and return it.
/// </summary>
public sealed class EntryPointConventionTests
{
    private const string Namespace = "Microsoft.Extensions.DependencyInjection";

    /// <summary>Projects without builder entry points: the contracts, the test kit and the shared sources (not a package).</summary>
    private static readonly HashSet<string> WithoutEntryPoints = new(StringComparer.Ordinal) { "Marketing.Sdk.Abstractions", "Marketing.Sdk.Testing", "Marketing.Sdk.Shared" };

    public static TheoryData<string> Packages()
    {
        var data = new TheoryData<string>();
        foreach (var project in Directory.GetFiles(Path.Combine(ReferenceFiles.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(project);
            if (!WithoutEntryPoints.Contains(name))
            {
                data.Add(name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Entry_points_follow_the_builder_extensions_template(string package)
    {
        var assembly = Assembly.Load(package);
        var problems = new List<string>();
        var entryClasses = new List<Type>();
        foreach (var type in assembly.GetExportedTypes().Where(t => t is { IsAbstract: true, IsSealed: true } && t.IsDefined(typeof(ExtensionAttribute), false)))
        {
            var builderMethods = type.GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Where(m => m.IsDefined(typeof(ExtensionAttribute), false) && m.GetParameters()[0].ParameterType == typeof(IMarketingBuilder))
                .ToList();
            if (builderMethods.Count == 0)
            {
                continue;
            }
            entryClasses.Add(type);
            if (!type.Name.EndsWith("MarketingBuilderExtensions", StringComparison.Ordinal))
            {
                problems.Add($"{type.FullName}: the class of IMarketingBuilder extensions must be named <Area>MarketingBuilderExtensions");
            }
            if (type.Namespace != Namespace)
            {
                problems.Add($"{type.FullName}: must be in namespace {Namespace}");
            }
            var file = Path.Combine(ReferenceFiles.RepositoryRoot, "src", package, type.Name + ".cs");
            if (!File.Exists(file))
            {
                problems.Add($"{type.FullName}: expected in the file src/{package}/{type.Name}.cs (package root)");
            }
            foreach (var method in builderMethods.Where(m => !typeof(IMarketingBuilder).IsAssignableFrom(m.ReturnType)))
            {
                problems.Add($"{type.Name}.{method.Name}: must return IMarketingBuilder or a builder that is one (returns {method.ReturnType.Name})");
            }
        }
        if (entryClasses.Count == 0)
        {
            problems.Add($"{package}: no public <Area>MarketingBuilderExtensions class extending IMarketingBuilder");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
