using System.Collections.Concurrent;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Tests;

public class ProfileMergeListenerTests
{
    internal sealed class RecordingMergeListener : IProfileMergeListener
    {
        public ConcurrentQueue<(CustomerId Survivor, CustomerId[] Merged, bool ProfileGone)> Calls { get; } = new();
        public IProfileStore? Profiles { get; set; }

        public async ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default)
        {
            // The merge is committed before listeners hear of it: the merged-away profile no longer exists.
            var gone = Profiles is null || (await Profiles.GetAsync(merged[0], cancellationToken)) is null;
            Calls.Enqueue((survivor, merged.ToArray(), gone));
        }
    }

    internal sealed class ThrowingMergeListener : IProfileMergeListener
    {
        public int Calls;

        public ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            throw new InvalidOperationException("listener broke");
        }
    }

    [Fact]
    public async Task Every_listener_hears_of_a_committed_merge_and_a_failing_one_does_not_undo_it()
    {
        var throwing = new ThrowingMergeListener();
        var recording = new RecordingMergeListener();
        await using var host = new TestHost(m =>
        {
            m.Services.AddSingleton<IProfileMergeListener>(throwing);
            m.Services.AddSingleton<IProfileMergeListener>(recording);
        });
        recording.Profiles = host.ProfileStore;
        var byPhone = await host.Track(Identity.Phone("+8613800138000"));
        var byDevice = await host.Track(Identity.Device("idfa-1"));
        Assert.Empty(recording.Calls);

        var survivor = await host.Track(Identity.Phone("+8613800138000"), Identity.Device("idfa-1"));

        Assert.Equal(byPhone, survivor);
        Assert.Equal(1, throwing.Calls);
        var call = Assert.Single(recording.Calls);
        Assert.Equal(byPhone, call.Survivor);
        Assert.Equal([byDevice], call.Merged);
        Assert.True(call.ProfileGone);
        // The merge stands and the failure is logged without identity values.
        Assert.Equal(1, await host.ProfileStore.CountAsync());
        Assert.Single(await host.Graph.ReadMergesAsync().ToListAsync());
        var error = Assert.Single(host.Logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains(nameof(ThrowingMergeListener), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("idfa-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_event_linking_three_profiles_reports_both_merged_ids_to_the_survivor_once()
    {
        await using var host = new TestHost(m => m.AddProfileMergeListener<RecordingMergeListener>());
        var listener = (RecordingMergeListener)host.Provider.GetServices<IProfileMergeListener>().Single();
        var a = await host.Track(Identity.Phone("+8613800138000"));
        var b = await host.Track(Identity.Device("d1"));
        var c = await host.Track(Identity.Email("a@example.com"));

        await host.Track(Identity.Phone("+8613800138000"), Identity.Device("d1"), Identity.Email("a@example.com"));

        var call = Assert.Single(listener.Calls);
        Assert.Equal(a, call.Survivor);
        Assert.Equal([b, c], call.Merged.Order());
    }

    [Fact]
    public async Task Resolution_without_a_merge_tells_no_listener()
    {
        await using var host = new TestHost(m => m.AddProfileMergeListener<RecordingMergeListener>());
        var listener = (RecordingMergeListener)host.Provider.GetServices<IProfileMergeListener>().Single();
        await host.Track(Identity.Phone("+8613800138000"));
        await host.Track(Identity.Phone("+8613800138000"), Identity.Device("d1"));
        await host.Track(Identity.Member("m1"), Identity.Device("d2"));
        await host.Track(Identity.Member("m2"), Identity.Device("d2")); // never-merge rule: refused
        Assert.Empty(listener.Calls);
    }
}
