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
