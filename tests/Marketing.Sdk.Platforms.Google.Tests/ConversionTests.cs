using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.Google;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class ConversionTests
{
    internal static ConversionRequest Purchase(string id, string? orderId = null, DateTimeOffset? at = null, CustomerMatchData? customer = null, string? gclid = "gclid-1") => new()
    {
        EventId = id,
        EventType = EventType.Purchase,
        OccurredAt = at ?? DateTimeOffset.UtcNow.AddHours(-1),
        CustomerId = new CustomerId("c_" + id),
        Value = new Money(49.90m, "EUR"),
        OrderId = orderId,
        Customer = customer ?? new CustomerMatchData { Email = "Jane.Doe+promo@GMail.com", Phone = "+1 800 555 0100", FirstName = "Jane", LastName = "Doe", Country = "us", Zip = "94035" },
        Clicks = new ClickIdentifiers { Gclid = gclid },
    };

    internal static PreparedConversion Prepare(ConversionRequest request) => ConversionPublisher.Prepare(request, HashingProfile.Google);

    [Fact]
    public async Task Events_are_ingested_with_transaction_id_consent_hashes_and_click_ids()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var result = await env.Client.SendAsync([Prepare(Purchase("e1", orderId: "order-1")), Prepare(Purchase("e2"))]);

        Assert.Equal(2, result.Delivered);
        Assert.StartsWith("emu-", result.RequestId);
        var accepted = env.Emulator.AcceptedEvents;
        Assert.Equal(2, accepted.Count);
        var first = accepted.Single(e => e.TransactionId == "order-1");
        Assert.Equal("1234567890", first.OperatingAccountId);
        Assert.Equal("1112223333", first.LoginAccountId);
        Assert.Equal(GoogleEnv.PurchaseAction, first.ConversionActionId);
        Assert.Equal(49.90, first.ConversionValue);
        Assert.Equal("EUR", first.Currency);
        Assert.Equal("gclid-1", first.Gclid);
        Assert.Equal("CONSENT_GRANTED", first.AdUserDataConsent);
        Assert.Equal("CONSENT_GRANTED", first.AdPersonalizationConsent);
        Assert.Equal(3, first.UserIdentifierCount); // email, phone, address
        Assert.Equal([PlatformHasher.Sha256Hex("janedoe@gmail.com")], first.EmailHashes);
        Assert.Equal([PlatformHasher.Sha256Hex("+18005550100")], first.PhoneHashes);
        Assert.Contains(accepted, e => e.TransactionId == "e2"); // no order id: the event id is the transaction id
    }

    [Fact]
    public async Task A_resent_batch_is_deduplicated_on_transaction_id()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var batch = new[] { Prepare(Purchase("e1", orderId: "order-1")), Prepare(Purchase("e2", orderId: "order-2")) };
        await env.Client.SendAsync(batch);
        var again = await env.Client.SendAsync(batch);

        Assert.Equal(2, again.Delivered);
        Assert.Equal(2, env.Emulator.AcceptedEvents.Count);
        Assert.Equal(2, env.Emulator.DuplicateEvents);
    }

    [Fact]
    public async Task Items_Google_would_refuse_are_rejected_without_being_sent()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var noAction = Prepare(Purchase("e1")) with { EventType = "sign_up" };
        var noIds = Prepare(Purchase("e2", customer: new CustomerMatchData(), gclid: null));
        var tooOld = Prepare(Purchase("e3", at: DateTimeOffset.UtcNow.AddDays(-91)));
        var good = Prepare(Purchase("e4"));

        var result = await env.Client.SendAsync([noAction, noIds, tooOld, good]);

        Assert.Equal(["NO_CONVERSION_ACTION", "NO_IDENTIFIERS_PROVIDED", "EXPIRED_EVENT"], result.Items.Take(3).Select(i => i.Code));
        Assert.All(result.Items.Take(3), i => Assert.Equal(DeliveryOutcome.Rejected, i.Outcome));
        Assert.Equal(DeliveryOutcome.Accepted, result.Items[3].Outcome);
        Assert.Equal("e4", Assert.Single(env.Emulator.AcceptedEvents).TransactionId);
    }

    [Fact]
    public async Task A_field_violation_rejects_only_its_event_and_the_rest_is_sent_again()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var bad = Prepare(Purchase("bad")) is var p ? p with { Match = new Dictionary<string, string>(p.Match) { ["country"] = "USA" } } : null!;
        var result = await env.Client.SendAsync([Prepare(Purchase("a")), bad, Prepare(Purchase("b"))]);

        Assert.Equal(DeliveryOutcome.Accepted, result.Items[0].Outcome);
        Assert.Equal(DeliveryOutcome.Rejected, result.Items[1].Outcome);
        Assert.Equal("INVALID_COUNTRY_CODE", result.Items[1].Code);
        Assert.Contains("address.regionCode", result.Items[1].Reason);
        Assert.Equal(DeliveryOutcome.Accepted, result.Items[2].Outcome);
        Assert.Equal(["a", "b"], env.Emulator.AcceptedEvents.Select(e => e.TransactionId).Order());
    }

    [Fact]
    public async Task ValidateOnly_ingests_nothing()
    {
        await using var env = await GoogleEnv.CreateAsync(o => o.ValidateOnly = true);
        var result = await env.Client.SendAsync([Prepare(Purchase("e1"))]);
        Assert.Equal(1, result.Delivered);
        Assert.Empty(env.Emulator.AcceptedEvents);
    }

    [Fact]
    public async Task Conversion_consent_can_deny_ad_personalization()
    {
        await using var env = await GoogleEnv.CreateAsync(o => o.ConversionsGrantAdPersonalization = false);
        await env.Client.SendAsync([Prepare(Purchase("e1"))]);
        var e = Assert.Single(env.Emulator.AcceptedEvents);
        Assert.Equal("CONSENT_GRANTED", e.AdUserDataConsent);
        Assert.Equal("CONSENT_DENIED", e.AdPersonalizationConsent);
    }

    [Fact]
    public async Task More_than_2000_events_are_refused_naming_the_field()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var batch = Enumerable.Range(0, 2001).Select(i => Prepare(Purchase("e" + i))).ToList();
        var ex = await Assert.ThrowsAsync<PlatformRequestException>(async () => await env.Client.SendAsync(batch));
        Assert.Equal("events", ex.Field);
        Assert.Equal(0, env.Emulator.RequestCount);
    }

    [Fact]
    public async Task A_full_batch_of_2000_is_accepted_in_one_request()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var batch = Enumerable.Range(0, 2000).Select(i => Prepare(Purchase("e" + i))).ToList();
        var result = await env.Client.SendAsync(batch);
        Assert.Equal(2000, result.Delivered);
        Assert.Equal(2000, env.Emulator.AcceptedEvents.Count);
    }
}
