using Marketing.Sdk.Content.Channels;
using Xunit;

namespace Marketing.Sdk.Content.Tests;

public sealed class ChannelTests
{
    private static ContentVariant V(params (string Key, string Value)[] fields) => new("a", fields.ToDictionary(f => f.Key, f => f.Value));

    private static ContentVariant V(IReadOnlyDictionary<string, IReadOnlyList<string>> lists, params (string Key, string Value)[] fields) => new("a", fields.ToDictionary(f => f.Key, f => f.Value), lists);

    [Fact]
    public void Sms_counts_signature_and_segments_china_rule()
    {
        var profile = new SmsProfile { SignName = "某商城" };
        // 【某商城】 = 5 characters; 70 in total is one part.
        var fits = new string('好', 65 - 4) + "回T退订";
        Assert.Equal(1, profile.Segments(fits));
        Assert.Empty(profile.Validate(V(("body", fits))));
        var over = "多" + fits;
        Assert.Equal(2, profile.Segments(over));
        var f = Assert.Single(profile.Validate(V(("body", over))));
        Assert.Equal(("body", "segments", 1, 2), (f.Field, f.Code, f.Limit, f.Actual));
        Assert.Equal(2, new SmsProfile { SignName = "某商城" }.Segments(new string('好', 67 * 2 - 5)));
        Assert.Equal(3, new SmsProfile { SignName = "某商城" }.Segments(new string('好', 67 * 2 - 4)));
    }

    [Fact]
    public void Sms_gsm_counting_160_153_and_ucs2_70_67()
    {
        var gsm = new SmsProfile { Counting = SmsCounting.Gsm, Marketing = false };
        Assert.Equal(1, gsm.Segments(new string('a', 160)));
        Assert.Equal(2, gsm.Segments(new string('a', 161)));
        Assert.Equal(2, gsm.Segments(new string('a', 306)));
        Assert.Equal(3, gsm.Segments(new string('a', 307)));
        Assert.Equal(2, gsm.Segments(new string('€', 81)));
        Assert.Equal(1, gsm.Segments(new string('中', 70)));
        Assert.Equal(2, gsm.Segments(new string('中', 71)));
        Assert.Equal(2, gsm.Segments("中" + new string('a', 133)));
        Assert.Equal(3, gsm.Segments("中" + new string('a', 134)));
    }

    [Fact]
    public void Sms_requires_unsubscribe_wording_and_no_own_signature()
    {
        var profile = new SmsProfile { SignName = "某商城", MaxSegments = 3 };
        var findings = profile.Validate(V(("body", "【假签名】双十一大促")));
        Assert.Contains(findings, f => f.Code == "unsubscribe_wording_missing" && f.Field == "body");
        Assert.Contains(findings, f => f.Code == ChannelFinding.Convention);
        Assert.Contains(profile.Validate(V()), f => f.Code == ChannelFinding.Required);

        var appended = new SmsProfile { SignName = "某商城", UnsubscribeAppendedBySender = true };
        Assert.Empty(appended.Validate(V(("body", "双十一大促"))));
        Assert.Equal(1, appended.Segments(new string('好', 70 - 5 - 4)));
        Assert.Equal(2, appended.Segments(new string('好', 70 - 5 - 3)));
        Assert.Empty(new SmsProfile { Marketing = false }.Validate(V(("body", "验证码 1234"))));
    }

    [Fact]
    public void Email_subject_and_preheader()
    {
        var p = new EmailProfile();
        Assert.Empty(p.Validate(V(("subject", "Your cart misses you"), ("preheader", "10% off today"))));
        var f = p.Validate(V(("subject", new string('s', 61)), ("preheader", new string('p', 111))));
        Assert.Contains(f, x => x.Field == "subject" && x.Code == ChannelFinding.TooLong && x.Limit == 60 && x.Actual == 61);
        Assert.Contains(f, x => x.Field == "preheader" && x.Limit == 110 && x.Actual == 111);
        Assert.Contains(p.Validate(V(("subject", "a\nb"))), x => x.Code == ChannelFinding.Convention);
        Assert.Contains(p.Validate(V(("preheader", "x"))), x => x.Field == "subject" && x.Code == ChannelFinding.Required);
    }

    [Fact]
    public void Push_title_and_body()
    {
        var p = new PushProfile();
        Assert.Empty(p.Validate(V(("title", new string('t', 30)), ("body", new string('b', 100)))));
        var f = p.Validate(V(("title", new string('t', 31)), ("body", new string('b', 101))));
        Assert.Equal(["title", "body"], f.Select(x => x.Field));
        Assert.Equal(2, p.Validate(V()).Count(x => x.Code == ChannelFinding.Required));
    }

    [Fact]
    public void WeChat_template_fields()
    {
        var p = new WeChatTemplateProfile(["thing1", "thing2"]);
        Assert.Empty(p.Validate(V(("thing1", new string('字', 20)), ("thing2", "到货提醒"))));
        var f = p.Validate(V(("thing1", new string('字', 21))));
        Assert.Contains(f, x => x.Field == "thing1" && x.Code == ChannelFinding.TooLong && x.Limit == 20);
        Assert.Contains(f, x => x.Field == "thing2" && x.Code == ChannelFinding.Required);
        Assert.Throws<ArgumentException>(() => new WeChatTemplateProfile([]));
    }

    [Fact]
    public void Xiaohongshu_title_20_characters_body_hashtags()
    {
        var p = new XiaohongshuProfile();
        var tags = new Dictionary<string, IReadOnlyList<string>> { ["hashtags"] = ["护肤", "秋冬"] };
        Assert.Empty(p.Validate(V(tags, ("title", new string('题', 20)), ("body", "正文"))));
        var f = Assert.Single(p.Validate(V(tags, ("title", new string('题', 21)), ("body", "正文"))));
        Assert.Equal(("title", 20, 21), (f.Field, f.Limit, f.Actual));
        // Emoji count as one character each.
        Assert.Empty(p.Validate(V(tags, ("title", string.Concat(Enumerable.Repeat("✨", 20))), ("body", "正文"))));
        Assert.Contains(p.Validate(V(("title", "t"), ("body", "b"))), x => x.Field == "hashtags" && x.Code == ChannelFinding.Count);
        var many = new Dictionary<string, IReadOnlyList<string>> { ["hashtags"] = [.. Enumerable.Range(0, 11).Select(i => $"t{i}")] };
        Assert.Contains(p.Validate(V(many, ("title", "t"), ("body", "b"))), x => x.Field == "hashtags" && x.Limit == 10 && x.Actual == 11);
        Assert.Contains(p.Validate(V(tags, ("title", "t"), ("body", new string('b', 1001)))), x => x.Field == "body");
    }

    [Fact]
    public void Douyin_hook_fits_three_seconds_scenes_and_call_to_action()
    {
        var p = new DouyinScriptProfile();
        var scenes = new Dictionary<string, IReadOnlyList<string>> { ["scenes"] = ["开箱", "上脸", "对比"] };
        Assert.Empty(p.Validate(V(scenes, ("hook", "三秒告诉你秘密"), ("call_to_action", "点击左下角购买"))));
        var f = p.Validate(V(("hook", new string('快', 13))));
        Assert.Contains(f, x => x.Field == "hook" && x.Limit == 12 && x.Actual == 13);
        Assert.Contains(f, x => x.Field == "scenes" && x.Code == ChannelFinding.Count);
        Assert.Contains(f, x => x.Field == "call_to_action" && x.Code == ChannelFinding.Required);
    }

    [Fact]
    public void Weibo_post_length_and_topics()
    {
        var p = new WeiboProfile();
        Assert.Empty(p.Validate(V(("body", "#双十一# 来了"))));
        Assert.Contains(p.Validate(V(("body", "#双十一 来了"))), x => x.Code == ChannelFinding.Convention);
        Assert.Contains(p.Validate(V(("body", new string('博', 2001)))), x => x.Code == ChannelFinding.TooLong && x.Limit == 2000);
    }
}
