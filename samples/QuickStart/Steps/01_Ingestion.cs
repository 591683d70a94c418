using System.Diagnostics;
using Marketing.Sdk;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms.Messaging;

namespace QuickStart;

internal sealed record IngestReport(int Sent, int Accepted, int Duplicates, int Dropped, int Rejected, int Bots, IReadOnlyDictionary<string, int> RejectedByReason, int JourneyWork, int SignUps, int ConsentForms, TimeSpan Elapsed);

/// <summary>
/// Step 1: every event of the shop goes through the public collector, in time order, in batches of
/// 500. Before each batch the sample clock moves to the batch's last event, and after it the journey
/// engine runs what has become due — so the real-time listeners (lifecycle stages, journeys,
/// segments) see the 90 days as they happened.
/// </summary>
internal static class IngestionStep
{
    public const int BatchSize = 500;

    /// <summary>How often (in shop time) the replay lets the journey engine run due work.</summary>
    public static readonly TimeSpan DueInterval = TimeSpan.FromHours(3);

    /// <summary>
    /// Consecutive events of one clock hour, at most <see cref="BatchSize"/>: a batch never spans an
    /// hour, so a one-hour journey wait cannot run out while its own batch is being ingested.
    /// </summary>
    public static IEnumerable<MarketingEvent[]> Slices(IEnumerable<MarketingEvent> events)
    {
        var slice = new List<MarketingEvent>(BatchSize);
        long hour = long.MinValue;
        foreach (var e in events)
        {
            var h = e.OccurredAt.UtcTicks / TimeSpan.TicksPerHour;
            if (slice.Count > 0 && (h != hour || slice.Count == BatchSize))
            {
                yield return [.. slice];
                slice.Clear();
            }
            hour = h;
            slice.Add(e);
        }
        if (slice.Count > 0)
        {
            yield return [.. slice];
        }
    }

    /// <summary>What the sign-up form's checkboxes say: most people accept messages, fewer also accept ad measurement and sharing with the ad platforms (separate consent).</summary>
    public static readonly ConsentPurpose[] MessagingPurposes = [ConsentPurpose.Email, ConsentPurpose.Sms, ConsentPurpose.PrivateDomainMessaging, ConsentPurpose.Personalisation];

    /// <summary>The ad purposes, including the separate consents PIPL asks for before data goes to a platform abroad.</summary>
    public static readonly ConsentPurpose[] AdPurposes = [ConsentPurpose.AdMeasurement, ConsentPurpose.AdTargeting, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];

    /// <summary>
    /// Records the consent a sign-up form captured (deterministic per event: 85 % accept messages, 65 % also ads; one
    /// in eight of those leaves the SMS box unticked), and the unsubscribes that follow for some of them: one in
    /// sixteen replies TD to a text, one in sixteen turns off the Official Account's messages.
    /// </summary>
    private static async Task<bool> RecordSignUpConsentAsync(ConsentLedger ledger, ISuppressionList suppressions, MarketingEvent signUp, CustomerId customer)
    {
        var bucket = Bucket(signUp.Id);
        if (bucket >= 85)
        {
            return false;
        }
        var boxes = Bucket("boxes:" + signUp.Id);
        ConsentPurpose[] messaging = boxes < 12 ? [.. MessagingPurposes.Where(p => p != ConsentPurpose.Sms)] : MessagingPurposes;
        var capture = new ConsentCapture(ConsentSources.Web, "privacy-2026-09", ConsentLedger.ComputeProofHash($"signup-form:{signUp.Id}"), signUp.OccurredAt);
        await ledger.RecordAsync(customer, bucket < 65 ? [.. messaging, .. AdPurposes] : messaging, granted: true, capture);
        if (boxes is >= 12 and < 18)
        {
            await suppressions.AddAsync(customer, Channel.Sms, SuppressionReason.Unsubscribed);
        }
        else if (boxes is >= 18 and < 24)
        {
            await suppressions.AddAsync(customer, Channel.WeChat, SuppressionReason.Unsubscribed);
        }
        return true;
    }

    private static int Bucket(string key) =>
        (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))) % 100);

    public static async Task<IngestReport> RunAsync(QuickStartContext run)
    {
        var collector = run.Get<IEventCollector>();
        var ledger = run.Get<ConsentLedger>();
        var suppressions = run.Get<ISuppressionList>();
        int signUps = 0, consentForms = 0;
        var journeys = run.Get<JourneyEngine>();
        var byReason = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int sent = 0, accepted = 0, duplicates = 0, dropped = 0, rejected = 0, bots = 0, journeyWork = 0;
        var watch = Stopwatch.StartNew();
        var lastDueRun = DateTimeOffset.MinValue;
        var journeyTime = TimeSpan.Zero;
        foreach (var batch in Slices(run.Shop.Events()))
        {
            // Malformed events from the future are part of the shop; they must not drag the clock along.
            var latest = batch.Max(e => e.OccurredAt);
            run.Clock.AdvanceTo(latest < run.ShopEnd ? latest : run.ShopEnd);
            var result = await collector.TrackBatchAsync(batch);
            if (run.Clock.GetUtcNow() - lastDueRun >= DueInterval)
            {
                var due = Stopwatch.GetTimestamp();
                journeyWork += await journeys.RunDueAsync();
                journeyTime += Stopwatch.GetElapsedTime(due);
                // The messages the journeys just sent (and earlier ones now due) go out, as a host's delivery worker would send them.
                await MessagingStep.DeliverDueAsync(run);
                lastDueRun = run.Clock.GetUtcNow();
            }
            // Step 11's EDM campaign: run once an hour from its window's start, as a host's campaign service would.
            await CampaignStep.DuringReplayAsync(run);
            sent += batch.Length;
            accepted += result.Accepted;
            duplicates += result.Duplicates;
            dropped += result.Dropped;
            rejected += result.Rejected;
            for (var i = 0; i < batch.Length; i++)
            {
                if (batch[i].Type == EventType.SignUp && result.Results[i] is { Status: TrackStatus.Accepted, CustomerId: { } customer })
                {
                    signUps++;
                    consentForms += await RecordSignUpConsentAsync(ledger, suppressions, batch[i], customer) ? 1 : 0;
                }
            }
            foreach (var r in result.Results)
            {
                if (r.Error is { } e)
                {
                    var key = $"{e.Reason} ({e.Field})";
                    byReason[key] = byReason.GetValueOrDefault(key) + 1;
                }
                if (r.Flags.HasFlag(EventFlags.SuspectedBot))
                {
                    bots++;
                }
            }
        }
        run.Clock.AdvanceTo(run.ShopEnd);
        journeyWork += await journeys.RunDueAsync();
        watch.Stop();

        run.Heading(1, "Ingestion (the shop's 90 days replayed in time order on the sample clock)");
        run.Line($"events sent            {sent,10:N0}   ({sent / Math.Max(watch.Elapsed.TotalSeconds, 0.001):N0} events/s, listeners and journeys included)");
        run.Line($"accepted               {accepted,10:N0}   of which flagged as bot traffic: {bots:N0}");
        run.Line($"duplicates skipped     {duplicates,10:N0}");
        run.Line($"dropped by cleaning    {dropped,10:N0}");
        run.Line($"rejected as invalid    {rejected,10:N0}");
        foreach (var (reason, count) in byReason)
        {
            run.Line($"  - {reason,-38} {count,6:N0}");
        }
        run.Line($"sign-ups               {signUps,10:N0}   consent forms recorded: {consentForms:N0} (messages; ads and sharing for about three in four of them)");
        run.Line($"clock now              {run.Clock.GetUtcNow().ToOffset(run.ShopEnd.Offset):yyyy-MM-dd HH:mm zzz}   (journey enrollments started or advanced: {journeyWork:N0}; due journey work {journeyTime.TotalSeconds:0.0} s, message delivery {run.DeliveryTime.TotalSeconds:0.0} s)");
        run.Line();
        return new IngestReport(sent, accepted, duplicates, dropped, rejected, bots, byReason, journeyWork, signUps, consentForms, watch.Elapsed);
    }
}
