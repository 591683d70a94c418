using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Campaigns.Tests;

public sealed class SqliteResumeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"campaigns-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }

    [Fact]
    public async Task A_campaign_killed_mid_send_resumes_on_a_new_host_without_a_duplicate()
    {
        var audience = Host.Audience(80, i => i % 3 == 0 ? "loyal" : "active");
        var channel = new RecordingChannel(); // the provider outlives the hosts
        var campaign = Host.Campaign(holdout: 0.25, maxPerHour: 1000);

        await using (var first = new Host(audience, channel, m => m.UseSqlite($"Data Source={_path}"), killAfter: 25))
        {
            await first.AddProfilesAsync(audience);
            await first.Runner.StartAsync(campaign);
            // The 25th send stores its message, then the host dies before the campaign records it.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await first.Runner.RunOnceAsync("summer"));
            Assert.Equal(25, await first.DeliverAllAsync());
        }

        // A new host on the same file: the dead host's lease holds the campaign until it lapses.
        await using var second = new Host(audience, channel, m => m.UseSqlite($"Data Source={_path}"), now: Host.Start.AddMinutes(1));
        var blocked = await second.Runner.RunOnceAsync("summer");
        Assert.False(blocked.Ran);
        Assert.Equal(24, blocked.Handled);

        second.Time.Advance(TimeSpan.FromMinutes(5));
        var done = await second.Runner.RunOnceAsync("summer");
        var delivered = await second.DeliverAllAsync();

        Assert.True(done.Ran);
        Assert.Equal(CampaignState.Completed, done.State);
        Assert.Equal(done.Recipients - 24, done.HandedOver); // the 25th is handed over again, and the sender's idempotency key keeps it to one message
        Assert.Equal(done.Recipients - 25, delivered);
        var holdout = new HashSet<string>();
        await foreach (var e in second.State.StreamAsync(CampaignRunner.RecipientScope, "summer|"))
        {
            if (JsonSerializer.Deserialize(e.Value, CampaignJsonContext.Default.RecipientRecord)!.Status == RecipientStatus.Holdout)
            {
                holdout.Add(e.Key["summer|".Length..]);
            }
        }
        var perCustomer = channel.Sent.GroupBy(m => m.CustomerId.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(perCustomer.Values, c => Assert.Equal(1, c)); // each recipient exactly once
        Assert.Equal(audience.Select(m => m.CustomerId.Value).Where(c => !holdout.Contains(c)).Order(), perCustomer.Keys.Order()); // every recipient
        Assert.DoesNotContain(perCustomer.Keys, holdout.Contains); // the holdout never messaged
        Assert.Equal(80 - holdout.Count, done.Recipients);
        Assert.InRange(holdout.Count, 8, 32);

        var report = await second.Runner.GetReportAsync("summer");
        Assert.Equal(done.Recipients, report.Groups.Where(g => g.Variant is not null).Sum(g => g.Sent));
    }
}
