using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

public sealed class MassMessageTests
{
    [Fact]
    public async Task Ten_thousand_and_one_customers_go_out_as_two_tasks()
    {
        await using var harness = await WeComHarness.StartAsync();
        var ids = Enumerable.Range(0, 10_001).Select(i => $"wm-{i:D5}").ToList();
        foreach (var id in ids)
        {
            harness.Emulator.AddContact("sales-1", id);
        }
        var (client, _) = harness.Client(Messages.UseCouponText);
        var channel = new WeComMassMessageChannel(client, harness.Store);

        var results = await channel.SendAsync([.. ids.Select((id, i) => Messages.Mass(id, $"m{i}"))]);

        Assert.Equal([10_000, 1], harness.Emulator.MassTaskSizes);
        Assert.All(results, r => Assert.Equal(RecipientOutcome.Accepted, r.Outcome));
        Assert.Equal(10_001, results.Select(r => r.ProviderMessageId).Distinct().Count());
        Assert.Equal(10_001, harness.Emulator.Delivered.Count);
        Assert.Equal(10_000, channel.MaxBatchSize);
    }

    [Fact]
    public async Task Messages_with_different_texts_go_in_different_tasks()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-a");
        harness.Emulator.AddContact("sales-1", "wm-b");
        var (client, _) = harness.Client(Messages.UseCouponText);
        var channel = new WeComMassMessageChannel(client, harness.Store);

        await channel.SendAsync([Messages.Mass("wm-a", "m1", "CODE-A"), Messages.Mass("wm-b", "m2", "CODE-B")]);

        Assert.Equal(2, harness.Emulator.MassTasks);
        Assert.Contains(harness.Emulator.Delivered, d => d.Recipient == "wm-a" && d.Content.Contains("CODE-A", StringComparison.Ordinal));
        Assert.Contains(harness.Emulator.Delivered, d => d.Recipient == "wm-b" && d.Content.Contains("CODE-B", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_fifth_mass_message_in_a_month_is_suppressed_and_a_new_month_allows_again()
    {
        // 2026-06-30 20:00 UTC is 2026-07-01 04:00 in Shanghai: the month boundary is China's, not UTC's.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 10, 2, 0, 0, TimeSpan.Zero));
        await using var harness = await WeComHarness.StartAsync(new WeComEmulatorOptions { TimeProvider = time }, time);
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(Messages.UseCouponText, time: time);
        var channel = new WeComMassMessageChannel(client, harness.Store, time);

        var outcomes = new List<RecipientResult>();
        for (var i = 0; i < 5; i++)
        {
            outcomes.AddRange(await channel.SendAsync([Messages.Mass("wm-1", $"june-{i}", $"C{i}")]));
        }

        Assert.Equal(4, outcomes.Count(r => r.Outcome == RecipientOutcome.Accepted));
        var fifth = outcomes[4];
        Assert.Equal(RecipientOutcome.Suppressed, fifth.Outcome);
        Assert.Equal(MessageSkipReason.FrequencyCap, fifth.SkipReason);
        Assert.Equal(WeComMassMessageChannel.MonthlyCapCode, fifth.PlatformCode);
        Assert.Equal(4, harness.Emulator.MassTasks); // checked before sending: no fifth task
        Assert.Equal(4, await channel.MonthlyCap.CountAsync("wm-1"));

        time.SetUtcNow(new DateTimeOffset(2026, 6, 30, 15, 30, 0, TimeSpan.Zero)); // 23:30 in Shanghai, still June
        Assert.Equal(RecipientOutcome.Suppressed, (await channel.SendAsync([Messages.Mass("wm-1", "june-late", "X")]))[0].Outcome);

        time.SetUtcNow(new DateTimeOffset(2026, 6, 30, 16, 30, 0, TimeSpan.Zero)); // 00:30 on 1 July in Shanghai
        var july = await channel.SendAsync([Messages.Mass("wm-1", "july-0", "J")]);
        Assert.Equal(RecipientOutcome.Accepted, july[0].Outcome);
        Assert.Equal(5, harness.Emulator.Delivered.Count);
    }

    [Fact]
    public async Task Two_hosts_cannot_both_take_the_last_place_of_the_month()
    {
        await using var harness = await WeComHarness.StartAsync();
        var options = harness.Options();
        var capA = new WeComMonthlyCap(harness.Store, options);
        var capB = new WeComMonthlyCap(harness.Store, options);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await capA.TryReserveAsync("wm-1", $"m{i}"));
        }

        var both = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? capA : capB).TryReserveAsync("wm-1", $"race-{i}").AsTask()));

        Assert.Equal(1, both.Count(x => x));
        Assert.True(await capB.TryReserveAsync("wm-1", "m0")); // a message holding a place keeps it
        Assert.Equal(4, await capA.CountAsync("wm-1"));
    }

    [Fact]
    public async Task A_retried_message_is_answered_as_a_duplicate_and_never_sent_twice()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(Messages.UseCouponText);
        var hostA = new WeComMassMessageChannel(client, harness.Store);
        var hostB = new WeComMassMessageChannel(client, harness.Store);

        var first = await hostA.SendAsync([Messages.Mass("wm-1", "m1")]);
        var again = await hostB.SendAsync([Messages.Mass("wm-1", "m1")]);

        Assert.Equal(RecipientOutcome.Accepted, first[0].Outcome);
        Assert.Equal(RecipientOutcome.Duplicate, again[0].Outcome);
        Assert.Equal(first[0].ProviderMessageId, again[0].ProviderMessageId);
        Assert.Single(harness.Emulator.Delivered);
        Assert.Equal(1, await hostA.MonthlyCap.CountAsync("wm-1"));
    }

    [Fact]
    public async Task A_task_whose_answer_never_came_is_not_sent_again()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(Messages.UseCouponText, httpTimeout: TimeSpan.FromSeconds(2), handler: new ReachedPlatformHandler(harness.Emulator));
        await client.GetFollowUsersAsync();
        var channel = new WeComMassMessageChannel(client, harness.Store);
        harness.Emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };

        var first = await channel.SendAsync([Messages.Mass("wm-1", "m1")]).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        await harness.Emulator.HeldRequestsProcessedAsync(1);
        harness.Emulator.Faults = FaultOptions.None;
        var retry = await channel.SendAsync([Messages.Mass("wm-1", "m1")]);

        Assert.Equal(WeComMassMessageChannel.UnconfirmedCode, first[0].PlatformCode);
        Assert.False(first[0].Retryable);
        Assert.Equal(WeComMassMessageChannel.UnconfirmedCode, retry[0].PlatformCode);
        Assert.Single(harness.Emulator.Delivered); // WeCom did create the task: the customer got it once
        Assert.Equal(1, harness.Emulator.MassTasks);
    }

    [Fact]
    public async Task A_task_WeCom_refused_is_retryable_and_sent_once_later()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(o => { Messages.UseCouponText(o); o.ThrottleRetryAfter = TimeSpan.FromSeconds(30); });
        var channel = new WeComMassMessageChannel(client, harness.Store);
        harness.Emulator.FailNext("externalcontact/add_msg_template", 45033);

        var refused = await channel.SendAsync([Messages.Mass("wm-1", "m1")]);
        var later = await channel.SendAsync([Messages.Mass("wm-1", "m1")]);

        Assert.Equal(RecipientOutcome.Rejected, refused[0].Outcome);
        Assert.True(refused[0].Retryable);
        Assert.Equal("45033", refused[0].PlatformCode);
        Assert.Equal(TimeSpan.FromSeconds(30), refused[0].RetryAfter);
        Assert.Equal(RecipientOutcome.Accepted, later[0].Outcome);
        Assert.Single(harness.Emulator.Delivered);
        Assert.Equal(1, await channel.MonthlyCap.CountAsync("wm-1")); // the retry did not take a second place
    }

    [Fact]
    public async Task Customers_who_are_not_contacts_come_back_permanent_and_the_rest_go_out()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(Messages.UseCouponText);
        var channel = new WeComMassMessageChannel(client, harness.Store);

        var results = await channel.SendAsync([Messages.Mass("wm-1", "m1"), Messages.Mass("wm-gone", "m2")]);

        Assert.Equal(RecipientOutcome.Accepted, results[0].Outcome);
        Assert.Equal(RecipientOutcome.Rejected, results[1].Outcome);
        Assert.Equal("84061", results[1].PlatformCode);
        Assert.False(results[1].Retryable);
    }

    [Fact]
    public async Task A_message_without_text_or_with_too_long_text_is_refused_before_sending()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(Messages.UseCouponText);
        var channel = new WeComMassMessageChannel(client, harness.Store);
        var bare = Messages.Coupon with { Id = "bare" };

        var results = await channel.SendAsync([Messages.Mass("wm-1", "m1", template: bare), Messages.Mass("wm-1", "m2", new string('码', 1400))]);

        Assert.Equal("no_text", results[0].PlatformCode);
        Assert.Equal("text_too_long", results[1].PlatformCode);
        Assert.Equal(0, harness.Emulator.MassTasks);
    }

    [Fact]
    public async Task Results_are_polled_back_once_each_and_the_task_closes()
    {
        await using var harness = await WeComHarness.StartAsync(new WeComEmulatorOptions { AutoConfirmMassTasks = false });
        harness.Emulator.AddContact("sales-1", "wm-1");
        harness.Emulator.AddContact("sales-2", "wm-2");
        harness.Emulator.AddContact("sales-2", "wm-3");
        var (client, _) = harness.Client(Messages.UseCouponText);
        var channel = new WeComMassMessageChannel(client, harness.Store);
        var reporter = new RecordingReporter();
        var poller = new WeComMassMessageResults(client, harness.Store, reporter, harness.Leases);
        var sent = await channel.SendAsync([Messages.Mass("wm-1", "m1"), Messages.Mass("wm-2", "m2"), Messages.Mass("wm-3", "m3")]);

        var before = await poller.PollAsync();
        Assert.Equal(new WeComMassResultsPoll(1, 0, 0, 0), before); // members have not confirmed yet

        harness.Emulator.RemoveContact("wm-3"); // the customer deleted the member before it went out
        harness.Emulator.ConfirmTask(sent[0].ProviderMessageId!.Split(':')[0]);
        var after = await poller.PollAsync();
        var again = await poller.PollAsync();

        Assert.Equal(new WeComMassResultsPoll(1, 2, 1, 1), after);
        Assert.Equal(new WeComMassResultsPoll(0, 0, 0, 0), again);
        Assert.Equal(3, reporter.Reports.Count);
        Assert.Contains(reporter.Reports, r => r.ProviderId == sent[0].ProviderMessageId && r.Status == ProviderMessageStatus.Delivered);
        Assert.Contains(reporter.Reports, r => r.ProviderId == sent[2].ProviderMessageId && r.Status == ProviderMessageStatus.Failed && r.Code == "not_contact");
        Assert.All(reporter.Reports, r => Assert.DoesNotContain("wm-", r.ProviderId, StringComparison.Ordinal));
    }
}
