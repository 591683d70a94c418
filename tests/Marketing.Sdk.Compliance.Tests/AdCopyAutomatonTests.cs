using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Compliance.AdCopy;

namespace Marketing.Sdk.Compliance.Tests;

/// <summary>
/// The compiled (dense) and sparse automata, and the fused fold-and-scan, against naive search over
/// the folded text; the reviewer against a straightforward reference review.
/// </summary>
public sealed class AdCopyAutomatonTests
{
    // Raw characters: letters (both widths and cases), Chinese (simplified and traditional), and
    // characters folding drops (spaces, punctuation, zero-width).
    private const string RawAlphabet = "abAＢ最佳第一國国家级 -.。\u200B";
    private const string PatternAlphabet = "ab最佳第一国家";

    public static Arbitrary<(string[] Patterns, string Text)> Cases() =>
        Gen.Zip(
            Gen.ArrayOf(Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Gen.Elements(PatternAlphabet.ToCharArray()), n).Select(c => new string(c))))
                .Where(p => p.Length > 0),
            Gen.Choose(0, 120).SelectMany(n => Gen.ArrayOf(Gen.Elements(RawAlphabet.ToCharArray()), n).Select(c => new string(c))))
        .ToArbitrary();

    [Property(Arbitrary = [typeof(AdCopyAutomatonTests)], MaxTest = 300)]
    public bool Fused_fold_and_scan_finds_what_naive_search_of_the_folded_text_finds((string[] Patterns, string Text) c)
    {
        var patterns = c.Patterns.Distinct().ToList();
        var expected = Naive(patterns, c.Text);
        var dense = new AhoCorasick(patterns, TextNormalizer.FoldMap);
        var sparse = new AhoCorasick(patterns, TextNormalizer.FoldMap, denseBudget: 0);
        return dense.IsDense && !sparse.IsDense && Scan(dense, c.Text).SequenceEqual(expected) && Scan(sparse, c.Text).SequenceEqual(expected);
    }

    [Property(Arbitrary = [typeof(AdCopyAutomatonTests)], MaxTest = 200)]
    public bool Dense_and_sparse_search_agree_on_unfolded_text((string[] Patterns, string Text) c)
    {
        var patterns = c.Patterns.Distinct().ToList();
        var dense = Search(new AhoCorasick(patterns), c.Text);
        var sparse = Search(new AhoCorasick(patterns, denseBudget: 0), c.Text);
        return dense.SequenceEqual(sparse);
    }

    [Fact]
    public void Falls_back_to_the_sparse_automaton_when_the_dense_table_would_be_too_large()
    {
        // 3 000 distinct characters in 500 patterns of 6: 3 001 states × 3 001 classes > budget.
        var patterns = Enumerable.Range(0, 500).Select(i => new string([.. Enumerable.Range(0, 6).Select(k => (char)(0x4E00 + ((i * 6) + k) % 3_000))])).ToList();
        var automaton = new AhoCorasick(patterns, TextNormalizer.FoldMap);
        Assert.False(automaton.IsDense);
        var text = "前言" + patterns[7] + "，" + patterns[499][..3] + " " + patterns[499][3..];
        Assert.Equal(Naive(patterns, text), Scan(automaton, text));
    }

    public static Arbitrary<(int[] Terms, string Text)> ReviewCases() =>
        Gen.Zip(
            Gen.ArrayOf(Gen.Choose(0, LexiconTerms.Length - 1)).Where(t => t.Length > 0),
            Gen.Choose(0, 30).SelectMany(n => Gen.ArrayOf(Gen.Elements(Fragments), n).Select(f => string.Concat(f))))
        .ToArbitrary();

    private static readonly AdCopyTerm[] LexiconTerms =
    [
        new() { Term = "最佳", Category = "a", Suggestion = "很好" },
        new() { Term = "第一", Category = "a", Exceptions = ["第一次", "第一天"] },
        new() { Term = "国家级", Category = "b", Severity = AdCopySeverity.Medium },
        new() { Term = "最佳第一", Category = "c" },
        new() { Term = "best", Category = "a", Suggestion = "great" },
        new() { Term = "best price", Category = "d", WholeWord = true },
        new() { Term = "no1", Category = "a", WholeWord = false },
        new() { Term = "ab", Category = "e", WholeWord = false },
    ];

    private static readonly string[] Fragments =
        ["最佳", "最 佳", "第一", "第一次", "第一天", "國家級", "国家", "级", "best", "BEST", "ｂｅｓｔ", "b.e.s.t", " price", "bestseller", "No.1", "no 1", "ab", "a", "b", " ", "，", "。", "x", "\u200B"];

    [Property(Arbitrary = [typeof(AdCopyAutomatonTests)], MaxTest = 300)]
    public bool Review_equals_the_reference_review((int[] Terms, string Text) c)
    {
        var lexicon = new AdCopyLexicon { Name = "t", Terms = [.. c.Terms.Distinct().Select(i => LexiconTerms[i])] };
        var actual = new AdCopyReviewer([lexicon]).Review(c.Text).Findings;
        var expected = ReferenceReview([lexicon], c.Text);
        return actual.SequenceEqual(expected);
    }

    /// <summary>The review written plainly: fold with a map, IndexOf per folded term, filters, longest-leftmost.</summary>
    private static List<AdCopyFinding> ReferenceReview(IEnumerable<AdCopyLexicon> lexicons, string text)
    {
        var folded = new char[text.Length];
        var map = new int[text.Length];
        var n = TextNormalizer.Normalize(text, folded, map);
        var f = new string(folded, 0, n);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var candidates = new List<AdCopyFinding>();
        foreach (var lexicon in lexicons)
        {
            foreach (var term in lexicon.Terms)
            {
                var ft = TextNormalizer.Normalize(term.Term);
                if (ft.Length == 0 || !seen.Add(ft))
                {
                    continue;
                }
                var exceptions = term.Exceptions.Select(TextNormalizer.Normalize).Where(e => e.Length > ft.Length && e.Contains(ft, StringComparison.Ordinal)).ToList();
                var wholeWord = term.WholeWord && ft.Any(char.IsAsciiLetter);
                for (var i = f.IndexOf(ft, StringComparison.Ordinal); i >= 0; i = f.IndexOf(ft, i + 1, StringComparison.Ordinal))
                {
                    var at = i;
                    if (exceptions.Any(e => Enumerable.Range(Math.Max(0, at + ft.Length - e.Length), e.Length).Any(s => s <= at && s + e.Length <= f.Length && string.CompareOrdinal(f, s, e, 0, e.Length) == 0)))
                    {
                        continue;
                    }
                    var start = map[i];
                    var end = map[i + ft.Length - 1] + 1;
                    if (wholeWord && ((start > 0 && TextNormalizer.IsWordChar(text[start - 1])) || (end < text.Length && TextNormalizer.IsWordChar(text[end]))))
                    {
                        continue;
                    }
                    candidates.Add(new AdCopyFinding(start, end - start, text[start..end], term.Term, term.Category, term.Severity, term.Suggestion, lexicon.Name));
                }
            }
        }
        var findings = new List<AdCopyFinding>();
        foreach (var c in candidates.OrderBy(c => c.Start).ThenByDescending(c => c.Length))
        {
            if (findings.Count == 0 || c.Start >= findings[^1].Start + findings[^1].Length)
            {
                findings.Add(c);
            }
        }
        return findings;
    }

    private static List<(int Pattern, int Start, int End, int OriginalStart, int OriginalEnd)> Naive(List<string> patterns, string text)
    {
        var folded = new char[text.Length];
        var map = new int[text.Length];
        var n = TextNormalizer.Normalize(text, folded, map);
        var f = new string(folded, 0, n);
        var result = new List<(int, int, int, int, int)>();
        for (var p = 0; p < patterns.Count; p++)
        {
            for (var i = f.IndexOf(patterns[p], StringComparison.Ordinal); i >= 0; i = f.IndexOf(patterns[p], i + 1, StringComparison.Ordinal))
            {
                result.Add((p, i, i + patterns[p].Length, map[i], map[i + patterns[p].Length - 1] + 1));
            }
        }
        result.Sort();
        return result;
    }

    private static List<(int Pattern, int Start, int End, int OriginalStart, int OriginalEnd)> Scan(AhoCorasick automaton, string text)
    {
        var matches = new MatchList(4);
        try
        {
            automaton.ScanFolded(text, ref matches);
            var result = new List<(int, int, int, int, int)>();
            foreach (var m in matches.Items)
            {
                result.Add((m.Pattern, m.Start, m.End, m.OriginalStart, m.OriginalEnd));
            }
            result.Sort();
            return result;
        }
        finally
        {
            matches.Dispose();
        }
    }

    private static List<(int, int, int)> Search(AhoCorasick automaton, string text)
    {
        var found = new List<(int, int, int)>();
        automaton.Search(text, ref found, static (ref List<(int, int, int)> f, int p, int s, int e) => f.Add((p, s, e)));
        found.Sort();
        return found;
    }
}
