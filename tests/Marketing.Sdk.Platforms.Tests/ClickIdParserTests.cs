using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Platforms.Clicks;

namespace Marketing.Sdk.Platforms.Tests;

public sealed class ClickIdParserTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 3, 9, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("https://shop.example/p/1?gclid=Cj0KCQ-abc_DEF", "gclid")]
    [InlineData("https://shop.example/?gbraid=0AAAAA-x", "gbraid")]
    [InlineData("https://shop.example/?wbraid=CkQKCQ", "wbraid")]
    [InlineData("https://shop.example/?ttclid=E.C.P.abc123", "ttclid")]
    [InlineData("https://shop.example/?gdt_vid=wx0abcdef123", "tencent")]
    [InlineData("https://shop.example/?qz_gdt=jj5v7k4iaaa", "tencent")]
    [InlineData("https://shop.example/?click_id=24oi6xq2aaakvagnqu7a", "tencent")]
    [InlineData("https://shop.example/?clickid=EPHk9cX3pv4CGJax4ZENKI7w4MDev_4C", "ocean")]
    [InlineData("https://shop.example/?callback=B.abc123XYZ", "ocean")]
    public void Each_platform_parameter_is_read_into_its_field(string url, string field)
    {
        var ids = ClickIdParser.Parse(url, At)!;
        var value = url[(url.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var actual = field switch
        {
            "gclid" => ids.Gclid,
            "gbraid" => ids.Gbraid,
            "wbraid" => ids.Wbraid,
            "ttclid" => ids.Ttclid,
            "tencent" => ids.TencentClickId,
            "ocean" => ids.OceanEngineCallback,
            _ => null,
        };
        Assert.Equal(value, actual);
    }

    [Fact]
    public void Fbclid_becomes_the_fbc_value_Meta_documents_with_the_click_time_in_milliseconds_and_its_case_kept()
    {
        var ids = ClickIdParser.Parse("https://example.com/?fbclid=IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk", At)!;

        Assert.Equal($"fb.1.{At.ToUnixTimeMilliseconds()}.IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk", ids.Fbc);
        Assert.Equal("fb.1.1793698200000.IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk", ids.Fbc);
    }

    [Fact]
    public void Several_platforms_in_one_url_are_all_read_and_precedence_holds_within_a_platform()
    {
        var ids = ClickIdParser.Parse("https://s.example/l?click_id=c3&qz_gdt=q2&gdt_vid=g1&callback=cb&clickid=oe&gclid=G&utm_source=x", At)!;

        Assert.Equal(("g1", "oe", "G"), (ids.TencentClickId, ids.OceanEngineCallback, ids.Gclid));
        Assert.Equal("q2", ClickIdParser.Parse("?click_id=c3&qz_gdt=q2", At)!.TencentClickId);
    }

    [Fact]
    public void Tencents_callback_url_is_not_taken_for_an_ocean_engine_callback()
    {
        Assert.Null(ClickIdParser.Parse("https://s.example/?callback=http%3A%2F%2Ftracking.e.qq.com%2Fconv%3Fcb%3DMTIz%26conv_id%3D1", At));
    }

    [Theory]
    [InlineData("gdt_vid=wx0abc&weixinadinfo=123.wx0abc.0.0")]
    [InlineData("?gdt_vid=wx0abc")]
    [InlineData("https://s.example/#/landing?gdt_vid=wx0abc")]
    [InlineData("/pages/index?gdt_vid=wx0abc#top")]
    [InlineData("https://s.example/?GDT_VID=wx0abc")]
    [InlineData("https://s.example/?gdt_vid=wx0abc&gdt_vid=other")]
    [InlineData("https://s.example/?gdt_vid=%zz&gdt_vid=wx0abc")]
    [InlineData("https://s.example/?gdt_vid=__CLICK_ID__&gdt_vid=wx0abc")]
    [InlineData("https://s.example/?gdt_vid=wx0%61bc")]
    public void Bare_launch_queries_fragments_case_duplicates_and_encodings_are_handled(string input)
    {
        Assert.Equal("wx0abc", ClickIdParser.Parse(input, At)?.TencentClickId);
    }

    [Theory]
    [InlineData("https://s.example/?gclid=%")]
    [InlineData("https://s.example/?gclid=%4")]
    [InlineData("https://s.example/?gclid=%FF%FE")]
    [InlineData("https://s.example/?gclid=a%20b")]
    [InlineData("https://s.example/?gclid=a%0Ab")]
    [InlineData("https://s.example/?gclid=")]
    [InlineData("https://s.example/?gclid")]
    [InlineData("https://s.example/?clickid=__CALLBACK_PARAM__")]
    [InlineData("https://s.example/gclid=abc")]
    [InlineData("https://s.example/#gclid=abc")]
    [InlineData("https://s.example/?xgclid=abc&gclidx=abc")]
    [InlineData("")]
    [InlineData(null)]
    public void Invalid_or_absent_click_ids_yield_nothing(string? input)
    {
        Assert.Null(ClickIdParser.Parse(input, At));
    }

    [Fact]
    public void Input_over_the_length_bound_is_ignored_as_a_whole_and_values_over_the_value_bound_are_skipped()
    {
        var padded = "https://s.example/?gclid=abc&pad=" + new string('x', ClickIdParser.DefaultMaxLength);
        Assert.Null(ClickIdParser.Parse(padded, At));
        Assert.Equal("abc", ClickIdParser.Parse(padded, At, maxLength: 20_000)!.Gclid);
        Assert.Null(ClickIdParser.Parse("?gclid=" + new string('a', ClickIdParser.MaxValueLength + 1), At));
        Assert.NotNull(ClickIdParser.Parse("?gclid=" + new string('a', ClickIdParser.MaxValueLength), At));
    }

    [Fact]
    public void Only_the_first_parameters_up_to_the_bound_are_read()
    {
        var noise = string.Concat(Enumerable.Repeat("a=1&", ClickIdParser.MaxParameters));
        Assert.Null(ClickIdParser.Parse("?" + noise + "gclid=late", At));
        Assert.Equal("early", ClickIdParser.Parse("?gclid=early&" + noise, At)!.Gclid);
    }

    [Fact]
    public void Plus_stays_plus_and_percent_encoded_utf8_is_decoded()
    {
        Assert.Equal("a+b", ClickIdParser.Parse("?ttclid=a+b", At)!.Ttclid);
        Assert.Equal("点击", ClickIdParser.Parse("?ttclid=%E7%82%B9%E5%87%BB", At)!.Ttclid);
        Assert.Equal("点击", ClickIdParser.Parse("?ttclid=点击", At)!.Ttclid);
    }

    private static readonly char[] TokenChars = [.. "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=%&#?点"];

    private static readonly char[] HostileChars = [.. "?&=#%+ \t\r\n\0/:;\"'<>\\abcAZ09_-.\u00ff\u4e00\ud800\udc00\ufffd"];

    [Property(MaxTest = 500)]
    public Property Any_input_parses_without_throwing_and_every_value_is_bounded_and_clean() =>
        Prop.ForAll(
            Gen.ArrayOf(Gen.OneOf(
                Gen.Elements(HostileChars).Select(c => c.ToString()),
                Gen.Elements(ClickIdParser.Names),
                Gen.Elements("%", "%2", "%zz", "%E7%82", "%F0%9F%98%80", "__CLICKID__", "=", "&&", "?", "#"))).Select(string.Concat).ToArbitrary(),
            input =>
            {
                var ids = ClickIdParser.Parse(input, At);
                var values = ids is null ? [] : new[] { ids.Gclid, ids.Gbraid, ids.Wbraid, ids.Fbc, ids.Ttclid, ids.TencentClickId, ids.OceanEngineCallback }.OfType<string>().ToArray();
                return (ids is null || values.Length > 0)
                    && values.All(v => v.Length is > 0 and <= ClickIdParser.MaxValueLength + 40 && !v.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)));
            });

    [Property(MaxTest = 300)]
    public Property An_encoded_token_among_noise_round_trips_exactly() =>
        Prop.ForAll(
            Gen.NonEmptyListOf(Gen.Elements(TokenChars)).Select(cs => new string([.. cs])).Where(t => !(t.Length >= 4 && t.StartsWith("__", StringComparison.Ordinal) && t.EndsWith("__", StringComparison.Ordinal))).ToArbitrary(),
            Gen.ListOf(Gen.Elements("utm_source=x", "a=", "=b", "&", "gclid_x=1", "ref=%2F")).ToArbitrary(),
            (token, noise) =>
            {
                var url = "https://shop.example/landing?" + string.Join('&', noise) + "&gclid=" + Uri.EscapeDataString(token) + "&" + string.Join('&', noise) + "#frag";
                return ClickIdParser.Parse(url, At, maxLength: 65_536)?.Gclid == token;
            });
}
