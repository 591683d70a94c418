using System.Text.Json;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

public sealed class ErasureTests
{
    private static readonly string[] Scopes = [WeComMonthlyCap.Scope, WeComSentLedger.Scope, WeComMassTaskTracker.Scope, OfficialAccountFollowerSync.CheckpointScope];

    private static async Task<List<(string Scope, StateEntry Entry)>> EntriesAsync(IStateStore store)
    {
        var all = new List<(string, StateEntry)>();
        foreach (var scope in Scopes)
        {
            await foreach (var entry in store.StreamAsync(scope))
            {
                all.Add((scope, entry));
            }
        }
        return all;
    }

    private static bool Mentions((string Scope, StateEntry Entry) e, string text) =>
        e.Entry.Key.Contains(text, StringComparison.Ordinal) || e.Entry.Value.Contains(text, StringComparison.Ordinal);

    [Fact]
    public async Task Erasing_a_WeCom_contact_removes_their_cap_counts_ledger_entries_and_reported_results_and_nothing_else()
    {
        await using var harness = await WeComHarness.StartAsync(new WeComEmulatorOptions { AutoConfirmMassTasks = false });
        harness.Emulator.AddContact("sales-1", "wm-1");
        harness.Emulator.AddContact("sales-1", "wm-2");
        var (client, _) = harness.Client(Messages.UseCouponText);
        var channel = new WeComMassMessageChannel(client, harness.Store);
        var sent = await channel.SendAsync([Messages.Mass("wm-1", "m1"), Messages.Mass("wm-2", "m2")]);
        // Both results already reported by a poll of the (still open) task.
        var taskKey = client.Options.CorpId + "|" + sent[0].ProviderMessageId!.Split(':')[0];
        var taskEntry = await harness.Store.GetAsync(WeComMassTaskTracker.Scope, taskKey);
        var task = JsonSerializer.Deserialize(taskEntry!.Value, WeComJsonContext.Default.WeComTrackedTask)!;
        await harness.Store.SaveAsync(WeComMassTaskTracker.Scope, taskKey,
            JsonSerializer.Serialize(task with { Reported = [sent[0].ProviderMessageId!, sent[1].ProviderMessageId!] }, WeComJsonContext.Default.WeComTrackedTask), taskEntry.Version);
        var gone = WeComClient.Pseudonym("wm-1");
        var kept = WeComClient.Pseudonym("wm-2");
        var before = await EntriesAsync(harness.Store);
        Assert.Equal(3, before.Count(e => Mentions(e, gone))); // cap count, ledger entry, reported result
        var eraser = new WeChatDataEraser(harness.Store);

        var erased = await eraser.EraseAsync(new CustomerId("c-1"), [Identity.WeComExternalUserId("wm-1"), Identity.Email("a@example.com")]);

        var after = await EntriesAsync(harness.Store);
        Assert.Equal(3, erased);
        Assert.DoesNotContain(after, e => Mentions(e, gone));
        Assert.Equal(3, after.Count(e => Mentions(e, kept)));
        Assert.Equal(before.Count - 2, after.Count); // the task stays, trimmed
        Assert.Equal(0, await eraser.EraseAsync(new CustomerId("c-1"), [Identity.WeComExternalUserId("wm-1")]));
    }

    [Fact]
    public async Task A_follower_sync_stopped_at_the_erased_openid_starts_again_and_other_checkpoints_stay()
    {
        await using var h = await OaHarness.StartAsync(o => o with { FollowersPageSize = 100 });
        h.Emulator.AddFollowers(Enumerable.Range(0, 250).Select(i => (OaData.OpenId(i), (string?)null)));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(h.Time);
        services.AddMarketingSdk(m => m.AddWeChatOfficialAccount(o =>
        {
            o.BaseAddress = h.Emulator.BaseAddress;
            o.AppId = h.Emulator.AppId;
            o.AppSecret = h.Emulator.AppSecret;
            o.RequestsPerSecond = 0;
        }).AddWeCom(o => { o.CorpId = "corp"; o.CorpSecret = "secret"; o.AgentId = 1; }));
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IStateStore>();
        await store.SaveAsync(OfficialAccountFollowerSync.CheckpointScope, "other-app", "{\"after\":\"" + OaData.OpenId(7) + "\"}", 0);
        await provider.GetRequiredService<OfficialAccountFollowerSync>().RunAsync(maxFollowers: 100);
        var eraser = Assert.Single(provider.GetServices<IPersonalDataEraser>(), e => e.Name == "wechat.state");
        Assert.Contains(OaData.OpenId(99), (await store.GetAsync(OfficialAccountFollowerSync.CheckpointScope, h.Emulator.AppId))!.Value, StringComparison.Ordinal);

        Assert.Equal(0, await eraser.EraseAsync(new CustomerId("c-5"), [Identity.WeChatOpenId(OaData.OpenId(5))]));
        Assert.Equal(1, await eraser.EraseAsync(new CustomerId("c-99"), [Identity.WeChatOpenId(OaData.OpenId(99))]));

        Assert.Null(await store.GetAsync(OfficialAccountFollowerSync.CheckpointScope, h.Emulator.AppId));
        Assert.NotNull(await store.GetAsync(OfficialAccountFollowerSync.CheckpointScope, "other-app"));
        var rerun = await provider.GetRequiredService<OfficialAccountFollowerSync>().RunAsync();
        Assert.Equal(250, rerun.Followers); // from the beginning
        Assert.True(rerun.Completed);
    }
}
