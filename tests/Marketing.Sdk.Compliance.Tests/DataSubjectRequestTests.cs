using System.Text.Json;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class DataSubjectRequestTests
{
    internal const string Email = "li.lei@example.com";
    internal const string Phone = "+8613812345678";

    internal sealed class JourneyStateEraser : IPersonalDataEraser
    {
        public HashSet<CustomerId> Held { get; } = [];
        public string Name => "test.journeys";

        public ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Held.Remove(customerId) ? 1L : 0L);
    }

    internal static async Task<CustomerId> SeedAsync(Host host)
    {
        var collector = host.Get<IEventCollector>();
        var result = await collector.TrackAsync(new MarketingEvent
        {
            Id = "e1", Type = EventType.SignUp, OccurredAt = host.Time.GetUtcNow().AddMinutes(-5),
            Identities = [Identity.Email(Email), Identity.Phone(Phone)],
        });
        var customer = result.CustomerId!.Value;
        await collector.TrackAsync(new MarketingEvent
        {
            Id = "e2", Type = EventType.Purchase, OccurredAt = host.Time.GetUtcNow().AddMinutes(-1),
            Identities = [Identity.Email(Email)], Value = new Money(99m, "CNY"),
        });
        await host.Get<ConsentLedger>().RecordAsync(customer, [ConsentPurpose.Email, ConsentPurpose.AdMeasurement], true, new ConsentCapture(ConsentSources.Web, "v1"));
        return customer;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Export_contains_every_kind_of_record_and_erasure_leaves_nothing(bool sqlite)
    {
        var journeys = new JourneyStateEraser();
        await using var host = await Host.CreateAsync(sqlite, extra: s => s.AddSingleton<IPersonalDataEraser>(journeys));
        var customer = await SeedAsync(host);
        journeys.Held.Add(customer);
        var dsr = host.Get<DataSubjectRequestService>();

        var export = await dsr.ExportAsync(customer);
        Assert.NotNull(export.Profile);
        Assert.Equal(2, export.Identities.Count);
        Assert.Equal(["e1", "e2"], export.Events.Select(e => e.Id));
        Assert.Equal(2, export.Consents.Count);
        Assert.Contains(export.AuditEntries, a => a.Record.Action == "consent.granted");
        Assert.Contains(export.AuditEntries, a => a.Record.Action == "dsr.exported");
        Assert.Contains(export.Requests, r => r.Kind == DataSubjectRequestKind.Access && r.Status == DataSubjectRequestStatus.Completed);

        var json = await dsr.ExportJsonAsync(customer);
        using (var doc = JsonDocument.Parse(json))
        {
            var root = doc.RootElement;
            foreach (var key in new[] { "customerId", "exportedAt", "profile", "identities", "events", "consents", "auditEntries", "requests" })
            {
                Assert.True(root.TryGetProperty(key, out _), key);
            }
            Assert.Contains(Email, json);
            Assert.Equal(2, root.GetProperty("events").GetArrayLength());
        }

        var erased = await dsr.EraseAsync(customer);
        Assert.True(erased.Store.Total > 0);
        Assert.Equal(1, erased.Components["test.journeys"]);
        Assert.Empty(journeys.Held);

        var after = await dsr.ExportAsync(customer);
        Assert.Null(after.Profile);
        Assert.Empty(after.Identities);
        Assert.Empty(after.Events);
        Assert.Empty(after.Consents);
        Assert.Empty(await host.Get<IIdentityGraphStore>().FindAsync([Identity.Email(Email), Identity.Phone(Phone)]));
        Assert.Contains(after.AuditEntries, a => a.Record.Action == "dsr.erased");
        Assert.DoesNotContain(after.AuditEntries, a => (a.Record.Details ?? "").Contains(Email, StringComparison.Ordinal));
        if (sqlite)
        {
            Assert.Equal(0, await host.CountSqliteRowsAsync(customer));
        }
    }

    [Fact]
    public async Task Requests_are_tracked_with_their_deadline()
    {
        await using var host = await Host.CreateAsync(configure: c => c.Configure(o => o.DataSubjectRequestDeadline = TimeSpan.FromDays(15)));
        var dsr = host.Get<DataSubjectRequestService>();
        var customer = new CustomerId("c_deadline");
        var request = await dsr.SubmitAsync(DataSubjectRequestKind.Erasure, customer);
        Assert.Equal(host.Time.GetUtcNow().AddDays(15), request.DueAt);
        Assert.Empty(await dsr.GetOverdueAsync());
        host.Time.Advance(TimeSpan.FromDays(16));
        Assert.Equal([request.Id], (await dsr.GetOverdueAsync()).Select(r => r.Id));

        var erased = await dsr.EraseAsync(customer, request.Id);
        Assert.Equal(request.Id, erased.Request.Id);
        Assert.Equal(DataSubjectRequestStatus.Completed, erased.Request.Status);
        Assert.Empty(await dsr.GetOverdueAsync());
        await Assert.ThrowsAsync<ComplianceException>(async () => await dsr.ExportAsync(customer, request.Id));
    }

    [Fact]
    public async Task Restriction_denies_every_use_until_lifted()
    {
        await using var host = await Host.CreateAsync();
        var customer = await SeedAsync(host);
        var gate = host.Get<IConsentGate>();
        Assert.True((await gate.CheckAsync(customer, ConsentPurpose.Email)).Allowed);
        var dsr = host.Get<DataSubjectRequestService>();
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await dsr.RestrictAsync(customer);
        Assert.Equal(ConsentDecisionReason.Restricted, (await gate.CheckAsync(customer, ConsentPurpose.Email)).Reason);
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await dsr.RestrictAsync(customer, restrict: false);
        Assert.True((await gate.CheckAsync(customer, ConsentPurpose.Email)).Allowed);
    }

    [Fact]
    public async Task Rectification_changes_the_profile_and_is_audited()
    {
        await using var host = await Host.CreateAsync();
        var customer = await SeedAsync(host);
        var dsr = host.Get<DataSubjectRequestService>();
        var saved = await dsr.RectifyAsync(customer, p => p with { Traits = new Dictionary<string, PropertyValue> { ["city"] = PropertyValue.From("Hangzhou") } });
        Assert.Equal("Hangzhou", saved.Trait("city").AsString());
        var audit = await host.Get<IAuditLogStore>().ReadAsync().ToListAsync();
        Assert.Contains(audit, a => a.Record.Action == "dsr.rectified" && a.Record.Subject == customer);
        await Assert.ThrowsAsync<ComplianceException>(async () => await dsr.RectifyAsync(customer, p => p with { Id = new CustomerId("c_other") }));
    }
}
