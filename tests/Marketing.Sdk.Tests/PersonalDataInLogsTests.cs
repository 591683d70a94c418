using Microsoft.Extensions.DependencyInjection;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Testing;

namespace Marketing.Sdk.Tests;

public class PersonalDataInLogsTests
{
    [Fact]
    public async Task No_identity_value_appears_in_any_log_record_or_error_of_a_full_run()
    {
        // A whole synthetic shop — merges, refusals, shared devices, bots, rejections — with every
        // log level captured; then every message, structured value and exception is searched for
        // every identity value the shop used.
        await using var host = new TestHost(m => m.ConfigureIdentityResolution(o => o.MaxPeoplePerSharedIdentity = 2));
        var shop = new SyntheticShop(new SyntheticShopOptions { Customers = 150, Start = TestHost.Now.AddDays(-60), Days = 59, InvalidRate = 0.05 });
        var errors = new List<string>();
        foreach (var batch in shop.Events().Chunk(200))
        {
            var result = await host.Collector.TrackBatchAsync(batch);
            errors.AddRange(result.Results.Where(r => r.Error is not null).Select(r => r.Error!.ToString()));
        }
        var records = host.Logs.Collector.GetSnapshot();
        Assert.NotEmpty(records);
        Assert.NotEmpty(errors);
        var text = string.Join("\n", records.Select(r =>
            r.Message + " " + string.Join(" ", r.StructuredState?.Select(kv => kv.Value) ?? []) + " " + r.Exception) .Concat(errors));

        var secrets = shop.People.SelectMany(p => p.Identities).Select(i => i.Value.Trim()).ToList();
        secrets.AddRange(shop.People.SelectMany(p => p.Identities).Where(i => i.Kind == IdentityKind.Phone).Select(i => i.Value.Replace(" ", "", StringComparison.Ordinal)));
        secrets.AddRange(shop.People.SelectMany(p => p.Identities).Where(i => i.Kind == IdentityKind.Email).Select(i => i.Value.Trim().ToLowerInvariant()));
        secrets.Add("not-an-email");
        Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.OrdinalIgnoreCase));
    }
}

public class HostExceptionsInLogsTests
{
    private const string Email = "leak.buyer@example.com";
    private const string Phone = "+8613912345678";
    private const string Ip = "203.0.113.77";

    [Fact]
    public async Task Exceptions_of_listeners_resolvers_and_merge_listeners_are_logged_without_their_messages()
    {
        await using var host = new TestHost(m => m
            .UseGeoResolver<LeakingGeoResolver>()
            .AddEventListener<LeakingEventListener>()
            .AddProfileMergeListener<LeakingMergeListener>());

        await host.Track(Identity.Phone("13800138000"));
        await host.Track(Identity.Device("idfa-1"));
        var r = await host.Collector.TrackAsync(host.Event(EventType.Login, Identity.Phone("13800138000"), Identity.Device("idfa-1")) with { IpAddress = Ip });
        Assert.Equal(TrackStatus.Accepted, r.Status);

        var records = host.Logs.Collector.GetSnapshot();
        // Each failure is logged (type and code at the usual level, a redacted exception at Debug)…
        Assert.Contains(records, l => l.Id.Id == 1004 && l.Message.Contains(nameof(InvalidOperationException), StringComparison.Ordinal));
        Assert.Contains(records, l => l.Id.Id == 1005 && l.Message.Contains(nameof(HttpRequestException), StringComparison.Ordinal));
        Assert.Contains(records, l => l.Id.Id == 1104 && l.Message.Contains(nameof(ArgumentException), StringComparison.Ordinal));
        Assert.Contains(records, l => l.Id.Id == 1007 && l.Exception is not null);
        Assert.All(records.Where(l => l.Level > Microsoft.Extensions.Logging.LogLevel.Debug), l => Assert.Null(l.Exception));

        // …and nothing of their messages: no email, phone or IP address anywhere.
        var text = string.Join("\n", records.Select(l =>
            l.Message + " " + string.Join(" ", l.StructuredState?.Select(kv => kv.Value) ?? []) + " " + l.Exception));
        Assert.DoesNotContain(Email, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Phone, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("13800138000", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Ip, text, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class LeakingGeoResolver : IGeoResolver
    {
        public ValueTask<string?> ResolveRegionAsync(string ipAddress, CancellationToken cancellationToken = default) =>
            throw new HttpRequestException($"lookup of {ipAddress} failed", new InvalidOperationException($"address {Ip} not in database"));
    }

    private sealed class LeakingEventListener : IMarketingEventListener
    {
        public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException($"mail to {Email} bounced; sms to {Phone} failed; identities {string.Join(",", events.SelectMany(e => e.Identities).Select(i => i.Value))}");
    }

    private sealed class LeakingMergeListener : IProfileMergeListener
    {
        public ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default) =>
            throw new ArgumentException($"customer with phone {Phone} and email {Email} not found", nameof(survivor));
    }
}
