using Marketing.Sdk.Content;
using Marketing.Sdk.Content.Templates;
using Xunit;

namespace Marketing.Sdk.Content.Tests;

public sealed class TemplateTests
{
    private static readonly string[] Names = ["name", "count", "vip", "product"];

    [Theory]
    [InlineData(1, true, "Hi Ann, 1 item is waiting for you. VIP: free shipping.")]
    [InlineData(3, false, "Hi Ann, 3 items are waiting for you. Shipping from ¥99.")]
    [InlineData(0, false, "Hi Ann, nothing is waiting for you. Shipping from ¥99.")]
    public void English_conditionals_and_plurals(int count, bool vip, string expected)
    {
        var t = ContentTemplate.Compile("cart", "en", "Hi {{name}}, {{count:plural zero=nothing is|one=# item is|other=# items are}} waiting for you. {{#if vip}}VIP: free shipping.{{else}}Shipping from ¥99.{{/if}}", Names);
        Assert.Equal(expected, t.Render(new Dictionary<string, object?> { ["name"] = "Ann", ["count"] = count, ["vip"] = vip }));
    }

    [Theory]
    [InlineData(1, true, "王女士，购物车里还有1件商品。会员包邮")]
    [InlineData(5, false, "王女士，购物车里还有5件商品。")]
    public void Chinese_has_one_plural_form_and_conditionals_nest(int count, bool vip, string expected)
    {
        var t = ContentTemplate.Compile("cart", "zh-CN", "{{name}}，购物车里还有{{count:plural one=#件商品（单数）|other=#件商品}}。{{#if vip}}会员{{#if count}}包邮{{/if}}{{/if}}", Names);
        Assert.Equal(expected, t.Render(new Dictionary<string, object?> { ["name"] = "王女士", ["count"] = count, ["vip"] = vip }));
    }

    [Fact]
    public void Unknown_placeholder_is_refused_at_registration_with_name_and_position()
    {
        var registry = new ContentTemplateRegistry();
        var e = Assert.Throws<ContentTemplateException>(() => registry.Register("t", "en", "Hello {{name}}, see {{prodcut}}", Names));
        Assert.Equal("prodcut", e.Placeholder);
        Assert.Equal(20, e.Position);
        Assert.False(registry.TryGet("t", out _));
    }

    [Fact]
    public void Unknown_placeholder_in_a_conditional_or_plural_is_refused()
    {
        Assert.Equal("vipp", Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "en", "{{#if vipp}}x{{/if}}", Names)).Placeholder);
        Assert.Equal("cnt", Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "en", "{{cnt:plural other=#}}", Names)).Placeholder);
    }

    [Theory]
    [InlineData("{{#if vip}}open")]
    [InlineData("close{{/if}}")]
    [InlineData("{{name")]
    [InlineData("{{count:plural one=#}}")]
    [InlineData("{{count:plural other=#|few=#}}")]
    [InlineData("{{na me}}")]
    public void Bad_syntax_is_refused(string text) =>
        Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "en", text, Names));

    [Fact]
    public void Unsupported_language_is_refused() =>
        Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "fr", "x", Names));

    [Fact]
    public void Hostile_input_is_bounded()
    {
        var limits = new ContentTemplateLimits { MaxTemplateLength = 100, MaxNestingDepth = 3, MaxOutputLength = 50 };
        Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "en", new string('x', 101), Names, limits));
        var deep = string.Concat(Enumerable.Repeat("{{#if vip}}", 4)) + string.Concat(Enumerable.Repeat("{{/if}}", 4));
        Assert.Contains("deeper than 3", Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "en", deep, Names, limits)).Message);
        var ok = string.Concat(Enumerable.Repeat("{{#if vip}}", 3)) + "y" + string.Concat(Enumerable.Repeat("{{/if}}", 3));
        Assert.Equal("y", ContentTemplate.Compile("t", "en", ok, Names, limits).Render(new Dictionary<string, object?> { ["vip"] = true }));

        var t = ContentTemplate.Compile("t", "en", "{{name}}{{name}}", Names, limits);
        Assert.Equal(new string('a', 50), t.Render(new Dictionary<string, object?> { ["name"] = new string('a', 25) }));
        var e = Assert.Throws<ContentTemplateException>(() => t.Render(new Dictionary<string, object?> { ["name"] = new string('a', 26) }));
        Assert.DoesNotContain("aaa", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_value_names_the_placeholder_not_a_value()
    {
        var t = ContentTemplate.Compile("t", "en", "Hi {{name}}", Names);
        Assert.Equal("name", Assert.Throws<ContentTemplateException>(() => t.Render(new Dictionary<string, object?>())).Placeholder);
        var registry = new ContentTemplateRegistry();
        Assert.Throws<ContentTemplateException>(() => registry.Render("missing", new Dictionary<string, object?>()));
        registry.Register("t", "en", "Hi {{name}}", Names);
        Assert.Equal("Hi Bo", registry.Render("t", new Dictionary<string, object?> { ["name"] = "Bo" }));
    }

    [Fact]
    public void Plural_needs_a_number() =>
        Assert.Equal("count", Assert.Throws<ContentTemplateException>(() => ContentTemplate.Compile("t", "en", "{{count:plural other=#}}", Names).Render(new Dictionary<string, object?> { ["count"] = "many" })).Placeholder);

    [Fact]
    public void Values_are_not_reinterpreted_as_template_syntax()
    {
        var t = ContentTemplate.Compile("t", "en", "{{product}}", Names);
        Assert.Equal("{{name}}{{#if vip}}", t.Render(new Dictionary<string, object?> { ["product"] = "{{name}}{{#if vip}}" }));
    }
}
