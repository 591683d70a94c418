using System.Text;

namespace Marketing.Sdk.Compliance.AdCopy;

/// <summary>One problem found in a text.</summary>
/// <param name="Start">Start of the span in the original text.</param>
/// <param name="Length">Length of the span in the original text (including inserted spaces or symbols).</param>
/// <param name="Matched">The original text of the span.</param>
/// <param name="Term">The lexicon term that matched.</param>
/// <param name="Category">The category.</param>
/// <param name="Severity">The severity.</param>
/// <param name="Suggestion">A compliant replacement, if any.</param>
/// <param name="Lexicon">The lexicon the term came from.</param>
public sealed record AdCopyFinding(int Start, int Length, string Matched, string Term, string Category, AdCopySeverity Severity, string? Suggestion, string Lexicon);

/// <summary>The review of one text.</summary>
/// <param name="Text">The text reviewed.</param>
/// <param name="Findings">The findings, by position; overlapping matches keep the longest.</param>
public sealed record AdCopyReview(string Text, IReadOnlyList<AdCopyFinding> Findings)
{
    /// <summary>Whether nothing was found.</summary>
    public bool Passed => Findings.Count == 0;

    /// <summary>The highest severity found, or <see langword="null"/>.</summary>
    public AdCopySeverity? MaxSeverity => Findings.Count == 0 ? null : Findings.Max(f => f.Severity);

    /// <summary>The text with every finding that has a suggestion replaced by it.</summary>
    public string SuggestedRewrite()
    {
        var sb = new StringBuilder(Text);
        foreach (var f in Findings.Where(f => f.Suggestion is not null).OrderByDescending(f => f.Start))
        {
            sb.Remove(f.Start, f.Length).Insert(f.Start, f.Suggestion);
        }
        return sb.ToString();
    }
}

/// <summary>The review of many texts.</summary>
/// <param name="Reviews">Each text's review, in input order.</param>
/// <param name="ViolatingTexts">How many texts had at least one finding.</param>
/// <param name="FindingsByCategory">Finding counts per category.</param>
public sealed record AdCopyBatchReport(IReadOnlyList<AdCopyReview> Reviews, int ViolatingTexts, IReadOnlyDictionary<string, int> FindingsByCategory)
{
    /// <summary>Share of texts with at least one finding (0 for an empty batch).</summary>
    public double ViolationRate => Reviews.Count == 0 ? 0 : (double)ViolatingTexts / Reviews.Count;
}

/// <summary>
/// Lexicon-driven review of marketing copy in Chinese and English. The text is folded (full-width
/// to half-width, lower case, traditional to simplified, spaces/punctuation/symbols/zero-width
/// characters dropped) with a map back to the original offsets, and every lexicon term is found in
/// one Aho–Corasick pass. Latin-script terms must stand as whole words in the original text; a term's
/// exceptions (第一次 for 第一) suppress matches inside them. Thread-safe once built.
/// </summary>
public sealed class AdCopyReviewer
{
    private readonly AhoCorasick _automaton;
    private readonly Pattern[] _patterns;

    /// <summary>Creates a reviewer with the built-in Chinese and English lexicons plus any others.</summary>
    /// <param name="additional">Further lexicons (e.g. industry or brand terms).</param>
    public static AdCopyReviewer CreateDefault(params AdCopyLexicon[] additional) =>
        new([AdCopyLexicon.BuiltInChinese, AdCopyLexicon.BuiltInEnglish, .. additional]);

    /// <summary>Creates a reviewer over the given lexicons.</summary>
    /// <param name="lexicons">The lexicons (at least one term in all).</param>
    public AdCopyReviewer(IEnumerable<AdCopyLexicon> lexicons)
    {
        ArgumentNullException.ThrowIfNull(lexicons);
        var patterns = new List<Pattern>();
        var texts = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var lexicon in lexicons)
        {
            foreach (var term in lexicon.Terms)
            {
                var folded = TextNormalizer.Normalize(term.Term);
                if (folded.Length == 0 || index.ContainsKey(folded))
                {
                    continue;
                }
                var termIndex = patterns.Count;
                index[folded] = termIndex;
                var latin = folded.Any(char.IsAsciiLetter);
                patterns.Add(new Pattern(term, lexicon.Name, -1, latin && term.WholeWord));
                texts.Add(folded);
                foreach (var exception in term.Exceptions)
                {
                    var fe = TextNormalizer.Normalize(exception);
                    if (fe.Length > folded.Length && fe.Contains(folded, StringComparison.Ordinal))
                    {
                        patterns.Add(new Pattern(term, lexicon.Name, termIndex, false));
                        texts.Add(fe);
                    }
                }
            }
        }
        if (texts.Count == 0)
        {
            throw new ArgumentException("The lexicons hold no terms.", nameof(lexicons));
        }
        _patterns = [.. patterns];
        _automaton = new AhoCorasick(texts);
        TermCount = index.Count;
    }

    /// <summary>Number of distinct (folded) terms.</summary>
    public int TermCount { get; }

    /// <summary>Reviews one text.</summary>
    /// <param name="text">The text.</param>
    public AdCopyReview Review(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var folded = text.Length <= 4096 ? new char[text.Length] : GC.AllocateUninitializedArray<char>(text.Length);
        var map = text.Length <= 4096 ? new int[text.Length] : GC.AllocateUninitializedArray<int>(text.Length);
        var n = TextNormalizer.Normalize(text, folded, map);
        var state = new SearchState(new List<RawMatch>(), new List<RawMatch>());
        _automaton.Search(folded.AsSpan(0, n), ref state, static (ref SearchState s, int pattern, int start, int end) =>
            (s.Matches).Add(new RawMatch(pattern, start, end)));
        if (state.Matches.Count == 0)
        {
            return new AdCopyReview(text, []);
        }
        var exceptions = state.Matches.Where(m => _patterns[m.Pattern].ExceptionOf >= 0).ToList();
        var candidates = new List<AdCopyFinding>();
        foreach (var m in state.Matches)
        {
            var p = _patterns[m.Pattern];
            if (p.ExceptionOf >= 0)
            {
                continue;
            }
            if (exceptions.Any(e => _patterns[e.Pattern].ExceptionOf == m.Pattern && e.Start <= m.Start && e.End >= m.End))
            {
                continue;
            }
            var start = map[m.Start];
            var end = map[m.End - 1] + 1;
            if (p.WholeWord && ((start > 0 && TextNormalizer.IsWordChar(text[start - 1])) || (end < text.Length && TextNormalizer.IsWordChar(text[end]))))
            {
                continue;
            }
            candidates.Add(new AdCopyFinding(start, end - start, text[start..end], p.Term.Term, p.Term.Category, p.Term.Severity, p.Term.Suggestion, p.Lexicon));
        }
        // Keep the longest of overlapping findings, leftmost first.
        var findings = new List<AdCopyFinding>();
        foreach (var f in candidates.OrderBy(f => f.Start).ThenByDescending(f => f.Length))
        {
            if (findings.Count > 0 && f.Start < findings[^1].Start + findings[^1].Length)
            {
                continue;
            }
            findings.Add(f);
        }
        return new AdCopyReview(text, findings);
    }

    /// <summary>Reviews many texts and reports the violation rate.</summary>
    /// <param name="texts">The texts.</param>
    public AdCopyBatchReport ReviewBatch(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var reviews = texts.Select(Review).ToList();
        var byCategory = reviews.SelectMany(r => r.Findings).GroupBy(f => f.Category, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new AdCopyBatchReport(reviews, reviews.Count(r => !r.Passed), byCategory);
    }

    private readonly record struct RawMatch(int Pattern, int Start, int End);

    private readonly record struct SearchState(List<RawMatch> Matches, List<RawMatch> Unused);

    private sealed record Pattern(AdCopyTerm Term, string Lexicon, int ExceptionOf, bool WholeWord);
}
