using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Benchmarks.Compliance;

/// <summary>
/// Ad-copy review with a 5 000-term lexicon (Chinese and English) over 256 K characters of copy:
/// the Aho–Corasick reviewer against a naive <c>string.IndexOf</c> per term over the same folded text.
/// </summary>
[MemoryDiagnoser]
public class AdCopyReviewBenchmarks
{
    private AdCopyReviewer _reviewer = null!;
    private string[] _foldedTerms = [];
    private string _text = "";

    [Params(5_000)]
    public int Terms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        const string Hanzi = "最佳第一国家级顶尖极品首选唯一保证有效治疗抗癌降压祛斑美白补水保湿新品上市优惠包邮会员积分限时秒杀春夏秋冬面霜精华口红香水零食坚果咖啡茶叶";
        var terms = new HashSet<string>(StringComparer.Ordinal);
        while (terms.Count < Terms)
        {
            if (random.Next(3) == 0)
            {
                terms.Add(new string([.. Enumerable.Range(0, random.Next(4, 9)).Select(_ => (char)('a' + random.Next(26)))]));
            }
            else
            {
                terms.Add(new string([.. Enumerable.Range(0, random.Next(2, 5)).Select(_ => Hanzi[random.Next(Hanzi.Length)])]));
            }
        }
        var lexicon = new AdCopyLexicon
        {
            Name = "bench",
            Terms = [.. terms.Select(t => new AdCopyTerm { Term = t, Category = AdCopyCategories.AbsoluteClaim, WholeWord = false })],
        };
        _reviewer = new AdCopyReviewer([lexicon]);
        _foldedTerms = [.. terms];
        var sb = new StringBuilder();
        string[] clean = ["新品上市，欢迎到店体验。", "Free shipping on orders over 99. ", "满199元包邮，支持七天无理由退货。", "Try the new cold brew today! "];
        while (sb.Length < 256 * 1024)
        {
            sb.Append(clean[random.Next(clean.Length)]);
        }
        _text = sb.ToString();
    }

    [Benchmark(Baseline = true)]
    public int NaiveIndexOfPerTerm()
    {
        // A comparable folding (letters and digits, lower case), then one scan of the text per term.
        var folded = new StringBuilder(_text.Length);
        foreach (var c in _text)
        {
            if (char.IsLetterOrDigit(c))
            {
                folded.Append(char.ToLowerInvariant(c));
            }
        }
        var text = folded.ToString();
        var hits = 0;
        foreach (var term in _foldedTerms)
        {
            for (var i = text.IndexOf(term, StringComparison.Ordinal); i >= 0; i = text.IndexOf(term, i + 1, StringComparison.Ordinal))
            {
                hits++;
            }
        }
        return hits;
    }

    [Benchmark]
    public int AhoCorasickReviewer() => _reviewer.Review(_text).Findings.Count;
}

/// <summary>Normalising and hashing one million emails for Meta: <see cref="PlatformHasher.Hash"/> against a straightforward LINQ-free baseline that allocates per step.</summary>
[MemoryDiagnoser]
public class PlatformHashingBenchmarks
{
    private string[] _emails = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        _emails = [.. Enumerable.Range(0, 1_000_000).Select(i => $" User.{i}{(char)('A' + random.Next(26))}@Example{i % 97}.com ")];
    }

    [Benchmark(Baseline = true)]
    public int Baseline()
    {
        var n = 0;
        foreach (var e in _emails)
        {
            var normalized = e.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
            n += Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(normalized))).ToLowerInvariant().Length;
        }
        return n;
    }

    [Benchmark]
    public int PlatformHasherMeta()
    {
        var n = 0;
        foreach (var e in _emails)
        {
            n += PlatformHasher.Hash(MatchField.Email, e, HashingProfile.Meta).Length;
        }
        return n;
    }
}
