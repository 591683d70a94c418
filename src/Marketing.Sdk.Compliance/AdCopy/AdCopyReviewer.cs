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
/// characters dropped) while one Aho–Corasick pass finds every lexicon term, and each match is
/// mapped back to its span in the original text (folding happens on the fly: no folded copy is
/// made). Latin-script terms must stand as whole words in the original text; a term's
/// exceptions (第一次 for 第一) suppress matches inside them. Thread-safe once built.
/// </summary>
public sealed class AdCopyReviewer
{
    private readonly AhoCorasick _automaton;
    private readonly Pattern[] _patterns;
    private readonly bool _hasExceptions;

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
        _hasExceptions = _patterns.Any(p => p.ExceptionOf >= 0);
        _automaton = new AhoCorasick(texts, TextNormalizer.FoldMap);
        TermCount = index.Count;
    }

    /// <summary>Number of distinct (folded) terms.</summary>
    public int TermCount { get; }

    /// <summary>Reviews one text.</summary>
    /// <param name="text">The text.</param>
    public AdCopyReview Review(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matches = new MatchList(64);
        try
        {
            _automaton.ScanFolded(text, ref matches);
            return matches.Count == 0 ? new AdCopyReview(text, []) : new AdCopyReview(text, BuildFindings(text, matches.Items));
        }
        finally
        {
            matches.Dispose();
        }
    }

    /// <summary>
    /// Drops occurrences inside an allowed exception and Latin terms that do not stand as whole
    /// words, keeps the longest of overlapping occurrences (leftmost first), and only then creates
    /// the findings (the matched text reuses the term's own string when the span is written exactly so).
    /// </summary>
    private AdCopyFinding[] BuildFindings(string text, ReadOnlySpan<RawMatch> matches)
    {
        var exceptions = _hasExceptions ? CollectExceptions(matches) : [];
        var candidates = System.Buffers.ArrayPool<RawMatch>.Shared.Rent(matches.Length);
        try
        {
            var n = 0;
            foreach (ref readonly var m in matches)
            {
                var p = _patterns[m.Pattern];
                if (p.ExceptionOf >= 0 || (exceptions.Length > 0 && IsExcepted(m, exceptions)))
                {
                    continue;
                }
                var start = m.OriginalStart;
                var end = m.OriginalEnd;
                if (p.WholeWord && ((start > 0 && TextNormalizer.IsWordChar(text[start - 1])) || (end < text.Length && TextNormalizer.IsWordChar(text[end]))))
                {
                    continue;
                }
                // Occurrences arrive by end position; insertion sort by (start, longest first) moves
                // each one back at most past the few that end within one pattern length.
                var j = n;
                while (j > 0 && (candidates[j - 1].Start > m.Start || (candidates[j - 1].Start == m.Start && candidates[j - 1].End < m.End)))
                {
                    candidates[j] = candidates[j - 1];
                    j--;
                }
                candidates[j] = m;
                n++;
            }
            var kept = 0;
            var keptEnd = -1;
            for (var i = 0; i < n; i++)
            {
                if (candidates[i].Start >= keptEnd)
                {
                    keptEnd = candidates[i].End;
                    candidates[kept++] = candidates[i];
                }
            }
            var findings = new AdCopyFinding[kept];
            for (var i = 0; i < kept; i++)
            {
                var m = candidates[i];
                var term = _patterns[m.Pattern].Term;
                var span = text.AsSpan(m.OriginalStart, m.OriginalEnd - m.OriginalStart);
                var matched = span.SequenceEqual(term.Term) ? term.Term : span.ToString();
                findings[i] = new AdCopyFinding(m.OriginalStart, span.Length, matched, term.Term, term.Category, term.Severity, term.Suggestion, _patterns[m.Pattern].Lexicon);
            }
            return findings;
        }
        finally
        {
            System.Buffers.ArrayPool<RawMatch>.Shared.Return(candidates);
        }
    }

    private RawMatch[] CollectExceptions(ReadOnlySpan<RawMatch> matches)
    {
        List<RawMatch>? list = null;
        foreach (ref readonly var m in matches)
        {
            if (_patterns[m.Pattern].ExceptionOf >= 0)
            {
                (list ??= []).Add(m);
            }
        }
        return list is null ? [] : [.. list];
    }

    /// <summary>Whether an exception of the match's term covers it (in folded positions).</summary>
    private bool IsExcepted(in RawMatch m, RawMatch[] exceptions)
    {
        foreach (var e in exceptions)
        {
            if (_patterns[e.Pattern].ExceptionOf == m.Pattern && e.Start <= m.Start && e.End >= m.End)
            {
                return true;
            }
        }
        return false;
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

    private sealed record Pattern(AdCopyTerm Term, string Lexicon, int ExceptionOf, bool WholeWord);
}
