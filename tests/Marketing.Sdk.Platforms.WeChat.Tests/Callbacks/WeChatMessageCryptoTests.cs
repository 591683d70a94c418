using Marketing.Sdk.Platforms.WeChat.Callbacks;
using Marketing.Sdk.Testing.Emulators.WeChatCallbacks;

namespace Marketing.Sdk.Platforms.WeChat.Tests.Callbacks;

/// <summary>
/// The codec against the vectors of the official WXBizMsgCrypt samples (Sample.cs / Sample.java / Sample.py, token
/// QDG6eK, EncodingAESKey jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C, receive id wx5823bf96d3bd56c7).
/// </summary>
public sealed class WeChatMessageCryptoTests
{
    internal const string Token = "QDG6eK";
    internal const string Key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    internal const string ReceiveId = "wx5823bf96d3bd56c7";

    private const string VerifyEcho = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
    private const string PushEncrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

    [Fact]
    public void The_official_url_verification_vector_verifies_and_decrypts()
    {
        var signature = WeChatMessageCrypto.Sign(Token, "1409659589", "263014780", VerifyEcho);
        Assert.Equal("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", signature);
        Assert.Equal("1616140317555161061", new WeChatMessageCrypto(Key, ReceiveId).Decrypt(VerifyEcho));
    }

    [Fact]
    public void The_official_push_vector_verifies_and_decrypts_to_the_samples_xml()
    {
        Assert.Equal("477715d11cdb4164915debcba66cb864d751f3e6", WeChatMessageCrypto.Sign(Token, "1409659813", "1372623149", PushEncrypt));
        var message = new WeChatMessageCrypto(Key, ReceiveId).Decrypt(PushEncrypt);
        var xml = WeChatCallbackXml.Parse(message, 64 * 1024);
        Assert.Equal(ReceiveId, xml["ToUserName"]);
        Assert.False(string.IsNullOrEmpty(xml["MsgType"]));
    }

    [Fact]
    public void The_official_push_vector_is_refused_for_another_receive_id()
    {
        var refusal = Assert.Throws<WeChatCallbackRefusal>(() => new WeChatMessageCrypto(Key, "wx0000000000000000").Decrypt(PushEncrypt));
        Assert.Equal((403, WeChatCallbackReasons.ReceiveId), (refusal.Status, refusal.Reason));
    }

    [Fact]
    public void Signatures_sort_their_parts_ordinally_and_compare_in_constant_time_ignoring_hex_case()
    {
        var a = WeChatMessageCrypto.Sign("b", "A", "a", "1");
        Assert.Equal(a, WeChatMessageCrypto.Sign("1", "a", "A", "b"));
        Assert.True(WeChatMessageCrypto.SignatureMatches(a, a.ToUpperInvariant()));
        Assert.False(WeChatMessageCrypto.SignatureMatches(a, a[..^1] + (a[^1] == '0' ? '1' : '0')));
        Assert.False(WeChatMessageCrypto.SignatureMatches(a, a[..^1]));
        Assert.False(WeChatMessageCrypto.SignatureMatches(a, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("success")]
    [InlineData("<xml><Content><![CDATA[中文的情况，消息长度是按字节来算的]]></Content></xml>")]
    public void Encrypt_and_decrypt_round_trip_with_32_byte_padding(string message)
    {
        var crypto = new WeChatMessageCrypto(Key, ReceiveId);
        var random = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var encrypted = crypto.Encrypt(message, random);
        Assert.Equal(0, Convert.FromBase64String(encrypted).Length % WeChatMessageCrypto.PaddingBlock);
        Assert.Equal(message, crypto.Decrypt(encrypted));
        Assert.Equal(encrypted, crypto.Encrypt(message, random));
        Assert.NotEqual(crypto.Encrypt(message), crypto.Encrypt(message));
    }

    [Fact]
    public void The_test_senders_independent_encoder_and_the_handlers_decoder_agree()
    {
        using var http = new HttpClient();
        var sender = new WeChatCallbackSender(http, WeChatCallbackPlatform.WeCom, Token, Key, ReceiveId);
        var encrypted = sender.Encrypt("<xml><A>1</A></xml>");
        Assert.Equal("<xml><A>1</A></xml>", new WeChatMessageCrypto(Key, ReceiveId).Decrypt(encrypted));
        Assert.Equal(WeChatMessageCrypto.Sign(Token, "1", "2", encrypted), WeChatCallbackSender.Sign(Token, "1", "2", encrypted));
    }

    [Fact]
    public void Tampered_ciphertext_that_still_decrypts_to_blocks_is_refused_without_content()
    {
        var crypto = new WeChatMessageCrypto(Key, ReceiveId);
        var bytes = Convert.FromBase64String(crypto.Encrypt("<xml><A>secret-openid</A></xml>"));
        bytes[^1] ^= 0x5A;
        var refusal = Assert.Throws<WeChatCallbackRefusal>(() => crypto.Decrypt(Convert.ToBase64String(bytes)));
        Assert.Equal(400, refusal.Status);
        Assert.DoesNotContain("secret", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(WeChatCallbackReasons.CiphertextEncoding, Assert.Throws<WeChatCallbackRefusal>(() => crypto.Decrypt("%%%")).Reason);
        Assert.Equal(WeChatCallbackReasons.CiphertextLength, Assert.Throws<WeChatCallbackRefusal>(() => crypto.Decrypt(Convert.ToBase64String(new byte[20]))).Reason);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2+")]
    [InlineData("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2CC")]
    public void Malformed_keys_are_refused(string key) => Assert.False(WeChatMessageCrypto.IsValidKey(key));

    [Fact]
    public void Xml_with_a_dtd_or_external_entity_is_refused_and_nested_lists_are_read()
    {
        const string xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><A>&x;</A></xml>";
        Assert.Equal(WeChatCallbackReasons.Malformed, Assert.Throws<WeChatCallbackRefusal>(() => WeChatCallbackXml.Parse(xxe, 4096)).Reason);
        const string bomb = "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><xml><A>&b;</A></xml>";
        Assert.Throws<WeChatCallbackRefusal>(() => WeChatCallbackXml.Parse(bomb, 4096));
        Assert.Throws<WeChatCallbackRefusal>(() => WeChatCallbackXml.Parse("<xml><A>" + new string('a', 5000) + "</A></xml>", 4096));
        Assert.Throws<WeChatCallbackRefusal>(() => WeChatCallbackXml.Parse("<xml><A>1</A>", 4096));

        var xml = WeChatCallbackXml.Parse("<xml><Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[T1]]></TemplateId><MsgID>1</MsgID><ErrorCode>0</ErrorCode></List><List><MsgID>2</MsgID><ErrorCode>20004</ErrorCode></List></SubscribeMsgSentEvent><Event>ignored</Event></xml>", 4096);
        Assert.Equal("subscribe_msg_sent_event", xml["Event"]);
        var items = xml.List("SubscribeMsgSentEvent");
        Assert.Equal(["1", "2"], items.Select(i => i["MsgID"]));
        Assert.Equal("T1", items[0]["TemplateId"]);
    }
}
