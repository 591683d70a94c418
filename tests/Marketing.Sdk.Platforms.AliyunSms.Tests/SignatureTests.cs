using System.Text;

namespace Marketing.Sdk.Platforms.AliyunSms.Tests;

public sealed class SignatureTests
{
    // The worked example of Alibaba Cloud's "V3 request body & signature" page
    // (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature): RunInstances on
    // ecs.cn-shanghai.aliyuncs.com with fixed date, nonce and the placeholder key pair of the page.
    [Fact]
    public void Documented_V3_example_gives_the_documented_signature()
    {
        var query = AcsSignature.CanonicalQuery([new("RegionId", "cn-shanghai"), new("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd")]);
        Assert.Equal("ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai", query);
        var empty = AcsSignature.HashHex([]);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty);
        var canonical = AcsSignature.CanonicalRequest("POST", "/", query, new Dictionary<string, string>
        {
            ["host"] = "ecs.cn-shanghai.aliyuncs.com",
            ["x-acs-action"] = "RunInstances",
            ["x-acs-version"] = "2014-05-26",
            ["x-acs-date"] = "2023-10-26T10:22:32Z",
            ["x-acs-signature-nonce"] = "3156853299f313e23d1673dc12e1703d",
            ["x-acs-content-sha256"] = empty,
        }, empty, out var signedHeaders);
        Assert.Equal("host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version", signedHeaders);
        Assert.Equal("7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259", AcsSignature.HashHex(Encoding.UTF8.GetBytes(canonical)));
        var signature = AcsSignature.Sign(canonical, "YourAccessKeySecret");
        Assert.Equal("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0", signature);
        Assert.Equal("ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
            AcsSignature.Authorization("YourAccessKeyId", signedHeaders, signature));
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("*", "%2A")]
    [InlineData("~-_.", "~-_.")]
    [InlineData("{\"name\":\"小明\"}", "%7B%22name%22%3A%22%E5%B0%8F%E6%98%8E%22%7D")]
    [InlineData("a+b/c=d&e", "a%2Bb%2Fc%3Dd%26e")]
    public void Percent_encoding_follows_RFC_3986(string raw, string encoded) => Assert.Equal(encoded, AcsSignature.Encode(raw));

    [Fact]
    public void A_different_secret_gives_a_different_signature()
    {
        var canonical = AcsSignature.CanonicalRequest("POST", "/", "", [new("host", "h")], AcsSignature.HashHex([]), out _);
        Assert.NotEqual(AcsSignature.Sign(canonical, "a"), AcsSignature.Sign(canonical, "b"));
    }
}
