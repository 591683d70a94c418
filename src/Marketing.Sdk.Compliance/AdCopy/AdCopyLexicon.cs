using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Compliance.AdCopy;

/// <summary>How serious a finding is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AdCopySeverity>))]
public enum AdCopySeverity
{
    /// <summary>Worth a look (e.g. a price term that needs evidence).</summary>
    Low = 1,
    /// <summary>Likely to be rejected by a platform's review.</summary>
    Medium = 2,
    /// <summary>Prohibited by law (e.g. absolute claims under the Advertising Law art. 9).</summary>
    High = 3,
}

/// <summary>Well-known finding categories (lexicons may use any other name).</summary>
public static class AdCopyCategories
{
    /// <summary>Absolute and superlative claims (最佳, 第一, 国家级, "best", "No.1").</summary>
    public const string AbsoluteClaim = "absolute_claim";
    /// <summary>Guarantees of efficacy or results (保证有效, 无效退款, "guaranteed results").</summary>
    public const string Guarantee = "guarantee";
    /// <summary>Medical or disease claims for cosmetics and food (治疗, 抗癌, "cures").</summary>
    public const string MedicalClaim = "medical_claim";
    /// <summary>Misleading price terms (全网最低价, 跳楼价, "lowest price ever").</summary>
    public const string MisleadingPrice = "misleading_price";
}

/// <summary>One lexicon term (optional properties are settable so that JSON without them keeps the defaults).</summary>
public sealed record AdCopyTerm
{
    /// <summary>The term as written (folded for matching: case, width, traditional forms, spacing and punctuation do not matter).</summary>
    public required string Term { get; init; }

    /// <summary>The category (see <see cref="AdCopyCategories"/>).</summary>
    public required string Category { get; init; }

    /// <summary>The severity.</summary>
    public AdCopySeverity Severity { get; set; } = AdCopySeverity.High;

    /// <summary>A compliant replacement, if one fits in place (empty text means "delete").</summary>
    public string? Suggestion { get; set; }

    /// <summary>Longer phrases containing the term that are allowed (e.g. 第一次 for 第一).</summary>
    public IReadOnlyList<string> Exceptions { get; set; } = [];

    /// <summary>Whether a Latin-script term must stand as a whole word (true by default; ignored for terms without Latin letters).</summary>
    public bool WholeWord { get; set; } = true;
}

/// <summary>A named, versioned list of terms, loaded from JSON (see the built-in lexicons for the format).</summary>
public sealed record AdCopyLexicon
{
    /// <summary>The lexicon's name.</summary>
    public required string Name { get; init; }

    /// <summary>The lexicon's version.</summary>
    public string Version { get; set; } = "1";

    /// <summary>The terms.</summary>
    public IReadOnlyList<AdCopyTerm> Terms { get; set; } = [];

    /// <summary>The built-in Chinese lexicon (Advertising Law of the PRC art. 9, 16, 17, 28; cosmetics and food claim rules).</summary>
    public static AdCopyLexicon BuiltInChinese => LoadEmbedded("zh-CN.json");

    /// <summary>The built-in English lexicon (superlatives, guarantees, medical claims, price claims).</summary>
    public static AdCopyLexicon BuiltInEnglish => LoadEmbedded("en.json");

    /// <summary>Reads a lexicon from JSON.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="ComplianceException">The JSON is not a valid lexicon.</exception>
    public static AdCopyLexicon FromJson(string json)
    {
        try
        {
            var lexicon = JsonSerializer.Deserialize(json, AdCopyJsonContext.Default.AdCopyLexicon)
                ?? throw new ComplianceException("The lexicon JSON is empty.");
            foreach (var t in lexicon.Terms)
            {
                if (string.IsNullOrWhiteSpace(t.Term) || TextNormalizer.Normalize(t.Term).Length == 0 || string.IsNullOrWhiteSpace(t.Category))
                {
                    throw new ComplianceException($"The lexicon '{lexicon.Name}' has a term without letters or without a category.");
                }
            }
            return lexicon;
        }
        catch (JsonException ex)
        {
            throw new ComplianceException("The lexicon JSON is not valid: " + ex.Message, ex);
        }
    }

    /// <summary>Reads a lexicon from a JSON stream.</summary>
    /// <param name="stream">The stream.</param>
    public static AdCopyLexicon FromJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream);
        return FromJson(reader.ReadToEnd());
    }

    /// <summary>Writes the lexicon as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AdCopyJsonContext.Default.AdCopyLexicon);

    private static AdCopyLexicon LoadEmbedded(string file)
    {
        using var stream = typeof(AdCopyLexicon).Assembly.GetManifestResourceStream("Marketing.Sdk.Compliance.Lexicons." + file)
            ?? throw new ComplianceException($"The built-in lexicon '{file}' is missing from the assembly.");
        return FromJson(stream);
    }
}
