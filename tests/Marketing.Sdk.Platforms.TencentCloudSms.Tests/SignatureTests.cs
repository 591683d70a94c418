using System.Text;

namespace Marketing.Sdk.Platforms.TencentCloudSms.Tests;

public sealed class SignatureTests
{
    // The worked example of Tencent Cloud's "Signature v3" page (https://www.tencentcloud.com/document/api/382/40467):
    // CVM DescribeInstances, timestamp 1551113065, the page's placeholder SecretKey, every intermediate value given.
    private const string Payload = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";

    [Fact]
    public void Documented_TC3_example_gives_the_documented_values()
    {
        var payloadHash = Tc3Signature.HashHex(Encoding.UTF8.GetBytes(Payload));
        Assert.Equal("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", payloadHash);
        var canonical = Tc3Signature.CanonicalRequest("POST", "", new Dictionary<string, string>
        {
            ["content-type"] = "application/json; charset=utf-8",
            ["host"] = "cvm.tencentcloudapi.com",
        }, payloadHash, out var signed);
        Assert.Equal("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", canonical);
        var stringToSign = Tc3Signature.StringToSign(1551113065, "cvm", canonical);
        Assert.Equal("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", stringToSign);
        var signature = Tc3Signature.Sign("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", 1551113065, "cvm", stringToSign);
        Assert.Equal("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168", signature);
        Assert.Equal("TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
            Tc3Signature.Authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", 1551113065, "cvm", signed, signature));
    }

    [Fact]
    public void The_date_of_the_scope_is_the_UTC_date()
    {
        // 1551113065 is 2019-02-26 00:44:25 in UTC+8 but 2019-02-25 in UTC, as the documentation warns.
        Assert.Equal("2019-02-25", Tc3Signature.Date(1551113065));
    }
}
