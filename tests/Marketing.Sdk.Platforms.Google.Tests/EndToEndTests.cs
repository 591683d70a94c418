using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class EndToEndTests
{
    [Fact]
    public async Task Published_conversions_reach_Google_exactly_once_and_withdrawn_consent_is_respected()
    {
        // Google's wait hint is zero here so the test need not wait; the outbox schedules retries by it.
        await using var env = await GoogleEnv.CreateAsync(o => o.MaxRetryAttempts = 0, e => e.ThrottleRetryDelay = TimeSpan.Zero);
        var customers = Enumerable.Range(0, 30).Select(i => new CustomerId("c" + i)).ToList();
        foreach (var c in customers)
        {
            await env.GrantAllAsync(c);
        }
        var withdrawn = customers[7];
        await env.Ledger.WithdrawAsync(withdrawn, ConsentPurpose.AdMeasurement, GoogleEnv.Web);

        var conversions = customers.Select((c, i) => ConversionTests.Purchase("e" + i, orderId: "order-" + i) with { CustomerId = c }).ToList();
        var publisher = env.Provider.GetRequiredService<IConversionPublisher>();
        Assert.Equal(30, (await publisher.PublishAsync(conversions)).Enqueued);
        Assert.Equal(30, (await publisher.PublishAsync(conversions)).Duplicates); // publishing twice stores once

        // Google misbehaves: 5xx, throttling, broken bodies and a revoked token on the way.
        env.Emulator.Faults = new FaultOptions { ServerErrorRate = 0.3, ThrottleRate = 0.2, MalformedRate = 0.2, Seed = 11 };
        await env.Provider.GetRequiredKeyedService<IAccessTokenProvider>("google").GetTokenAsync(); // the client holds a token…
        env.Emulator.ExpireTokenOnce();                                                              // …that Google then revokes
        var worker = env.Provider.GetRequiredService<PlatformDeliveryWorker>();
        var rounds = 0;
        var withheld = 0;
        var retried = 0;
        for (; rounds < 200; rounds++)
        {
            var round = await worker.DeliverOnceAsync("google.conversions");
            withheld += round.Withheld;
            retried += round.Retried;
            if (round.Claimed == 0)
            {
                break;
            }
        }

        var accepted = env.Emulator.AcceptedEvents;
        Assert.Equal(29, accepted.Count);
        Assert.Equal(29, accepted.Select(e => e.TransactionId).Distinct().Count());
        Assert.DoesNotContain(accepted, e => e.TransactionId == "order-7");
        Assert.Equal(1, withheld);
        Assert.True(retried > 0, "faults should have caused retries");
        Assert.Equal(1, env.Emulator.InjectedFaults[FaultKind.TokenExpired]);
        Assert.Equal(2, env.Emulator.TokensIssued);
        var dead = await env.Provider.GetRequiredService<IOutboxStore>().ReadAsync(OutboxState.DeadLettered).ToListAsync();
        var consentDead = Assert.Single(dead);
        Assert.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, consentDead.LastError);
        Assert.Equal(withdrawn, consentDead.Message.CustomerId);
    }
}
