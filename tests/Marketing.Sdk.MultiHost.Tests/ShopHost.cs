using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Marketing.Sdk.MultiHost.Tests;

/// <summary>
/// A shop backend process with everything on: identity, real-time segments, stage tracking, journeys whose actions
/// go through the outbox, the hosted duties (segment republish sweep, journey scheduler) and an outbox delivery
/// loop into a recording sink. <c>shop &lt;schema&gt; &lt;stream file&gt; &lt;from&gt;</c> ingests the file from line
/// <c>from</c> on, printing <c>acked N</c> once every line before N is stored; <c>drain &lt;schema&gt;</c> runs the
/// duties until nothing is left to do (no change waiting for delivery, no journey step due, no outbox message waiting).
/// </summary>
public static class ShopHost
{
    public const int BatchSize = 16;
    public const string Destination = "multihost.journey";

    /// <summary>Segments (real time, no rolling window, so a replay at another time decides the same).</summary>
    public static readonly (string Id, string Rule)[] Segments =
    [
        ("buyers", "exists(purchase)"),
        ("browsers", "count(product_view) >= 3"),
        ("carters", "exists(add_to_cart) and not exists(purchase)"),
    ];

    public static void Configure(IServiceCollection services, string cs, string schema)
    {
        services.AddSingleton<ISegmentMembershipListener>(new RecordingListener(cs, schema));
        services.AddSingleton<IJourneyActionHandler, OutboxActionHandler>();
        var parts = Environment.GetEnvironmentVariable("MULTIHOST_PARTS") ?? "all";
        if (parts == "core")
        {
            services.AddMarketingSdk(m => m.UsePostgreSql(cs, o => o.Schema = schema));
            return;
        }
        if (parts == "segments")
        {
            services.AddMarketingSdk(m => m.UsePostgreSql(cs, o => o.Schema = schema).AddSegmentation(o => o.DefinitionsReloadInterval = TimeSpan.Zero));
            return;
        }
        services.AddMarketingSdk(m => m
            .UsePostgreSql(cs, o => o.Schema = schema)
            // The shared-identity cap (a device seen with more than N person-level identities stops linking) decides by
            // arrival order, so two orders of one stream may link a device differently; without it the profiles are the
            // connected components of the identities, the same for every order and every number of hosts.
            .ConfigureIdentityResolution(o => o.SharedKinds.Clear())
            .AddSegmentation(o =>
            {
                o.RepublishAfter = TimeSpan.FromSeconds(2);
                o.DefinitionsReloadInterval = TimeSpan.Zero;
            })
            .AddLifecycle(o =>
            {
                o.Journeys.QuietHoursStart = null;
                o.Journeys.RequireMessageConsent = false;
                o.Journeys.PollInterval = TimeSpan.FromSeconds(1);
                o.Journeys.Add("welcome_buyer", j => j.OnSegmentEnter("buyers").Reentry(false).Do(new JourneyAction { Kind = "multihost.notify", Parameters = new Dictionary<string, string> { ["what"] = "welcome" } }));
                o.Journeys.Add("nudge_carter", j => j.OnSegmentEnter("carters").Reentry(false).Do(new JourneyAction { Kind = "multihost.notify", Parameters = new Dictionary<string, string> { ["what"] = "nudge" } }));
            }));
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var cs = Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")!;
        var schema = args[1];
        var services = new ServiceCollection();
        Configure(services, cs, schema);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }
        using var stop = new CancellationTokenSource();
        var delivery = DeliverAsync(provider.GetRequiredService<IOutboxStore>(), cs, schema, stop.Token);
        int code;
        if (args[0] == "shop")
        {
            code = await IngestAsync(provider.GetRequiredService<IEventCollector>(), args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
        }
        else
        {
            code = await DrainAsync(cs, schema) ? 0 : 4;
        }
        await stop.CancelAsync();
        await delivery;
        foreach (var h in hosted)
        {
            await h.StopAsync(CancellationToken.None);
        }
        return code;
    }

    private static async Task<int> IngestAsync(IEventCollector collector, string file, int from)
    {
        var lines = await File.ReadAllLinesAsync(file);
        for (var i = from; i < lines.Length; i += BatchSize)
        {
            var batch = lines.Skip(i).Take(BatchSize).Select(l => JsonSerializer.Deserialize(l, MarketingJsonContext.Default.MarketingEvent)!).ToList();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var result = await collector.TrackBatchAsync(batch);
                    if (result.Rejected > 0)
                    {
                        await Console.Error.WriteLineAsync($"rejected {result.Rejected} at {i}");
                        return 3;
                    }
                    break;
                }
                catch (MarketingException) when (attempt < 20)
                {
                    // A store failure (or a listener's) concerns the call: the batch is tracked again (stored events are duplicates).
                }
            }
            Console.Out.WriteLine($"acked {Math.Min(i + BatchSize, lines.Length)}");
            Console.Out.Flush();
        }
        return 0;
    }

    /// <summary>Polls until nothing is left to do (bounded): the duties run meanwhile in the background.</summary>
    private static async Task<bool> DrainAsync(string cs, string schema)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(3);
        var quiet = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            var nowTicks = DateTimeOffset.UtcNow.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
            await using var cmd = new NpgsqlCommand($"""
                SELECT (SELECT COUNT(*) FROM "{schema}".state_entries WHERE scope = 'segmentation.changes')
                     + (SELECT COUNT(*) FROM "{schema}".state_entries WHERE scope = 'journey.due' AND key < @now)
                     + (SELECT COUNT(*) FROM "{schema}".outbox_messages WHERE state IN (0, 1))
                """, conn);
            cmd.Parameters.AddWithValue("now", nowTicks);
            var left = Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
            // Quiet three polls in a row: a due step that ran enqueued its message before its index entry went.
            quiet = left == 0 ? quiet + 1 : 0;
            if (quiet >= 3)
            {
                return true;
            }
            await Task.Delay(500);
        }
        return false;
    }

    /// <summary>The delivery worker: claims journey messages under a lease, records each delivery in the sink, acknowledges.</summary>
    private static async Task DeliverAsync(IOutboxStore outbox, string cs, string schema, CancellationToken stopping)
    {
        var worker = "host-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var claimed = await outbox.ClaimAsync(worker, 100, TimeSpan.FromSeconds(10), Destination, stopping);
                if (claimed.Count == 0)
                {
                    await Task.Delay(200, stopping);
                    continue;
                }
                await using (var conn = new NpgsqlConnection(cs))
                {
                    await conn.OpenAsync(stopping);
                    foreach (var m in claimed)
                    {
                        await using var cmd = new NpgsqlCommand($"INSERT INTO \"{schema}\".rec_deliveries (idempotency_key, message_id, attempt) VALUES (@k, @id, @a)", conn);
                        cmd.Parameters.AddWithValue("k", m.Message.IdempotencyKey);
                        cmd.Parameters.AddWithValue("id", m.Id);
                        cmd.Parameters.AddWithValue("a", m.AttemptCount);
                        await cmd.ExecuteNonQueryAsync(stopping);
                    }
                }
                await outbox.AckManyAsync([.. claimed.Select(m => (m.Id, m.LeaseToken))], stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (MarketingStoreException)
            {
                // Claimed messages return after their lease; the loop goes on.
            }
        }
    }
}

/// <summary>Journey actions go through the outbox: one message per action, keyed by the action's idempotency key.</summary>
internal sealed class OutboxActionHandler(IOutboxStore outbox) : IJourneyActionHandler
{
    public bool CanHandle(JourneyAction action) => action.Kind == "multihost.notify";

    public async ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default) =>
        await outbox.EnqueueAsync([new OutboxMessage
        {
            Destination = ShopHost.Destination,
            IdempotencyKey = request.IdempotencyKey,
            Payload = System.Text.Encoding.UTF8.GetBytes(request.Action.Parameters["what"]),
            CustomerId = request.CustomerId,
        }], cancellationToken);
}

/// <summary>Records every delivered segment change in a table keyed by change id, counting redeliveries.</summary>
internal sealed class RecordingListener(string cs, string schema) : ISegmentMembershipListener
{
    public async ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(cancellationToken);
        foreach (var c in changes)
        {
            if (c.ChangeId is null)
            {
                // Lifecycle stage changes carry no id (they are not recorded for redelivery): counted apart.
                await using var stage = new NpgsqlCommand($"INSERT INTO \"{schema}\".rec_stage_changes (segment, customer, entered) VALUES (@s, @c, @e)", conn);
                stage.Parameters.AddWithValue("s", c.SegmentId);
                stage.Parameters.AddWithValue("c", c.CustomerId.Value);
                stage.Parameters.AddWithValue("e", c.Entered);
                await stage.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }
            await using var cmd = new NpgsqlCommand($"""
                INSERT INTO "{schema}".rec_changes (change_id, segment, customer, entered, at_ticks, deliveries) VALUES (@id, @s, @c, @e, @t, 1)
                ON CONFLICT (change_id) DO UPDATE SET deliveries = rec_changes.deliveries + 1
                """, conn);
            cmd.Parameters.AddWithValue("id", c.ChangeId);
            cmd.Parameters.AddWithValue("s", c.SegmentId);
            cmd.Parameters.AddWithValue("c", c.CustomerId.Value);
            cmd.Parameters.AddWithValue("e", c.Entered);
            cmd.Parameters.AddWithValue("t", c.At.UtcTicks);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
