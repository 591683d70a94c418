using Marketing.Sdk.Platforms.WeChat.OfficialAccount;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

public sealed class RuleTests
{
    [Theory]
    [InlineData(0, null)]
    [InlineData(-1, PlatformErrorClass.Transient)]
    [InlineData(45009, PlatformErrorClass.RateLimited)]
    [InlineData(45011, PlatformErrorClass.RateLimited)]
    [InlineData(40001, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(40014, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(42001, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(40164, PlatformErrorClass.Unauthorized)]
    [InlineData(48001, PlatformErrorClass.Unauthorized)]
    [InlineData(40125, PlatformErrorClass.Unauthorized)]
    [InlineData(43004, PlatformErrorClass.Permanent)]
    [InlineData(43101, PlatformErrorClass.Permanent)]
    [InlineData(47003, PlatformErrorClass.Permanent)]
    [InlineData(40003, PlatformErrorClass.Permanent)]
    [InlineData(40037, PlatformErrorClass.Permanent)]
    [InlineData(99999, PlatformErrorClass.Permanent)]
    public void Each_code_has_its_class(int code, PlatformErrorClass? expected) =>
        Assert.Equal(expected, OfficialAccountErrorCodes.Classify(code));

    [Theory]
    [InlineData("thing1", "二十个字以内的事物描述内容", true)]
    [InlineData("thing1", "二十一个字的事物描述内容超过了二十个字限制", false)]
    [InlineData("character_string2", "SO-20260302-0001", true)]
    [InlineData("character_string2", "订单号", false)]
    [InlineData("number3", "12.5", true)]
    [InlineData("number3", "12a", false)]
    [InlineData("phrase4", "配送中", true)]
    [InlineData("phrase4", "正在配送途中", false)]
    [InlineData("name5", "张三", true)]
    [InlineData("name5", "欧阳欧阳欧阳欧阳欧阳欧", false)]
    [InlineData("name5", "Alexander Hamilton", true)]
    [InlineData("thing1", "line\nbreak", false)]
    [InlineData("url", "https://shop.example/review?o=1", true)]
    [InlineData("unknown7", "anything the platform decides on", true)]
    public void Values_are_checked_against_their_keys_kind(string key, string value, bool fits) =>
        Assert.Equal(fits, OfficialAccountParameters.Check(key, value) is null);

    [Fact]
    public void Declared_parameters_carry_their_kinds_limit_and_a_problem_names_no_value()
    {
        Assert.Equal(20, OfficialAccountParameters.Parameter("thing12").MaxLength);
        Assert.Equal(32, OfficialAccountParameters.Parameter("character_string3").MaxLength);
        Assert.Null(OfficialAccountParameters.Parameter("custom1").MaxLength);
        Assert.Null(OfficialAccountParameters.KindOf("thing"));
        var problem = OfficialAccountParameters.Check("character_string2", "机密订单号");
        Assert.DoesNotContain("机密", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("invalid openid rid: 6385c6c1-0fcadca1-22c1fc91", "6385c6c1-0fcadca1-22c1fc91")]
    [InlineData("require subscribe", null)]
    [InlineData("x rid: <script>", null)]
    public void The_rid_is_taken_from_errmsg(string errmsg, string? rid) =>
        Assert.Equal(rid, OfficialAccountClient.RequestId(errmsg));
}
