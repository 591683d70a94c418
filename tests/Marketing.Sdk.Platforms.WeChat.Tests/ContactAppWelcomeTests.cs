using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

public sealed class ContactSyncTests
{
    [Fact]
    public async Task Every_contact_is_tracked_with_its_external_userid_and_unionid_in_bounded_pages()
    {
        await using var harness = await WeComHarness.StartAsync();
        for (var i = 0; i < 230; i++)
        {
            harness.Emulator.AddContact(i % 2 == 0 ? "sales-1" : "sales-2", $"wm-{i:D3}", i % 3 == 0 ? $"union-{i:D3}" : null);
        }
        var (client, _) = harness.Client(o => o.ContactPageSize = 50);
        var collector = new RecordingCollector();
        var sync = new WeComContactSync(client, collector, harness.Store);

        var result = await sync.SyncAsync();

        Assert.True(result.Completed);
        Assert.Equal(230, result.Contacts);
        Assert.Equal(5, result.Pages); // 230 contacts of both members, 50 per page
        Assert.Equal(230, collector.Events.Count);
        var withUnion = collector.Events.Single(e => e.Identities.Contains(Identity.WeComExternalUserId("wm-003")));
        Assert.Contains(Identity.WeChatUnionId("union-003"), withUnion.Identities);
        Assert.Equal(WeComContactSync.ContactSynced, withUnion.Type);
        Assert.DoesNotContain(collector.Events.Single(e => e.Identities.Contains(Identity.WeComExternalUserId("wm-001"))).Identities, i => i.Kind == IdentityKind.WeChatUnionId);
        Assert.All(collector.Events, e => Assert.DoesNotContain("wm-", e.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bounded_run_keeps_its_cursor_and_the_next_run_resumes()
    {
        await using var harness = await WeComHarness.StartAsync();
        for (var i = 0; i < 120; i++)
        {
            harness.Emulator.AddContact("sales-1", $"wm-{i:D3}");
        }
        var (client, _) = harness.Client(o => { o.ContactPageSize = 50; o.MaxContactPagesPerRun = 1; });
        var collector = new RecordingCollector();
        var sync = new WeComContactSync(client, collector, harness.Store);

        var runs = new List<WeComContactSyncResult>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await sync.SyncAsync());
        }

        Assert.Equal([false, false, true], runs.Select(r => r.Completed));
        Assert.Equal(120, collector.Events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(120, runs.Sum(r => r.Linked));
    }

    [Fact]
    public async Task The_sdk_links_the_contact_to_the_profile_that_holds_the_unionid()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-alice", "union-alice");
        var (client, _) = harness.Client();
        var collector = harness.Sdk.GetRequiredService<Ingestion.IEventCollector>();
        var login = await collector.TrackAsync(new MarketingEvent
        {
            Id = "login-1",
            Type = EventType.Login,
            OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            Identities = [Identity.Member("member-7"), Identity.WeChatUnionId("union-alice")],
        });

        await new WeComContactSync(client, collector, harness.Store).SyncAsync();

        var profile = await harness.Sdk.GetRequiredService<IProfileStore>().GetAsync(login.CustomerId!.Value);
        Assert.Contains(Identity.WeComExternalUserId("wm-alice"), profile!.Identities);
        Assert.Contains(Identity.Member("member-7"), profile.Identities);
    }
}

public sealed class AppAndWelcomeMessageTests
{
    private static PreparedMessage App(string userId, string messageId, string text = "Order 1001 shipped") => new()
    {
        MessageId = messageId,
        CustomerId = new CustomerId("c-" + userId),
        Recipient = Identity.External(userId),
        Template = new MessageTemplate { Id = "notice", Channel = WeComAppMessageChannel.ChannelName, Parameters = [new MessageTemplateParameter { Name = "content" }] },
        Parameters = new Dictionary<string, string> { ["content"] = text },
        Purpose = MessagePurpose.Transactional,
    };

    [Fact]
    public async Task An_app_message_is_sent_with_the_duplicate_check_and_a_retry_is_a_duplicate()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddMember("zhangsan");
        var (client, _) = harness.Client();
        var channel = new WeComAppMessageChannel(client, harness.Store);

        var first = await channel.SendAsync([App("zhangsan", "m1")]);
        var again = await channel.SendAsync([App("zhangsan", "m1")]);

        Assert.Equal(RecipientOutcome.Accepted, first[0].Outcome);
        Assert.Equal(RecipientOutcome.Duplicate, again[0].Outcome);
        Assert.Single(harness.Emulator.Delivered);
    }

    [Fact]
    public async Task A_resend_after_a_lost_answer_is_dropped_by_WeComs_duplicate_check()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddMember("zhangsan");
        var (client, _) = harness.Client(httpTimeout: TimeSpan.FromSeconds(2), handler: new ReachedPlatformHandler(harness.Emulator));
        await client.GetFollowUsersAsync();
        var channel = new WeComAppMessageChannel(client, harness.Store);
        harness.Emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };

        var lost = await channel.SendAsync([App("zhangsan", "m1")]).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        await harness.Emulator.HeldRequestsProcessedAsync(1);
        harness.Emulator.Faults = FaultOptions.None;
        var retry = await channel.SendAsync([App("zhangsan", "m1")]);

        Assert.True(lost[0].Retryable);
        Assert.Equal(RecipientOutcome.Accepted, retry[0].Outcome);
        Assert.Single(harness.Emulator.Delivered);
    }

    [Fact]
    public async Task A_refused_retry_of_a_send_whose_answer_was_lost_keeps_its_record_so_a_much_later_retry_never_sends_twice()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 6, 2, 2, 0, 0, TimeSpan.Zero));
        await using var harness = await WeComHarness.StartAsync(new WeComEmulatorOptions { TimeProvider = time }, time);
        harness.Emulator.AddMember("zhangsan");
        var (client, _) = harness.Client(time: time);
        await client.GetFollowUsersAsync();
        var channel = new WeComAppMessageChannel(client, harness.Store, time);

        harness.Emulator.Faults = new FaultOptions { ConnectionDropRate = 1 };
        var lost = await channel.SendAsync([App("zhangsan", "m1")]); // delivered, the answer never came
        harness.Emulator.Faults = FaultOptions.None;
        harness.Emulator.FailNext("message/send", 45009);
        var refused = await channel.SendAsync([App("zhangsan", "m1")]);
        time.Advance(TimeSpan.FromHours(1)); // the outbox retries after WeCom's duplicate check has ended
        var late = await channel.SendAsync([App("zhangsan", "m1")]);

        Assert.True(lost[0].Retryable);
        Assert.Equal((RecipientOutcome.Rejected, true), (refused[0].Outcome, refused[0].Retryable));
        Assert.Equal((RecipientOutcome.Rejected, false, WeComMassMessageChannel.UnconfirmedCode), (late[0].Outcome, late[0].Retryable, late[0].PlatformCode));
        Assert.Single(harness.Emulator.Delivered);
    }

    [Fact]
    public async Task An_unknown_member_is_refused_for_good()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddMember("zhangsan");
        var (client, _) = harness.Client();
        var channel = new WeComAppMessageChannel(client, harness.Store);

        var results = await channel.SendAsync([App("nobody", "m1")]);

        Assert.Equal(RecipientOutcome.Rejected, results[0].Outcome);
        Assert.Equal("81013", results[0].PlatformCode);
        Assert.False(results[0].Retryable);
    }

    [Fact]
    public async Task A_welcome_code_welcomes_once()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        var code = harness.Emulator.IssueWelcomeCode("wm-1");

        await client.SendWelcomeMessageAsync(code, "Welcome! Here is 10% off: WELCOME10");
        var twice = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendWelcomeMessageAsync(code, "Welcome! Here is 10% off: WELCOME10"));

        Assert.Equal("41051", twice.PlatformCode);
        Assert.Equal(PlatformErrorClass.Permanent, twice.ErrorClass);
        Assert.Single(harness.Emulator.Delivered, d => d.Kind == "welcome" && d.Recipient == "wm-1");
    }
}
