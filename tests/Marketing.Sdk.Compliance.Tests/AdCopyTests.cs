using Marketing.Sdk.Compliance.AdCopy;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class AdCopyTests
{
    private static readonly AdCopyReviewer Reviewer = AdCopyReviewer.CreateDefault();

    [Theory]
    [InlineData("本店最佳护肤品", "最佳", AdCopyCategories.AbsoluteClaim)]
    [InlineData("本店最 佳护肤品", "最 佳", AdCopyCategories.AbsoluteClaim)]
    [InlineData("本店最-*-佳护肤品", "最-*-佳", AdCopyCategories.AbsoluteClaim)]
    [InlineData("本店最\u200B佳护肤品", "最\u200B佳", AdCopyCategories.AbsoluteClaim)]
    [InlineData("销量第 1？不，销量第一！", "第一", AdCopyCategories.AbsoluteClaim)]
    [InlineData("國家級認證產品", "國家級", AdCopyCategories.AbsoluteClaim)]
    [InlineData("保證有效，無效退款", "保證有效", AdCopyCategories.Guarantee)]
    [InlineData("这款面霜可以治疗湿疹", "治疗", AdCopyCategories.MedicalClaim)]
    [InlineData("全网最低价，手慢无", "全网最低价", AdCopyCategories.MisleadingPrice)]
    [InlineData("Simply the BEST serum", "BEST", AdCopyCategories.AbsoluteClaim)]
    [InlineData("Simply the ＢＥＳＴ serum", "ＢＥＳＴ", AdCopyCategories.AbsoluteClaim)]
    [InlineData("the b.e.s.t serum", "b.e.s.t", AdCopyCategories.AbsoluteClaim)]
    [InlineData("We are No.1 in town", "No.1", AdCopyCategories.AbsoluteClaim)]
    [InlineData("We are No 1 in town", "No 1", AdCopyCategories.AbsoluteClaim)]
    [InlineData("Results 100% GUARANTEED", "GUARANTEED", AdCopyCategories.Guarantee)]
    [InlineData("This tea cures colds", "cures", AdCopyCategories.MedicalClaim)]
    [InlineData("Lowest price ever!", "Lowest price ever", AdCopyCategories.MisleadingPrice)]
    public void Catches_claims_and_their_evasions(string text, string matched, string category)
    {
        var review = Reviewer.Review(text);
        var finding = Assert.Single(review.Findings, f => f.Matched == matched);
        Assert.Equal(category, finding.Category);
        Assert.Equal(matched, text.Substring(finding.Start, finding.Length));
    }

    [Fact]
    public void Keeps_the_longest_of_overlapping_terms_and_suggests_a_rewrite()
    {
        var review = Reviewer.Review("限时全网最低价，品质最佳！");
        Assert.Equal(["全网最低价", "最佳"], review.Findings.Select(f => f.Term));
        Assert.Equal("限时优惠价，品质优质！", review.SuggestedRewrite());
        Assert.Equal(AdCopySeverity.High, review.MaxSeverity);
    }

    public static TheoryData<string> CleanCorpus() =>
    [
        "第一次购买的新客户立享九折优惠",
        "新品上市，欢迎到店体验",
        "第一步：清洁面部；第二步：涂抹精华",
        "这款保温杯容量500毫升，适合通勤使用",
        "会员积分可以抵扣现金，详情见活动页面",
        "夏季清爽配方，质地轻薄不黏腻",
        "每天早上第一时间为您送达新鲜牛奶",
        "满199元包邮，支持七天无理由退货",
        "我们最近上新了秋冬系列外套",
        "天然棉麻面料，透气舒适",
        "Our bestseller mug is back in stock",
        "Best regards from the team",
        "Try the new cold brew at any store",
        "Free shipping on orders over $50",
        "Secure checkout with any card",
        "The piano 1 lesson starts at 5pm",
        "A perfectionist's guide to latte art",
        "Bestow a gift card on a friend",
        "Ultimately, comfort is what matters",
        "Cheapside market opens on Sunday",
    ];

    [Theory]
    [MemberData(nameof(CleanCorpus))]
    public void No_false_positives_on_clean_copy(string text)
    {
        Assert.DoesNotContain(Reviewer.Review(text).Findings, f => f.Severity >= AdCopySeverity.Medium);
    }

    [Fact]
    public void Batch_reports_the_violation_rate()
    {
        var report = Reviewer.ReviewBatch(["全网最低价", "新品上市", "the best coffee", "欢迎光临"]);
        Assert.Equal(2, report.ViolatingTexts);
        Assert.Equal(0.5, report.ViolationRate);
        Assert.Equal(1, report.FindingsByCategory[AdCopyCategories.MisleadingPrice]);
        Assert.Equal(1, report.FindingsByCategory[AdCopyCategories.AbsoluteClaim]);
    }

    [Fact]
    public void Users_extend_lexicons_with_json()
    {
        var custom = AdCopyLexicon.FromJson("""
            { "name": "brand", "version": "1", "terms": [ { "term": "秒杀全网", "category": "brand_policy", "severity": "Medium", "suggestion": "限时优惠" } ] }
            """);
        var reviewer = AdCopyReviewer.CreateDefault(custom);
        var finding = Assert.Single(reviewer.Review("今日秒 杀 全 网").Findings);
        Assert.Equal("brand_policy", finding.Category);
        Assert.Equal("brand", finding.Lexicon);
        Assert.Equal(custom, AdCopyLexicon.FromJson(custom.ToJson()) with { Terms = custom.Terms });
        Assert.Throws<ComplianceException>(() => AdCopyLexicon.FromJson("{\"name\":\"x\",\"terms\":[{\"term\":\"  \",\"category\":\"c\"}]}"));
        Assert.Throws<ComplianceException>(() => AdCopyLexicon.FromJson("{"));
    }

    [Fact]
    public void Automaton_finds_exactly_what_naive_search_finds()
    {
        var random = new Random(42);
        var alphabet = "abc最佳第一";
        string Word(int min, int max) => new([.. Enumerable.Range(0, random.Next(min, max)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
        for (var round = 0; round < 50; round++)
        {
            var patterns = Enumerable.Range(0, 20).Select(_ => Word(1, 5)).Distinct().ToList();
            var text = Word(0, 200);
            var automaton = new AhoCorasick(patterns);
            var found = new List<(int, int)>();
            automaton.Search(text, ref found, static (ref List<(int, int)> f, int p, int s, int e) => f.Add((p, s)));
            var expected = new List<(int, int)>();
            for (var p = 0; p < patterns.Count; p++)
            {
                for (var i = text.IndexOf(patterns[p], StringComparison.Ordinal); i >= 0; i = text.IndexOf(patterns[p], i + 1, StringComparison.Ordinal))
                {
                    expected.Add((p, i));
                }
            }
            Assert.Equal(expected.Order(), found.Order());
        }
    }
}
