using System.Net;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.Callbacks;
using Marketing.Sdk.Testing.Emulators.WeChatCallbacks;

namespace Marketing.Sdk.Platforms.WeChat.Tests.Callbacks;

/// <summary>Callbacks from the test sender over real HTTP to a Kestrel host with MapMarketingCallbacks.</summary>
public sealed class CallbackEndToEndTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task WeCom_url_verification_answers_the_decrypted_echo()
    {
        await using var host = await CallbackHost.StartAsync();
        var answer = await host.WeCom.VerifyAsync(CallbackHost.WeComUrl, "1616140317555161061").WaitAsync(Guard);
        Assert.Equal((HttpStatusCode.OK, "1616140317555161061"), (answer.Status, answer.Body));
    }

    [Fact]
    public async Task Official_account_url_verification_echoes_after_the_signature_check()
    {
        await using var host = await CallbackHost.StartAsync();
        var answer = await host.OfficialAccount.VerifyAsync(CallbackHost.OfficialAccountUrl, "7354638195").WaitAsync(Guard);
        Assert.Equal((HttpStatusCode.OK, "7354638195"), (answer.Status, answer.Body));
        host.OfficialAccount.Token = "wrongtoken";
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.OfficialAccount.VerifyAsync(CallbackHost.OfficialAccountUrl, "1").WaitAsync(Guard)).Status);
    }

    [Fact]
    public async Task A_new_wecom_contact_links_the_external_user_id_and_carries_the_welcome_code_once_across_redeliveries()
    {
        await using var host = await CallbackHost.StartAsync();
        var xml = CallbackHost.AddContact(host.Now, "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // WeChat redelivers the same message (new nonce each time) when an answer is late.
            var answer = await host.WeCom.PushAsync(CallbackHost.WeComUrl, xml).WaitAsync(Guard);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
        }
        var e = Assert.Single(host.Listener.Events);
        Assert.Equal(WeChatCallbackEventTypes.WeComContactAdded, e.Type);
        Assert.Equal(Identity.WeComExternalUserId("woAJ2GCAAAXtWyujaWJHDDGi0mAAAA"), Assert.Single(e.Identities));
        Assert.Equal("WELCOMECODE", e.Property(WeChatCallbackEventTypes.WelcomeCodeProperty).AsString());
        Assert.Equal("teststate", e.Property(WeChatCallbackEventTypes.StateProperty).AsString());
        Assert.Equal(Channel.WeCom, e.Channel);
        Assert.DoesNotContain("woAJ2GC", e.Id, StringComparison.Ordinal);
        Assert.NotNull(e.CustomerId);
    }

    [Theory]
    [InlineData("del_external_contact", "member")]
    [InlineData("del_follow_user", "customer")]
    public async Task A_removed_wecom_contact_is_recorded_with_who_removed_it(string change, string removedBy)
    {
        await using var host = await CallbackHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.WeCom.PushAsync(CallbackHost.WeComUrl, CallbackHost.AddContact(host.Now, "wmA", change)).WaitAsync(Guard)).Status);
        var e = Assert.Single(host.Listener.Events);
        Assert.Equal(WeChatCallbackEventTypes.WeComContactRemoved, e.Type);
        Assert.Equal(removedBy, e.Property(WeChatCallbackEventTypes.RemovedByProperty).AsString());
    }

    [Fact]
    public async Task Unfollow_records_the_event_and_unsubscribes_the_customer_and_a_new_follow_lifts_it()
    {
        await using var host = await CallbackHost.StartAsync();
        const string openId = "oia2TjuEGTNoeX76QEjQNrcURxG8";
        Assert.Equal("success", (await host.OfficialAccount.PushAsync(CallbackHost.OfficialAccountUrl, CallbackHost.OaEvent(host.Now, openId, "subscribe", "<EventKey><![CDATA[qrscene_spring]]></EventKey>")).WaitAsync(Guard)).Body);
        var follow = Assert.Single(host.Listener.Events);
        Assert.Equal(WeChatCallbackEventTypes.OfficialAccountFollowed, follow.Type);
        Assert.Equal("spring", follow.Property(WeChatCallbackEventTypes.SceneProperty).AsString());
        Assert.Empty(host.Suppressions.All);

        host.Time.Advance(TimeSpan.FromSeconds(30));
        var unfollow = CallbackHost.OaEvent(host.Now, openId, "unsubscribe");
        Assert.Equal(HttpStatusCode.OK, (await host.OfficialAccount.PushAsync(CallbackHost.OfficialAccountUrl, unfollow).WaitAsync(Guard)).Status);
        Assert.Equal(HttpStatusCode.OK, (await host.OfficialAccount.PushAsync(CallbackHost.OfficialAccountUrl, unfollow).WaitAsync(Guard)).Status);
        Assert.Equal(2, host.Listener.Events.Count);
        Assert.Equal(WeChatCallbackEventTypes.OfficialAccountUnfollowed, host.Listener.Events.Last().Type);
        var entry = Assert.Single(host.Suppressions.All);
        Assert.Equal(follow.CustomerId, entry.CustomerId);
        Assert.Equal(Channel.WeChat, entry.Channel);
        Assert.Equal(SuppressionReason.Unsubscribed, entry.Reason);

        host.Time.Advance(TimeSpan.FromSeconds(30));
        await host.OfficialAccount.PushAsync(CallbackHost.OfficialAccountUrl, CallbackHost.OaEvent(host.Now, openId, "subscribe")).WaitAsync(Guard);
        Assert.Empty(host.Suppressions.All);
    }

    [Theory]
    [InlineData("success", ProviderMessageStatus.Delivered, null)]
    [InlineData("failed:user block", ProviderMessageStatus.Failed, "user_block")]
    [InlineData("failed: system failed", ProviderMessageStatus.Failed, "system_failed")]
    public async Task Template_send_results_reach_the_status_reporter_by_message_id(string status, ProviderMessageStatus expected, string? code)
    {
        await using var host = await CallbackHost.StartAsync();
        var xml = CallbackHost.OaEvent(host.Now, "oia2", "TEMPLATESENDJOBFINISH", $"<MsgID>200163836</MsgID><Status><![CDATA[{status}]]></Status>");
        Assert.Equal(HttpStatusCode.OK, (await host.OfficialAccount.PushAsync(CallbackHost.OfficialAccountUrl, xml).WaitAsync(Guard)).Status);
        var report = Assert.Single(host.Reporter.Reports);
        Assert.Equal((Channel.WeChat, "200163836", expected, code), (report.Channel, report.Id, report.Status, report.Code));
        Assert.Equal(host.Time.GetUtcNow().ToUnixTimeSeconds(), report.At.ToUnixTimeSeconds());
        Assert.Empty(host.Listener.Events);
    }

    [Fact]
    public async Task Subscribe_message_results_are_reported_and_unknown_ones_kept_as_events()
    {
        await using var host = await CallbackHost.StartAsync();
        host.Reporter.Known.Add("1700827132819554304");
        var xml = CallbackHost.OaEvent(host.Now, "otFpruAK8D", "subscribe_msg_sent_event",
            "<SubscribeMsgSentEvent><List><TemplateId><![CDATA[VRR0]]></TemplateId><MsgID>1700827132819554304</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List>"
            + "<List><TemplateId><![CDATA[VRR1]]></TemplateId><MsgID>1700827132819554305</MsgID><ErrorCode>20004</ErrorCode><ErrorStatus><![CDATA[user refuse to accept the msg]]></ErrorStatus></List></SubscribeMsgSentEvent>");
        Assert.Equal(HttpStatusCode.OK, (await host.OfficialAccount.PushAsync(CallbackHost.OfficialAccountUrl, xml).WaitAsync(Guard)).Status);
        Assert.Equal([("1700827132819554304", ProviderMessageStatus.Delivered, (string?)null), ("1700827132819554305", ProviderMessageStatus.Failed, "20004")],
            host.Reporter.Reports.Select(r => (r.Id, r.Status, r.Code)));
        var e = Assert.Single(host.Listener.Events);
        Assert.Equal(WeChatCallbackEventTypes.SubscribeMessageResult, e.Type);
        Assert.Equal("20004", e.Property(WeChatCallbackEventTypes.ErrorCodeProperty).AsString());
        Assert.Equal(Identity.WeChatOpenId("otFpruAK8D"), Assert.Single(e.Identities));
    }

    [Fact]
    public async Task Refusals_answer_the_right_status_and_log_no_content()
    {
        await using var host = await CallbackHost.StartAsync();
        const string secret = "woSECRETEXTERNALID";
        var xml = CallbackHost.AddContact(host.Now, secret);

        // Bad signature (wrong token).
        host.WeCom.Token = "attackertoken";
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.WeCom.PushAsync(CallbackHost.WeComUrl, xml).WaitAsync(Guard)).Status);
        host.WeCom.Token = CallbackHost.Token;

        // Tampered ciphertext: the signature covers it.
        using (var request = host.WeCom.BuildPush(CallbackHost.WeComUrl, xml))
        {
            var body = await request.Content!.ReadAsStringAsync();
            var start = body.IndexOf("<Encrypt><![CDATA[", StringComparison.Ordinal) + 18;
            var flipped = body[start] == 'A' ? 'B' : 'A';
            request.Content = new StringContent(body[..start] + flipped + body[(start + 1)..]);
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.WeCom.SendAsync(request).WaitAsync(Guard)).Status);
        }

        // Encrypted for another corp.
        host.WeCom.ReceiveId = "wwotherotherother";
        Assert.Equal(HttpStatusCode.Forbidden, (await host.WeCom.PushAsync(CallbackHost.WeComUrl, xml).WaitAsync(Guard)).Status);
        host.WeCom.ReceiveId = CallbackHost.CorpId;

        // Replay of one accepted request.
        using (var first = host.WeCom.BuildPush(CallbackHost.WeComUrl, xml))
        {
            using var again = await WeChatCallbackSender.CopyAsync(first);
            Assert.Equal(HttpStatusCode.OK, (await host.WeCom.SendAsync(first).WaitAsync(Guard)).Status);
            var replay = await host.WeCom.SendAsync(again).WaitAsync(Guard);
            Assert.Equal((HttpStatusCode.Forbidden, WeChatCallbackReasons.Replay), (replay.Status, replay.Body));
        }

        // Stale: signed 10 minutes ago.
        using (var old = host.WeCom.BuildPush(CallbackHost.WeComUrl, xml))
        {
            host.Time.Advance(TimeSpan.FromMinutes(10));
            var stale = await host.WeCom.SendAsync(old).WaitAsync(Guard);
            Assert.Equal((HttpStatusCode.Forbidden, WeChatCallbackReasons.StaleTimestamp), (stale.Status, stale.Body));
        }

        // Oversize body (the handler allows 4 KiB).
        var big = await host.WeCom.PushAsync(CallbackHost.WeComUrl, xml.Replace("teststate", new string('x', 8000), StringComparison.Ordinal)).WaitAsync(Guard);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.Status);

        // A DTD with an external entity inside the (validly signed and encrypted) message.
        var xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + xml.Replace("teststate", "&e;", StringComparison.Ordinal);
        var dtd = await host.WeCom.PushAsync(CallbackHost.WeComUrl, xxe).WaitAsync(Guard);
        Assert.Equal((HttpStatusCode.BadRequest, WeChatCallbackReasons.Malformed), (dtd.Status, dtd.Body));

        // Plaintext push to a safe-mode account.
        using (var plain = new HttpRequestMessage(HttpMethod.Post, CallbackHost.OfficialAccountUrl + $"?signature=x&timestamp={host.Now}&nonce=1") { Content = new StringContent(CallbackHost.OaEvent(host.Now, secret, "unsubscribe")) })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await host.Http.SendAsync(plain).WaitAsync(Guard)).StatusCode);
        }

        // Unknown handler.
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync(new Uri("/marketing/callbacks/nobody", UriKind.Relative)).WaitAsync(Guard)).StatusCode);

        Assert.Single(host.Listener.Events);
        var logs = host.AllLogText();
        foreach (var reason in new[] { WeChatCallbackReasons.Signature, WeChatCallbackReasons.ReceiveId, WeChatCallbackReasons.Replay, WeChatCallbackReasons.StaleTimestamp, WeChatCallbackReasons.Malformed, WeChatCallbackReasons.PlaintextNotAllowed })
        {
            Assert.Contains(reason, logs, StringComparison.Ordinal);
        }
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 10103);
        Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("WELCOMECODE", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("/etc/passwd", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(CallbackHost.Token, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_mode_is_accepted_only_when_allowed_and_still_signed()
    {
        await using var host = await CallbackHost.StartAsync(o => o.AllowPlaintext = true);
        var ts = host.Now.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = WeChatCallbackSender.Sign(CallbackHost.Token, ts, "42");
        using var good = new HttpRequestMessage(HttpMethod.Post, CallbackHost.OfficialAccountUrl + $"?signature={signature}&timestamp={ts}&nonce=42") { Content = new StringContent(CallbackHost.OaEvent(host.Now, "oPlain", "subscribe")) };
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(good).WaitAsync(Guard)).StatusCode);
        using var bad = new HttpRequestMessage(HttpMethod.Post, CallbackHost.OfficialAccountUrl + $"?signature={signature}&timestamp={ts}&nonce=43") { Content = new StringContent(CallbackHost.OaEvent(host.Now, "oPlain2", "subscribe")) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.SendAsync(bad).WaitAsync(Guard)).StatusCode);
        Assert.Equal(Identity.WeChatOpenId("oPlain"), Assert.Single(Assert.Single(host.Listener.Events).Identities));
    }
}
