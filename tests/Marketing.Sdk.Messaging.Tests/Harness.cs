using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Messaging.Tests;

/// <summary>A channel that records every call and answers from a script (accepted by default).</summary>
internal sealed class RecordingChannel(Channel name, params IdentityKind[] addressKinds) : IMessageChannel
{
    public ConcurrentQueue<PreparedMessage> Sent { get; } = new();
    public int Calls;
    public Queue<Func<int, RecipientResult>> Script { get; } = new();
    public Func<Exception>? Throw { get; set; }

    public Channel Name { get; } = name;
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.DeliveryReceipts | MessageChannelCapabilities.ProviderDeduplication;
    public MessageTemplateRules TemplateRules { get; init; } = new() { MaxParameterLength = 40, MaxParameterUtf8Bytes = 60 };
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = addressKinds.Length == 0 ? [IdentityKind.Email] : addressKinds;
    public int MaxBatchSize => 10;

    public ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        if (Throw is { } t)
        {
            throw t();
        }
        var results = new List<RecipientResult>();
        for (var i = 0; i < messages.Count; i++)
        {
            var result = Script.Count > 0 ? Script.Dequeue()(i) : RecipientResult.Accepted(i, "p-" + messages[i].MessageId);
            if (result.Outcome != RecipientOutcome.Rejected)
            {
                Sent.Enqueue(messages[i]);
            }
            results.Add(result);
        }
        return ValueTask.FromResult<IReadOnlyList<RecipientResult>>(results);
    }
}

internal sealed class FakeProfileStore : IProfileStore
{
    private readonly ConcurrentDictionary<CustomerId, CustomerProfile> _profiles = new();

    public void Put(CustomerProfile profile) => _profiles[profile.Id] = profile;
    public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default) => ValueTask.FromResult(_profiles.GetValueOrDefault(id));
    public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default) { Put(profile); return ValueTask.FromResult(profile); }
    public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) => ValueTask.FromResult(_profiles.TryRemove(id, out _));
    public async IAsyncEnumerable<CustomerProfile> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var p in _profiles.Values.OrderBy(p => p.Id))
        {
            yield return p;
        }
        await Task.CompletedTask;
    }
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult((long)_profiles.Count);
}

internal sealed class RecordingListener : IMarketingEventListener
{
    public ConcurrentQueue<MarketingEvent> Events { get; } = new();

    public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var e in events)
        {
            Events.Enqueue(e);
        }
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<MarketingEvent> Of(EventType type) => [.. Events.Where(e => e.Type == type)];
}

/// <summary>A consent gate that allows what <see cref="Granted"/> holds.</summary>
internal sealed class FakeConsentGate : IConsentGate
{
    public HashSet<(CustomerId, ConsentPurpose)> Granted { get; } = [];

    public ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default)
    {
        var ok = Granted.Contains((customerId, purpose));
        return ValueTask.FromResult(new ConsentDecision(customerId, purpose, destination, ok, ok ? ConsentDecisionReason.Granted : ConsentDecisionReason.Withdrawn, purpose, "test"));
    }

    public async ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default)
    {
        var allowed = new List<CustomerId>();
        var denied = new List<ConsentDecision>();
        foreach (var id in customerIds.Distinct())
        {
            var d = await CheckAsync(id, purpose, destination, cancellationToken);
            if (d.Allowed)
            {
                allowed.Add(id);
            }
            else
            {
                denied.Add(d);
            }
        }
        return new ConsentFilterResult(allowed, denied);
    }
}

internal sealed class Harness : IAsyncDisposable
{
    /// <summary>15:00 UTC = 23:00 in Shanghai, 11:00 in New York (EDT).</summary>
    public static readonly DateTimeOffset Start = new(2026, 6, 2, 15, 0, 0, TimeSpan.Zero);

    public static readonly CustomerId Alice = new("c_alice");
    public static readonly CustomerId Bob = new("c_bob");

    public Harness(Action<MessagingOptions>? configure = null, Action<LifecycleOptions>? lifecycle = null, Action<IServiceCollection>? services = null, Action<IMarketingBuilder>? storage = null, IConsentGate? gate = null)
    {
        Time = new FakeTimeProvider(Start);
        Email = new RecordingChannel(Channel.Email, IdentityKind.Email);
        Sms = new RecordingChannel(Channel.Sms, IdentityKind.Phone);
        var sc = new ServiceCollection();
        sc.AddSingleton<TimeProvider>(Time);
        sc.AddSingleton<IProfileStore>(Profiles);
        sc.AddSingleton<IMarketingEventListener>(Listener);
        sc.AddSingleton<IMessageChannel>(Email);
        sc.AddSingleton<IMessageChannel>(Sms);
        if (gate is not null)
        {
            sc.AddSingleton(gate);
        }
        sc.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
        sc.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services?.Invoke(sc);
        sc.AddMarketingSdk(m =>
        {
            storage?.Invoke(m);
            m.AddLifecycle(o =>
            {
                o.Journeys.RunScheduler = false;
                o.Journeys.QuietHoursStart = null; // messaging keeps the quiet hours
                lifecycle?.Invoke(o);
            });
            m.AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.Delivery.RetryBaseDelay = TimeSpan.FromSeconds(10);
                o.ShopTimeZone = "Asia/Shanghai";
                o.AddTemplate(new MessageTemplate
                {
                    Id = "coupon",
                    Channel = Channel.Email,
                    Parameters = [new MessageTemplateParameter { Name = "code" }, new MessageTemplateParameter { Name = "name", ProfileTrait = "first_name", Required = false }],
                });
                o.AddTemplate(new MessageTemplate { Id = "order_shipped", Channel = Channel.Email, DefaultPurpose = MessagePurpose.Transactional, Parameters = [new MessageTemplateParameter { Name = "order" }] });
                o.AddTemplate(new MessageTemplate { Id = "recall", Channel = Channel.Sms, Parameters = [] });
                configure?.Invoke(o);
            });
        });
        Provider = sc.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _ = Provider.GetRequiredService<IOptions<MessagingOptions>>().Value;
    }

    public FakeTimeProvider Time { get; }
    public FakeProfileStore Profiles { get; } = new();
    public RecordingListener Listener { get; } = new();
    public RecordingChannel Email { get; }
    public RecordingChannel Sms { get; }
    public ServiceProvider Provider { get; }
    public IMessageSender Sender => Provider.GetRequiredService<IMessageSender>();
    public ISuppressionList Suppressions => Provider.GetRequiredService<ISuppressionList>();
    public MessageDeliveryWorker Worker => Provider.GetRequiredService<MessageDeliveryWorker>();
    public IOutboxStore Outbox => Provider.GetRequiredService<IOutboxStore>();
    public FakeLogCollector Logs => Provider.GetFakeLogCollector();

    public void AddCustomer(CustomerId id, string? timeZone = "Asia/Shanghai", string? region = null, bool consent = true)
    {
        var traits = new Dictionary<string, PropertyValue> { ["first_name"] = "Alice" };
        if (timeZone is not null)
        {
            traits["time_zone"] = timeZone;
        }
        if (region is not null)
        {
            traits["region"] = region;
        }
        var profile = new CustomerProfile
        {
            Id = id,
            Identities = [Identity.Email(Marketing.Sdk.Tests.Shared.PiiLogAssert.Email), Identity.Phone(Marketing.Sdk.Tests.Shared.PiiLogAssert.Phone)],
            Traits = traits,
            Consents = new Dictionary<ConsentPurpose, ConsentState>
            {
                [ConsentPurpose.Email] = new(consent, Start),
                [ConsentPurpose.Sms] = new(consent, Start),
            },
        };
        Profiles.Put(profile);
        var store = Provider.GetRequiredService<IProfileStore>();
        if (!ReferenceEquals(store, Profiles) && store.GetAsync(id).AsTask().GetAwaiter().GetResult() is null)
        {
            store.SaveAsync(profile).AsTask().GetAwaiter().GetResult(); // a storage provider replaced the profile store
        }
    }

    public static MessageRequest Coupon(CustomerId customer, string key, bool allowDeferral = false) => new()
    {
        CustomerId = customer,
        Channel = Channel.Email,
        TemplateId = "coupon",
        Parameters = new Dictionary<string, string> { ["code"] = "CART10" },
        IdempotencyKey = key,
        AllowDeferral = allowDeferral,
    };

    public async Task<MessageDeliveryRound> DeliverAsync(Channel? channel = null) => await Worker.DeliverOnceAsync(channel ?? Channel.Email);

    public async ValueTask DisposeAsync() => await Provider.DisposeAsync();
}
