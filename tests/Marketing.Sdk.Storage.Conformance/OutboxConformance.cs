using System.Collections.Concurrent;
using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Conformance;

public abstract class OutboxConformance : StoreConformanceBase
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [SkippableFact]
    public async Task Idempotency_key_is_unique_per_destination()
    {
        var first = await Store.Outbox.EnqueueAsync([Message("meta.capi", "k1"), Message("google.ads", "k1"), Message("meta.capi", "k1")]);
        Assert.Equal(2, first.Enqueued);
        Assert.Single(first.Duplicates);
        var again = await Store.Outbox.EnqueueAsync([Message("meta.capi", "k1"), Message("meta.capi", "k2")]);
        Assert.Equal(1, again.Enqueued);
        Assert.Equal("k1", again.Duplicates.Single().IdempotencyKey);
        Assert.Equal(new OutboxCounts(3, 0, 0, 0), await Store.Outbox.CountAsync());
    }

    [SkippableFact]
    public async Task A_payload_that_is_part_of_a_larger_buffer_stores_only_its_part()
    {
        var buffer = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        await Store.Outbox.EnqueueAsync([Message("d", "slice", Customer("o2")) with { Payload = buffer.AsMemory(10, 20) }]);
        var claimed = await Store.Outbox.ClaimAsync("w1", 10, Lease);
        Assert.Equal(buffer[10..30], Assert.Single(claimed).Message.Payload.ToArray());
    }

    [SkippableFact]
    public async Task Payload_headers_and_customer_round_trip_byte_exact()
    {
        var random = new Random(42);
        var big = new byte[1 << 20];
        random.NextBytes(big);
        var headers = new Dictionary<string, string> { ["content-language"] = "zh-CN", ["x-odd"] = Nasty[0] + Nasty[4] };
        var messages = new[]
        {
            Message("d", "empty", null, []) with { ContentType = "application/octet-stream" },
            Message("d", "big", Customer("o1"), big) with { Headers = headers, NotBefore = Start.AddMinutes(-1).ToOffset(TimeSpan.FromHours(8)) },
        };
        await Store.Outbox.EnqueueAsync(messages);
        var claimed = await Store.Outbox.ClaimAsync("w1", 10, Lease);
        Assert.Equal(2, claimed.Count);
        Assert.Empty(claimed[0].Message.Payload.ToArray());
        Assert.Equal("application/octet-stream", claimed[0].Message.ContentType);
        Assert.Equal(big, claimed[1].Message.Payload.ToArray());
        Assert.Equal(headers, claimed[1].Message.Headers);
        Assert.Equal(Customer("o1"), claimed[1].Message.CustomerId);
        Assert.Equal(messages[1].NotBefore, claimed[1].Message.NotBefore);
        Assert.Equal(TimeSpan.FromHours(8), claimed[1].Message.NotBefore!.Value.Offset);
        Assert.True(claimed[0].Id < claimed[1].Id);
    }

    [SkippableFact]
    public async Task A_payload_that_is_part_of_an_array_stores_only_that_part()
    {
        var array = new byte[] { 1, 2, 3, 4, 5, 6 };
        await Store.Outbox.EnqueueAsync([Message("d", "slice") with { Payload = new ReadOnlyMemory<byte>(array, 2, 3) }, Message("d", "whole", null, array)]);
        var claimed = await Store.Outbox.ClaimAsync("w1", 10, Lease);
        Assert.Equal(2, claimed.Count);
        Assert.Equal([3, 4, 5], claimed[0].Message.Payload.ToArray());
        Assert.Equal([1, 2, 3, 4, 5, 6], claimed[1].Message.Payload.ToArray());
    }

    [SkippableFact]
    public async Task Claim_leases_then_ack_completes_and_stale_tokens_are_refused()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "a"), Message("d", "b"), Message("d", "c")]);
        var batch = await Store.Outbox.ClaimAsync("w1", 2, Lease);
        Assert.Equal(2, batch.Count);
        Assert.All(batch, e =>
        {
            Assert.Equal(OutboxState.Leased, e.State);
            Assert.Equal("w1", e.LeaseOwner);
            Assert.Equal(1, e.AttemptCount);
            Assert.Equal(Start + Lease, e.LeaseExpiresAt);
            Assert.NotEqual(Guid.Empty, e.LeaseToken);
        });
        Assert.Equal(new OutboxCounts(1, 2, 0, 0), await Store.Outbox.CountAsync());
        var rest = await Store.Outbox.ClaimAsync("w2", 10, Lease);
        Assert.Equal("c", rest.Single().Message.IdempotencyKey);
        Assert.Empty(await Store.Outbox.ClaimAsync("w3", 10, Lease));

        Assert.False(await Store.Outbox.AckAsync(batch[0].Id, Guid.NewGuid()));
        Assert.True(await Store.Outbox.AckAsync(batch[0].Id, batch[0].LeaseToken));
        Assert.False(await Store.Outbox.AckAsync(batch[0].Id, batch[0].LeaseToken));
        var delivered = await Store.Outbox.GetAsync(batch[0].Id);
        Assert.Equal(OutboxState.Delivered, delivered!.State);
        Assert.Equal(Start, delivered.CompletedAt);
        Assert.Equal(new OutboxCounts(0, 2, 1, 0), await Store.Outbox.CountAsync());
        Assert.Null(await Store.Outbox.GetAsync(987654));
    }

    [SkippableFact]
    public async Task Ack_many_completes_current_claims_in_one_call_and_skips_stale_ones()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "a"), Message("d", "b"), Message("d", "c")]);
        var batch = await Store.Outbox.ClaimAsync("w1", 3, Lease);
        Assert.Equal(0, await Store.Outbox.AckManyAsync([]));
        var acked = await Store.Outbox.AckManyAsync([(batch[0].Id, batch[0].LeaseToken), (batch[1].Id, Guid.NewGuid()), (batch[2].Id, batch[2].LeaseToken), (987654, Guid.NewGuid())]);
        Assert.Equal(2, acked);
        Assert.Equal(new OutboxCounts(0, 1, 2, 0), await Store.Outbox.CountAsync());
        Assert.Equal(OutboxState.Leased, (await Store.Outbox.GetAsync(batch[1].Id))!.State);
        Assert.Equal(0, await Store.Outbox.AckManyAsync([(batch[0].Id, batch[0].LeaseToken)]));
    }

    [SkippableFact]
    public async Task Ack_many_handles_claims_of_several_leases_and_large_batches()
    {
        await Store.Outbox.EnqueueAsync([.. Enumerable.Range(0, 1_200).Select(i => Message("d", $"m{i}"))]);
        var first = await Store.Outbox.ClaimAsync("w1", 1_000, Lease);
        var second = await Store.Outbox.ClaimAsync("w2", 1_000, Lease);
        Assert.Equal(200, second.Count);
        var claims = first.Concat(second).Select(e => (e.Id, e.LeaseToken)).ToList();
        claims.Add(claims[0]);
        claims.Add((second[0].Id, first[0].LeaseToken));
        Assert.Equal(1_200, await Store.Outbox.AckManyAsync(claims));
        Assert.Equal(new OutboxCounts(0, 0, 1_200, 0), await Store.Outbox.CountAsync());
    }

    [SkippableFact]
    public async Task Claim_takes_pending_and_expired_leases_oldest_due_first()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "retried")]);
        var retried = (await Store.Outbox.ClaimAsync("w1", 1, Lease)).Single();
        Assert.True(await Store.Outbox.RetryAsync(retried.Id, retried.LeaseToken, Start.AddMinutes(1), "HTTP 503"));
        await Store.Outbox.EnqueueAsync([Message("d", "abandoned"), Message("d", "waiting"), Message("other", "elsewhere")]);
        var abandoned = (await Store.Outbox.ClaimAsync("crashes", 1, TimeSpan.FromSeconds(30), "d")).Single();
        Assert.Equal("abandoned", abandoned.Message.IdempotencyKey);
        Time.Advance(TimeSpan.FromMinutes(2));
        await Store.Outbox.EnqueueAsync([Message("d", "newest")]);

        // Due by next attempt time: abandoned and waiting (enqueued at the start), retried (+1 min), newest (+2 min).
        var firstTwo = await Store.Outbox.ClaimAsync("w2", 2, Lease, "d");
        Assert.Equal(["abandoned", "waiting"], firstTwo.Select(e => e.Message.IdempotencyKey));
        Assert.Equal(2, firstTwo[0].AttemptCount);
        Assert.All(firstTwo, e => Assert.Equal(("w2", OutboxState.Leased, Start.AddMinutes(2) + Lease, "d"), (e.LeaseOwner, e.State, e.LeaseExpiresAt, e.Message.Destination)));
        var rest = await Store.Outbox.ClaimAsync("w2", 10, Lease, "d");
        Assert.Equal(["retried", "newest"], rest.Select(e => e.Message.IdempotencyKey));
        Assert.Equal("HTTP 503", rest[0].LastError);
        Assert.Equal("elsewhere", (await Store.Outbox.ClaimAsync("w3", 10, Lease)).Single().Message.IdempotencyKey);
    }

    [SkippableFact]
    public async Task Retry_waits_for_the_next_attempt_time_and_dead_letter_keeps_the_reason()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "r")]);
        var first = (await Store.Outbox.ClaimAsync("w1", 1, Lease)).Single();
        Assert.True(await Store.Outbox.RetryAsync(first.Id, first.LeaseToken, Start.AddMinutes(2), "HTTP 503"));
        Assert.Empty(await Store.Outbox.ClaimAsync("w1", 1, Lease));
        Time.Advance(TimeSpan.FromMinutes(2));
        var second = (await Store.Outbox.ClaimAsync("w1", 1, Lease)).Single();
        Assert.Equal(2, second.AttemptCount);
        Assert.Equal("HTTP 503", second.LastError);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        Assert.False(await Store.Outbox.DeadLetterAsync(second.Id, first.LeaseToken, "stale"));
        Assert.True(await Store.Outbox.DeadLetterAsync(second.Id, second.LeaseToken, "invalid_phone: rejected by platform"));
        var dead = await Store.Outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync();
        Assert.Equal("invalid_phone: rejected by platform", dead.Single().LastError);
        Assert.Equal(new OutboxCounts(0, 0, 0, 1), await Store.Outbox.CountAsync());
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Empty(await Store.Outbox.ClaimAsync("w1", 1, Lease));
    }

    [SkippableFact]
    public async Task A_discarded_dead_letter_is_gone_and_other_states_are_never_discarded()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "q1"), Message("d", "q2")]);
        var claimed = await Store.Outbox.ClaimAsync("w1", 2, Lease);
        Assert.Equal(2, claimed.Count);
        Assert.False(await Store.Outbox.DiscardDeadLetterAsync(claimed[0].Id));
        Assert.True(await Store.Outbox.DeadLetterAsync(claimed[0].Id, claimed[0].LeaseToken, "rejected: invalid"));
        Assert.False(await Store.Outbox.DiscardDeadLetterAsync(claimed[1].Id));
        Assert.False(await Store.Outbox.DiscardDeadLetterAsync(claimed[0].Id + 1000));
        Assert.True(await Store.Outbox.DiscardDeadLetterAsync(claimed[0].Id));
        Assert.False(await Store.Outbox.DiscardDeadLetterAsync(claimed[0].Id));
        Assert.Null(await Store.Outbox.GetAsync(claimed[0].Id));
        Assert.Empty(await Store.Outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync());
        Assert.Equal(new OutboxCounts(0, 1, 0, 0), await Store.Outbox.CountAsync());
        Assert.False(await Store.Outbox.RequeueDeadLetterAsync(claimed[0].Id, Start));
        Assert.True(await Store.Outbox.AckAsync(claimed[1].Id, claimed[1].LeaseToken));
    }

    [SkippableFact]
    public async Task A_requeued_dead_letter_is_claimed_again_with_a_fresh_attempt_count()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "q")]);
        var first = (await Store.Outbox.ClaimAsync("w1", 1, Lease)).Single();
        Assert.False(await Store.Outbox.RequeueDeadLetterAsync(first.Id, Start));
        Assert.True(await Store.Outbox.DeadLetterAsync(first.Id, first.LeaseToken, "rejected: invalid"));
        Assert.False(await Store.Outbox.RequeueDeadLetterAsync(first.Id + 1000, Start));
        Assert.True(await Store.Outbox.RequeueDeadLetterAsync(first.Id, Start.AddMinutes(1)));
        Assert.False(await Store.Outbox.RequeueDeadLetterAsync(first.Id, Start.AddMinutes(1)));
        Assert.Equal(new OutboxCounts(1, 0, 0, 0), await Store.Outbox.CountAsync());
        Assert.Empty(await Store.Outbox.ClaimAsync("w1", 1, Lease));
        Time.Advance(TimeSpan.FromMinutes(1));
        var again = (await Store.Outbox.ClaimAsync("w1", 1, Lease)).Single();
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(1, again.AttemptCount);
        Assert.Equal("rejected: invalid", again.LastError);
        Assert.True(await Store.Outbox.AckAsync(again.Id, again.LeaseToken));
    }

    [SkippableFact]
    public async Task Backlog_per_destination_counts_waiting_messages_their_oldest_age_and_recent_dead_letters()
    {
        Assert.Empty(await Store.Outbox.GetBacklogAsync(Start));
        await Store.Outbox.EnqueueAsync([Message("meta.conversions", "m1"), Message("google.conversions", "g1")]);
        Time.Advance(TimeSpan.FromMinutes(10));
        await Store.Outbox.EnqueueAsync([Message("meta.conversions", "m2"), Message("meta.conversions", "m3"), Message("tiktok.conversions", "t1")]);
        var leased = await Store.Outbox.ClaimAsync("w1", 10, Lease, "meta.conversions");
        Assert.Equal(3, leased.Count);
        Assert.True(await Store.Outbox.AckAsync(leased[0].Id, leased[0].LeaseToken));
        Assert.True(await Store.Outbox.DeadLetterAsync(leased[1].Id, leased[1].LeaseToken, "invalid_user_data: rejected by platform"));
        var tiktok = (await Store.Outbox.ClaimAsync("w1", 10, Lease, "tiktok.conversions")).Single();
        Assert.True(await Store.Outbox.DeadLetterAsync(tiktok.Id, tiktok.LeaseToken, "consent_withheld: denied (ad_measurement)"));
        var since = Start.AddMinutes(5);

        var all = await Store.Outbox.GetBacklogAsync(since);
        Assert.Equal(
            [
                new OutboxDestinationBacklog("google.conversions", 1, Start, 0),
                new OutboxDestinationBacklog("meta.conversions", 1, Start.AddMinutes(10), 1),
                new OutboxDestinationBacklog("tiktok.conversions", 0, null, 1),
            ],
            all);
        var withoutConsent = await Store.Outbox.GetBacklogAsync(since, "consent_withheld:");
        Assert.Equal(["google.conversions", "meta.conversions"], withoutConsent.Select(b => b.Destination));
        Assert.Equal(1, withoutConsent[1].DeadLettered);
        // "_" in the ignored prefix is literal: "consent-withheld:" does not match "consent_withheld:".
        Assert.Equal(1, (await Store.Outbox.GetBacklogAsync(since, "consent-withheld:")).Single(b => b.Destination == "tiktok.conversions").DeadLettered);
        // Dead letters before the window are not counted.
        Assert.Equal(0, (await Store.Outbox.GetBacklogAsync(Start.AddHours(1))).Single(b => b.Destination == "meta.conversions").DeadLettered);
    }

    [SkippableFact]
    public async Task An_abandoned_lease_is_reclaimed_after_expiry_only()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "crash")]);
        var crashed = (await Store.Outbox.ClaimAsync("worker-that-crashes", 1, Lease)).Single();
        Time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Empty(await Store.Outbox.ClaimAsync("w2", 1, Lease));
        Assert.Equal(0, await Store.Outbox.ReclaimExpiredAsync());
        Time.Advance(TimeSpan.FromSeconds(1));
        var taken = (await Store.Outbox.ClaimAsync("w2", 1, Lease)).Single();
        Assert.Equal(crashed.Id, taken.Id);
        Assert.Equal(2, taken.AttemptCount);
        Assert.Equal("w2", taken.LeaseOwner);
        Assert.False(await Store.Outbox.AckAsync(crashed.Id, crashed.LeaseToken));
        Assert.True(await Store.Outbox.AckAsync(taken.Id, taken.LeaseToken));
    }

    [SkippableFact]
    public async Task Reclaim_returns_expired_leases_to_pending()
    {
        await Store.Outbox.EnqueueAsync([Message("d", "x"), Message("d", "y")]);
        var claimed = await Store.Outbox.ClaimAsync("w1", 1, TimeSpan.FromSeconds(30));
        Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await Store.Outbox.ReclaimExpiredAsync());
        Assert.Equal(new OutboxCounts(2, 0, 0, 0), await Store.Outbox.CountAsync());
        Assert.False(await Store.Outbox.AckAsync(claimed[0].Id, claimed[0].LeaseToken));
        var pending = await Store.Outbox.ReadAsync(OutboxState.Pending).ToListAsync();
        Assert.Equal(2, pending.Count);
        Assert.All(pending, p => Assert.Null(p.LeaseOwner));
    }

    [SkippableFact]
    public async Task Not_before_destination_filter_and_purge()
    {
        await Store.Outbox.EnqueueAsync([
            Message("meta", "later") with { NotBefore = Start.AddHours(1) },
            Message("meta", "now"),
            Message("tiktok", "now"),
        ]);
        var meta = await Store.Outbox.ClaimAsync("w", 10, Lease, "meta");
        Assert.Equal("now", meta.Single().Message.IdempotencyKey);
        Assert.Equal("meta", meta.Single().Message.Destination);
        Assert.True(await Store.Outbox.AckAsync(meta[0].Id, meta[0].LeaseToken));
        Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, (await Store.Outbox.ClaimAsync("w", 10, Lease)).Count);
        Assert.Equal(0, await Store.Outbox.PurgeDeliveredAsync(Start));
        Assert.Equal(1, await Store.Outbox.PurgeDeliveredAsync(Start.AddSeconds(1)));
        Assert.Equal(1, (await Store.Outbox.EnqueueAsync([Message("meta", "now")])).Enqueued);
    }

    [SkippableFact]
    public async Task Eight_concurrent_workers_deliver_ten_thousand_messages_exactly_once()
    {
        const int total = 10_000;
        for (var chunk = 0; chunk < total; chunk += 1000)
        {
            await Store.Outbox.EnqueueAsync(Enumerable.Range(chunk, 1000).Select(i => Message("bulk", $"m{i}")).ToList());
        }
        var deliveries = new ConcurrentDictionary<long, int>();
        var lostAcks = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (true)
            {
                var batch = await Store.Outbox.ClaimAsync($"worker-{w}", 50, Lease);
                if (batch.Count == 0)
                {
                    return;
                }
                foreach (var entry in batch)
                {
                    deliveries.AddOrUpdate(entry.Id, 1, (_, n) => n + 1);
                    if (!await Store.Outbox.AckAsync(entry.Id, entry.LeaseToken))
                    {
                        Interlocked.Increment(ref lostAcks);
                    }
                }
            }
        })));
        Assert.Equal(total, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(1, d.Value));
        Assert.Equal(0, lostAcks);
        Assert.Equal(new OutboxCounts(0, 0, total, 0), await Store.Outbox.CountAsync());
    }

    [SkippableFact]
    public async Task Claim_arguments_are_validated()
    {
        await Assert.ThrowsAsync<MarketingValidationException>(async () => await Store.Outbox.ClaimAsync("w", 0, Lease));
        await Assert.ThrowsAsync<MarketingValidationException>(async () => await Store.Outbox.ClaimAsync("w", 1, TimeSpan.Zero));
        await Assert.ThrowsAsync<MarketingValidationException>(async () => await Store.Outbox.ClaimAsync("", 1, Lease));
    }
}

public abstract class TransactionalOutboxConformance : StoreConformanceBase
{
    [SkippableFact]
    public async Task Events_and_messages_are_stored_together()
    {
        var c = Customer("t1");
        var (events, messages) = await Store.Transactions.AppendEventsAsync([Event("te1", c, Start), Event("te2", c, Start)], [Message("meta", "te1", c)]);
        Assert.Equal(2, events.Inserted);
        Assert.Equal(1, messages.Enqueued);
        Assert.Equal(2, await Store.Events.CountAsync(EventQuery.All));
        Assert.Equal(1, (await Store.Outbox.CountAsync()).Pending);
    }

    [SkippableFact]
    public async Task An_invalid_message_stores_neither_events_nor_messages()
    {
        var c = Customer("t2");
        await Assert.ThrowsAsync<MarketingValidationException>(async () =>
            await Store.Transactions.AppendEventsAsync([Event("te3", c, Start)], [Message("meta", "ok"), Message("", "bad")]));
        Assert.Equal(0, await Store.Events.CountAsync(EventQuery.All));
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), await Store.Outbox.CountAsync());
    }

    [SkippableFact]
    public async Task A_profile_conflict_enqueues_nothing_and_consent_is_recorded_with_its_message()
    {
        var profile = Profile(Customer("t3"), Start);
        var (saved, _) = await Store.Transactions.SaveProfileAsync(profile, [Message("crm", "p1")]);
        Assert.Equal(1, saved.Version);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await Store.Transactions.SaveProfileAsync(profile, [Message("crm", "p2")]));
        Assert.Equal(1, (await Store.Outbox.CountAsync()).Pending);

        var record = new ConsentRecord { CustomerId = profile.Id, Purpose = ConsentPurpose.AdTargeting, Granted = false, RecordedAt = Start, Source = "settings" };
        var (stored, queued) = await Store.Transactions.AppendConsentAsync(record, [Message("meta.audiences", "remove-t3", profile.Id)]);
        Assert.True(stored.Sequence > 0);
        Assert.Equal(1, queued.Enqueued);
        Assert.False((await Store.Consents.GetCurrentAsync(profile.Id))[ConsentPurpose.AdTargeting].Granted);
    }
}

public abstract class ErasureConformance : StoreConformanceBase
{
    private async Task<IReadOnlyList<Identity>> PopulateAsync(CustomerId c, string tag)
    {
        Identity[] ids = [Identity.Email($"{tag}@example.com"), Identity.Cookie($"ck-{tag}")];
        await Store.Profiles.SaveAsync(Profile(c, Start));
        await Store.Events.AppendAsync([Event($"{tag}-e1", c, Start), RichEvent($"{tag}-e2", c, Start)]);
        foreach (var id in ids)
        {
            await Store.Identities.ClaimAsync(id, c);
        }
        await Store.Identities.ObserveAsync(ids[1], ids[0].Fingerprint);
        await Store.Identities.RecordMergeAsync(new MergeRecord(c, Customer($"{tag}-old"), Start, IdentityKind.Email, null));
        await Store.Consents.AppendAsync(new ConsentRecord { CustomerId = c, Purpose = ConsentPurpose.Email, Granted = true, RecordedAt = Start, Source = "form" });
        await Store.Outbox.EnqueueAsync([Message("meta", $"{tag}-m", c)]);
        await Store.Audit.AppendAsync(new AuditRecord { RecordedAt = Start, Actor = "test", Action = "populated", Subject = c });
        return ids;
    }

    [SkippableFact]
    public async Task Erasure_leaves_zero_rows_for_the_subject_and_keeps_everyone_else()
    {
        var subject = Customer("erase-me");
        var other = Customer("keep-me");
        var subjectIds = await PopulateAsync(subject, "s");
        var otherIds = await PopulateAsync(other, "o");
        // The other customer's cookie was also seen with the subject's email: that row goes with the subject.
        Assert.Equal(2, await Store.Identities.ObserveAsync(otherIds[1], subjectIds[0].Fingerprint));
        var before = await Store.CountCustomerRowsAsync(other, otherIds);
        Assert.True(await Store.CountCustomerRowsAsync(subject, subjectIds) >= 9);

        var report = await Store.Eraser.EraseAsync(subject);
        Assert.Equal(subject, report.CustomerId);
        Assert.Equal(1, report.DeletedRows["profiles"]);
        Assert.Equal(2, report.DeletedRows["events"]);
        Assert.Equal(2, report.DeletedRows["identities"]);
        Assert.Equal(2, report.DeletedRows["identity_observations"]);
        Assert.Equal(1, report.DeletedRows["identity_merges"]);
        Assert.Equal(1, report.DeletedRows["consent_records"]);
        Assert.Equal(1, report.DeletedRows["outbox_messages"]);
        Assert.Equal(10, report.Total);

        Assert.Equal(0, await Store.CountCustomerRowsAsync(subject, subjectIds));
        Assert.Equal(before - 1, await Store.CountCustomerRowsAsync(other, otherIds));
        Assert.Equal(1, await Store.Identities.ObserveAsync(otherIds[1], null));
        Assert.Null(await Store.Profiles.GetAsync(subject));
        Assert.Empty(await Store.Identities.FindAsync(subjectIds));
        Assert.Null(await AuditChain.VerifyAsync(Store.Audit.ReadAsync()));

        var again = await Store.Eraser.EraseAsync(subject);
        Assert.Equal(0, again.Total);
    }
}
