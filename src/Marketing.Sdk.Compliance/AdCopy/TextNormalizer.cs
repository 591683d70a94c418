using System.Collections.Frozen;
using System.Globalization;

namespace Marketing.Sdk.Compliance.AdCopy;

/// <summary>
/// Folds text for matching and remembers where each folded character came from: full-width forms
/// become half-width, letters become lower case, traditional Chinese characters become simplified
/// (from a built-in table), and spaces, punctuation, symbols, zero-width and control characters are
/// dropped, so that "最 佳", "最-佳", "ＢＥＳＴ" and "最佳" fold alike.
/// </summary>
internal static class TextNormalizer
{
    /// <summary>The fold of every UTF-16 code unit ('\0' = dropped); shared, never to be written.</summary>
    public static char[] FoldMap => FoldTable.Value;

    /// <summary>Folds one character; returns '\0' when it is to be dropped.</summary>
    public static char Fold(char c) => FoldTable.Value[c];

    /// <summary>Folds a string; <paramref name="map"/> receives for each folded character its index in the input.</summary>
    public static int Normalize(ReadOnlySpan<char> text, Span<char> folded, Span<int> map)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var f = Fold(text[i]);
            if (f != '\0')
            {
                folded[n] = f;
                map[n] = i;
                n++;
            }
        }
        return n;
    }

    /// <summary>Folds a string without a map (lexicon terms).</summary>
    public static string Normalize(string text)
    {
        var chars = new char[text.Length];
        var n = 0;
        foreach (var c in text)
        {
            var f = Fold(c);
            if (f != '\0')
            {
                chars[n++] = f;
            }
        }
        return new string(chars, 0, n);
    }

    /// <summary>Whether a character is a letter or digit of a Latin-script word (for word-boundary checks).</summary>
    public static bool IsWordChar(char c)
    {
        var f = c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c;
        return char.IsAsciiLetterOrDigit(f) || (f >= '\u00C0' && f <= '\u024F');
    }

    private static readonly char[] AsciiTable = BuildAscii();

    /// <summary>The fold of every UTF-16 code unit, computed once (128 KB), so folding is one table read per character.</summary>
    private static class FoldTable
    {
        // Nested so that it is built after the outer tables it reads.
        public static readonly char[] Value = BuildFoldTable();
    }

    private static char[] BuildFoldTable()
    {
        var table = new char[65536];
        for (var c = 0; c < 65536; c++)
        {
            table[c] = c < 0x80 ? AsciiTable[c] : FoldSlow((char)c);
        }
        return table;
    }

    private static char[] BuildAscii()
    {
        var table = new char[128];
        for (var c = 0; c < 128; c++)
        {
            var ch = (char)c;
            table[c] = char.IsAsciiLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : ch is '%' or '#' ? ch : '\0';
        }
        return table;
    }

    private static char FoldSlow(char c)
    {
        if (c is >= '\uFF01' and <= '\uFF5E')
        {
            return AsciiTable[c - 0xFEE0];
        }
        if (TraditionalToSimplified.TryGetValue(c, out var simplified))
        {
            return simplified;
        }
        switch (char.GetUnicodeCategory(c))
        {
            case UnicodeCategory.SpaceSeparator:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
            case UnicodeCategory.Control:
            case UnicodeCategory.Format:
            case UnicodeCategory.Surrogate:
            case UnicodeCategory.PrivateUse:
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return c == '\uFF05' ? '%' : '\0';
            default:
                return char.ToLowerInvariant(c);
        }
    }

    /// <summary>Traditional → simplified for characters common in advertising copy (one-to-one mappings only).</summary>
    private static readonly FrozenDictionary<char, char> TraditionalToSimplified = BuildTraditional();

    private static FrozenDictionary<char, char> BuildTraditional()
    {
        const string Traditional = "國級質療藥證無維極絕對獨優價僅時搶購買贈減癒醫養顏膚淨專業權領導選標準頂滿錢賠徹復發歲齡緊鬆細萬強靈驗實現機會讓過這個們來說還點體臉紋皺傷壓輕變頭髮禿為與產廠虧賣倉殺貨冠軍銷際隻紀錄勝從嚴謹東單張門開關問題應該後裡邊歡樂愛親戀網絡線級數據經濟進創設計認識請議論語調課讀寫書畫雙壽險喪遺囑殘廢輻射療劑診斷脫敏癢症護膠囊補腎陽痿癌腫瘤糖尿病壓鈣鐵鋅維備區域頁錯誤範圍係統廣告";
        const string Simplified = "国级质疗药证无维极绝对独优价仅时抢购买赠减愈医养颜肤净专业权领导选标准顶满钱赔彻复发岁龄紧松细万强灵验实现机会让过这个们来说还点体脸纹皱伤压轻变头发秃为与产厂亏卖仓杀货冠军销际只纪录胜从严谨东单张门开关问题应该后里边欢乐爱亲恋网络线级数据经济进创设计认识请议论语调课读写书画双寿险丧遗嘱残废辐射疗剂诊断脱敏痒症护胶囊补肾阳痿癌肿瘤糖尿病压钙铁锌维备区域页错误范围系统广告";
        var map = new Dictionary<char, char>();
        for (var i = 0; i < Traditional.Length; i++)
        {
            if (Traditional[i] != Simplified[i])
            {
                map[Traditional[i]] = Simplified[i];
            }
        }
        return map.ToFrozenDictionary();
    }
}
