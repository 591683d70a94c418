using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;

namespace Marketing.Sdk.Dashboard;

/// <summary>The UI strings (embedded <c>Resources/strings.{language}.json</c>) and the choice of language per request.</summary>
internal static class DashboardStrings
{
    public const string English = "en";
    public const string Chinese = "zh-CN";

    private static readonly FrozenDictionary<string, (FrozenDictionary<string, string> Strings, string Json)> Languages =
        new[] { English, Chinese }.ToFrozenDictionary(l => l, Load, StringComparer.Ordinal);

    /// <summary>The strings of a language, and the same as the JSON the page script reads.</summary>
    public static (FrozenDictionary<string, string> Strings, string Json) For(string language) => Languages[language];

    /// <summary>
    /// The language of a request: the UI culture chosen by the host's request localization
    /// (<c>UseRequestLocalization</c>) when there is one, else the best <c>Accept-Language</c> entry; Chinese for
    /// any <c>zh</c> culture, English otherwise.
    /// </summary>
    public static string Choose(HttpContext context)
    {
        if (context.Features.Get<IRequestCultureFeature>() is { } feature)
        {
            return Map(feature.RequestCulture.UICulture.Name) ?? English;
        }
        var accepted = context.Request.GetTypedHeaders().AcceptLanguage;
        foreach (var entry in accepted.OrderByDescending(a => a.Quality ?? 1.0))
        {
            if (Map(entry.Value.Value) is { } language)
            {
                return language;
            }
        }
        return English;
    }

    private static string? Map(string? culture) =>
        culture is null ? null
        : culture.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? Chinese
        : culture.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? English
        : null;

    private static (FrozenDictionary<string, string>, string) Load(string language)
    {
        var name = $"Marketing.Sdk.Dashboard.Resources.strings.{language}.json";
        using var stream = typeof(DashboardStrings).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard resource {name} is missing.");
        using var reader = new StreamReader(stream);
        var json = reader.ReadToEnd();
        using var document = JsonDocument.Parse(json);
        var strings = document.RootElement.EnumerateObject().ToFrozenDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
        // Re-serialised compactly for the page (and safe inside a <script type="application/json"> element).
        var compact = JsonSerializer.Serialize(strings.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), Data.DashboardJsonContext.Default.DictionaryStringString);
        return (strings, compact);
    }

}
