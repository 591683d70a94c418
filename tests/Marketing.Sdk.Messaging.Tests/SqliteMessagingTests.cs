using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Messaging.Tests;

public sealed class SqliteMessagingTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"messaging-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }

    private Harness Open() => new(configure: o => o.QuietHoursStart = null, storage: m => m.UseSqlite($"Data Source={_path}"));

    [Fact]
    public async Task The_suppression_list_survives_a_restart_on_a_sqlite_file()
    {
        await using (var first = Open())
        {
            await first.Suppressions.AddAsync(Harness.Alice, Channel.Email, SuppressionReason.Unsubscribed);
            await first.Suppressions.AddAsync(Harness.Alice, null, SuppressionReason.Blocked);
            await first.Suppressions.AddAsync(Harness.Bob, Channel.Sms, SuppressionReason.Bounced);
            Assert.True(await first.Suppressions.RemoveAsync(Harness.Alice, null));
        }
        await using var second = Open();
        second.AddCustomer(Harness.Alice);

        var entry = Assert.Single(await second.Suppressions.GetAsync(Harness.Alice));
        Assert.Equal((Channel.Email, SuppressionReason.Unsubscribed), (entry.Channel!.Value, entry.Reason));
        Assert.Equal(SuppressionReason.Bounced, (await second.Suppressions.FindBlockingAsync(Harness.Bob, Channel.Sms, MessagePurpose.Transactional))!.Reason);
        Assert.Null(await second.Suppressions.FindBlockingAsync(Harness.Alice, Channel.Email, MessagePurpose.Transactional));
        Assert.Equal(MessageSkipReason.Unsubscribed, (await second.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"))).Reason);
    }

    [Fact]
    public async Task A_message_stored_before_a_restart_is_delivered_once_after_it()
    {
        string messageId;
        await using (var first = Open())
        {
            first.AddCustomer(Harness.Alice);
            messageId = (await first.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"))).MessageId;
        }
        await using var second = Open();
        second.AddCustomer(Harness.Alice);

        var replay = await second.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        var round = await second.DeliverAsync();
        var again = await second.DeliverAsync();

        Assert.Equal(messageId, replay.MessageId);
        Assert.Equal((1, 1), (round.Claimed, round.Accepted));
        Assert.Equal(0, again.Claimed);
        Assert.Equal(messageId, Assert.Single(second.Email.Sent).MessageId);
        Assert.Equal(1, (await second.Outbox.CountAsync()).Delivered);
    }
}
