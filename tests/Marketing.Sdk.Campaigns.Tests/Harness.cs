using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Campaigns.Tests;

/// <summary>A channel that records every message it is handed (shared by the hosts of one test, like a provider).</summary>
internal sealed class RecordingChannel : IMessageChannel
{
    public ConcurrentQueue<PreparedMessage> Sent { get; } = new();
    public Channel Name => Channel.Email;
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.DeliveryReceipts;
    public MessageTemplateRules TemplateRules { get; } = new();
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.Email];
    public int MaxBatchSize => 50;

    public ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        var results = new List<RecipientResult>();
        for (var i = 0; i < messages.Count; i++)
        {
            Sent.Enqueue(messages[i]);
            results.Add(RecipientResult.Accepted(i, "p-" + messages[i].MessageId));
        }
        return ValueTask.FromResult<IReadOnlyList<RecipientResult>>(results);
    }
}

/// <summary>An audience from a list.</summary>
internal sealed class ListAudience(IReadOnlyList<CampaignAudienceMember> members) : ICampaignAudience
{
    public async IAsyncEnumerable<CampaignAudienceMember> GetMembersAsync(string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var m in members)
        {
            yield return m;
        }
        await Task.CompletedTask;
    }
}

/// <summary>A sender that stops the host (throws, as a killed process would stop) after a number of sends, after the inner send stored the message.</summary>
internal sealed class KillingSender(IMessageSender inner, int killAfter) : IMessageSender
{
    private int _calls;

    public async ValueTask<MessageSendResult> SendAsync(MessageRequest request, CancellationToken cancellationToken = default)
    {
        var result = await inner.SendAsync(request, cancellationToken);
        if (++_calls >= killAfter)
        {
            throw new OperationCanceledException("host killed"); // the message is stored, the campaign's record is not
        }
        return result;
    }
}

internal sealed class Host : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public Host(IReadOnlyList<CampaignAudienceMember> audience, RecordingChannel? channel = null, Action<IMarketingBuilder>? storage = null, DateTimeOffset? now = null, int? killAfter = null, Action<CampaignOptions>? configure = null)
    {
        Time = new FakeTimeProvider(now ?? Start);
        Channel = channel ?? new RecordingChannel();
        var sc = new ServiceCollection();
        sc.AddSingleton<TimeProvider>(Time);
        sc.AddSingleton<IMessageChannel>(Channel);
        sc.AddSingleton<ICampaignAudience>(new ListAudience(audience));
        sc.AddLogging();
        sc.AddMarketingSdk(m =>
        {
            storage?.Invoke(m);
            m.AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.QuietHoursStart = null;
                o.CustomerCap = null;
                o.DefaultChannelCap = null;
                o.AddTemplate(new MessageTemplate { Id = "edm_a", Channel = Marketing.Sdk.Channel.Email });
                o.AddTemplate(new MessageTemplate { Id = "edm_b", Channel = Marketing.Sdk.Channel.Email });
                o.AddTemplate(new MessageTemplate { Id = "edm_loyal", Channel = Marketing.Sdk.Channel.Email });
            });
            m.AddCampaigns(o =>
            {
                o.RunInBackground = false;
                configure?.Invoke(o);
            });
        });
        if (killAfter is { } k)
        {
            var original = sc.Single(d => d.ServiceType == typeof(IMessageSender));
            sc.Remove(original);
            sc.AddSingleton<IMessageSender>(sp => new KillingSender((IMessageSender)original.ImplementationFactory!(sp), k));
        }
        Provider = sc.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _ = Provider.GetRequiredService<IOptions<CampaignOptions>>().Value;
    }

    public FakeTimeProvider Time { get; }
    public RecordingChannel Channel { get; }
    public ServiceProvider Provider { get; }
    public ICampaignRunner Runner => Provider.GetRequiredService<ICampaignRunner>();
    public IStateStore State => Provider.GetRequiredService<IStateStore>();
    public IEventStore Events => Provider.GetRequiredService<IEventStore>();

    public async Task AddProfilesAsync(IEnumerable<CampaignAudienceMember> members)
    {
        var store = Provider.GetRequiredService<IProfileStore>();
        foreach (var m in members)
        {
            if (await store.GetAsync(m.CustomerId) is null)
            {
                await store.SaveAsync(new CustomerProfile
                {
                    Id = m.CustomerId,
                    Identities = [Identity.Email(m.CustomerId.Value + "@example.com")],
                    Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(true, Start.AddDays(-10)) },
                });
            }
        }
    }

    public async Task<int> DeliverAllAsync()
    {
        var worker = Provider.GetRequiredService<MessageDeliveryWorker>();
        var total = 0;
        while (true)
        {
            var round = await worker.DeliverOnceAsync(Marketing.Sdk.Channel.Email);
            if (round.Claimed == 0)
            {
                return total;
            }
            total += round.Claimed;
        }
    }

    public static List<CampaignAudienceMember> Audience(int count, Func<int, string>? layer = null) =>
        [.. Enumerable.Range(0, count).Select(i => new CampaignAudienceMember(new CustomerId($"c{i:D5}"), layer?.Invoke(i) ?? "active"))];

    public static CampaignDefinition Campaign(string id = "summer", double holdout = 0.1, int maxPerHour = 100, bool chooseSendTime = false, TimeSpan? window = null) => new()
    {
        Id = id,
        SegmentId = "all",
        Channel = Marketing.Sdk.Channel.Email,
        LayerVariants = new Dictionary<string, IReadOnlyList<CampaignVariant>>
        {
            ["loyal"] = [new CampaignVariant { Key = "thanks", TemplateId = "edm_loyal" }],
            ["active"] = [new CampaignVariant { Key = "a", TemplateId = "edm_a" }, new CampaignVariant { Key = "b", TemplateId = "edm_b" }],
        },
        HoldoutShare = holdout,
        WindowStart = Start,
        WindowEnd = Start + (window ?? TimeSpan.FromDays(1)),
        MaxPerHour = maxPerHour,
        ChooseSendTime = chooseSendTime,
    };

    public async ValueTask DisposeAsync() => await Provider.DisposeAsync();
}
