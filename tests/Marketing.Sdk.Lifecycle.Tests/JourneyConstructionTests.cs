using System.Reflection;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Lifecycle.Tests;

public class JourneyConstructionTests
{
    private static IOptions<LifecycleOptions> CartOptions()
    {
        var o = new LifecycleOptions();
        o.Journeys.Add("cart_abandoned", j => j
            .OnEvent(EventType.AddToCart)
            .Wait(TimeSpan.FromHours(1))
            .SendMessage(Channel.Email, "cart_reminder"));
        return Options.Create(o);
    }

    private static CustomerProfile Profile(CustomerId id, bool emailConsent) => new()
    {
        Id = id,
        Traits = new Dictionary<string, PropertyValue> { ["time_zone"] = "Asia/Shanghai" },
        Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(emailConsent, Harness.Start) },
    };

    [Fact]
    public async Task The_engine_is_built_and_runs_journeys_without_a_service_provider()
    {
        var options = CartOptions();
        var time = new FakeTimeProvider(Harness.Start);
        var profiles = new FakeProfileStore();
        var bob = new CustomerId("c_bob");
        profiles.Put(Profile(Harness.Alice, emailConsent: true));
        profiles.Put(Profile(bob, emailConsent: false));
        var handler = new RecordingHandler();
        using var engine = new JourneyEngine(
            new InMemoryStateStore(),
            options,
            time,
            [new ConsentSummaryGate(options, profiles)],
            [handler],
            profiles);

        await engine.OnEventsAcceptedAsync(
        [
            new MarketingEvent { Id = "e1", Type = EventType.AddToCart, OccurredAt = time.GetUtcNow(), CustomerId = Harness.Alice },
            new MarketingEvent { Id = "e2", Type = EventType.AddToCart, OccurredAt = time.GetUtcNow(), CustomerId = bob },
        ]);
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, await engine.RunDueAsync());
        Assert.Empty(handler.Calls);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, await engine.RunDueAsync());

        // The handler and the gate passed to the constructor are the ones used: Alice is messaged, Bob (no consent) is vetoed.
        var call = Assert.Single(handler.Calls);
        Assert.Equal(Harness.Alice, call.CustomerId);
        var log = new List<JourneyActionRecord>();
        await foreach (var record in engine.ReadActionLogAsync())
        {
            log.Add(record);
        }
        Assert.Equal(JourneyActionStatus.Executed, Assert.Single(log, r => r.CustomerId == Harness.Alice).Status);
        Assert.Equal(JourneyActionStatus.Vetoed, Assert.Single(log, r => r.CustomerId == bob).Status);
        Assert.Equal(EnrollmentStatus.Completed, (await engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);
    }

    [Fact]
    public void No_journey_type_takes_or_holds_a_service_provider()
    {
        var types = typeof(JourneyEngine).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(JourneyEngine).Namespace)
            .ToList();
        Assert.Contains(typeof(JourneyEngine), types);
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        var offenders = types
            .SelectMany(t => t.GetConstructors(all).SelectMany(c => c.GetParameters()).Select(p => (t, p.ParameterType))
                .Concat(t.GetFields(all).Select(f => (t, f.FieldType))))
            .Where(x => typeof(IServiceProvider).IsAssignableFrom(x.Item2))
            .Select(x => x.t.Name)
            .ToList();
        Assert.Empty(offenders);
    }
}
