using System.Reflection;
using System.Runtime.CompilerServices;
using Marketing.Sdk;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Packaging.Tests;

/// <summary>
/// Every package's DI entry points follow one template: a public static class
/// <c>&lt;Area&gt;MarketingBuilderExtensions</c> in namespace <c>Microsoft.Extensions.DependencyInjection</c>,
/// in a file of the same name at the package root, whose extension methods extend
/// <see cref="IMarketingBuilder"/> and return it; an entry point with options has the overloads none /
/// <c>Action&lt;TOptions&gt;</c> / <c>IConfigurationSection</c>.
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
        foreach (var group in entryClasses.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                     .Where(m => m.IsDefined(typeof(ExtensionAttribute), false) && m.GetParameters()[0].ParameterType == typeof(IMarketingBuilder))
                     .Where(m => m.Name.StartsWith("Add", StringComparison.Ordinal) || m.Name.StartsWith("Use", StringComparison.Ordinal))
                     .GroupBy(m => (m.DeclaringType, m.Name)))
        {
            // An entry point with options has the three overloads: none, Action<TOptions>, IConfigurationSection.
            var options = group.Select(m => m.GetParameters()).Where(p => p.Length == 2 && IsOptionsAction(p[1].ParameterType)).Select(p => p[1].ParameterType).FirstOrDefault();
            if (options is null)
            {
                continue;
            }
            if (!group.Any(m => m.GetParameters().Length == 1))
            {
                problems.Add($"{group.Key.DeclaringType!.Name}.{group.Key.Name}: has an {Describe(options)} overload but none without arguments");
            }
            if (!group.Any(m => m.GetParameters() is { Length: 2 } p && p[1].ParameterType.FullName == "Microsoft.Extensions.Configuration.IConfigurationSection"))
            {
                problems.Add($"{group.Key.DeclaringType!.Name}.{group.Key.Name}: has an {Describe(options)} overload but none taking an IConfigurationSection");
            }
            if (group.Any(m => m.GetParameters() is { Length: 2 } p && p[1].ParameterType == options && p[1].IsOptional))
            {
                problems.Add($"{group.Key.DeclaringType!.Name}.{group.Key.Name}: the {Describe(options)} parameter is optional; the template has a separate overload without arguments");
            }
        }
        if (entryClasses.Count == 0)
        {
            problems.Add($"{package}: no public <Area>MarketingBuilderExtensions class extending IMarketingBuilder");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>An <c>Action&lt;TOptions&gt;</c> whose argument is an options class (<c>…Options</c>).</summary>
    private static bool IsOptionsAction(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Action<>) && type.GetGenericArguments()[0].Name.EndsWith("Options", StringComparison.Ordinal);

    private static string Describe(Type action) => $"Action<{action.GetGenericArguments()[0].Name}>";
}
