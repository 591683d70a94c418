using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailKit.Security;
using Marketing.Sdk.Campaigns;
using Marketing.Sdk.Email;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.AliyunSms;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Platforms.TencentCloudSms;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Testing.Emulators.Smtp;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Marketing.Sdk.Platforms.Reliability.Tests;

/// <summary>
/// Messages through the messaging outbox on a SQLite file store to the WeCom (mass and app), Official Account (template
/// and subscribe) and SMS (Alibaba Cloud and Tencent Cloud) emulators over loopback HTTP, while every emulator injects
/// server errors, throttling, HTTP 429 with Retry-After, answers held past the client's timeout, truncated answers and
/// dropped connections. Customers without consent, withdrawing it mid-run, unsubscribed, in four time zones, with more
/// messages than the caps allow; the clock is a <see cref="FakeTimeProvider"/> moved in steps. The verdict is read from
/// what the emulators delivered: no message twice, none without consent or after an unsubscribe, none in the
/// customer's quiet hours, none over a cap — and every message in a final state with its reason.
/// </summary>
public sealed partial class MessagingReliabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 240;
    private const int MessagesPerCustomer = 10;
    private const string Zone = "time_zone";
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset WithdrawAt = Start.AddHours(36);
    private static readonly DateTimeOffset UnsubscribeAllAt = Start.AddHours(12);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private static readonly Channel WeComApp = WeComAppMessageChannel.ChannelName;
    private static readonly Channel OaTemplate = Channel.WeChat;
    private static readonly Channel OaSubscribe = Channel.Create("wechat_subscribe");
    private static readonly Channel Aliyun = Channel.Create("sms_aliyun");
    private static readonly Channel Tencent = Channel.Create("sms_tencent");
    private static readonly Channel[] All = [Channel.WeCom, WeComApp, OaTemplate, OaSubscribe, Aliyun, Tencent];

    /// <summary>The channel of each of a customer's messages (rotated per customer): Alibaba Cloud SMS three times, to reach its per-number daily limit.</summary>
    private static readonly Channel[] Plan = [Channel.WeCom, Aliyun, OaTemplate, Aliyun, WeComApp, Tencent, OaSubscribe, Aliyun, Channel.WeCom, OaTemplate];

    private static readonly FaultOptions Faults = new()
    {
        ServerErrorRate = 0.07,
        ThrottleRate = 0.05,
        TooManyRequestsRate = 0.04,
        TimeoutRate = 0.01,
        MalformedRate = 0.04,
        ConnectionDropRate = 0.04,
        SlowResponse = Timeout.InfiniteTimeSpan,
        TooManyRequestsRetryAfter = TimeSpan.FromSeconds(30),
        Seed = 2026,
    };

    /// <summary>The real-time limit of one HTTP call: a held answer becomes an unknown outcome after it.</summary>
    private static readonly TimeSpan HttpTimeout = TimeSpan.FromMilliseconds(750);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "reliability-messaging-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Start);
    private WeComEmulator _wecom = null!;
    private OfficialAccountEmulator _oa = null!;
    private AliyunSmsEmulator _aliyun = null!;
    private TencentCloudSmsEmulator _tencent = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _wecom = new WeComEmulator(new WeComEmulatorOptions { TimeProvider = _time });
        _oa = new OfficialAccountEmulator(new OfficialAccountEmulatorOptions { TimeProvider = _time });
        _aliyun = new AliyunSmsEmulator(new AliyunSmsEmulatorOptions { TimeProvider = _time });
        _tencent = new TencentCloudSmsEmulator(new TencentCloudSmsEmulatorOptions { TimeProvider = _time });
        await Task.WhenAll(_wecom.StartAsync(), _oa.StartAsync(), _aliyun.StartAsync(), _tencent.StartAsync());
        for (var c = 0; c < Customers; c++)
        {
            _wecom.AddContact("sales-1", ExternalUserId(c));
            _wecom.AddMember(MemberId(c));
            _oa.AddFollowers([(OpenId(c), null)]);
            _oa.GrantSubscription(OpenId(c), SubscribeTemplateId, times: 20);
        }
    }

    public async Task DisposeAsync()
    {
        await _wecom.DisposeAsync();
        await _oa.DisposeAsync();
        await _aliyun.DisposeAsync();
        await _tencent.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp file is harmless
        }
    }

    private const string SubscribeTemplateId = "sub-restock";

    private static string ExternalUserId(int c) => $"wm-{c:D4}";

    private static string MemberId(int c) => $"u-{c:D4}";

    private static string OpenId(int c) => "oRel" + c.ToString("D24");

    private static string Phone(int c) => $"+86138{c:D8}";

    private static string Tag(int c, int k) => $"R{c:D4}K{k:D2}";

    // Customer groups (by c % 10): 1 never consented; 2 withdraws consent at WithdrawAt; 5 consented to SMS only;
    // 3 unsubscribed from Alibaba Cloud SMS and OA templates from the start; 4 unsubscribes from everything at UnsubscribeAllAt.
    private static bool ConsentsAt(int c, Channel channel, DateTimeOffset at) => (c % 10) switch
    {
        1 => false,
        2 => at < WithdrawAt,
        5 => channel == Aliyun || channel == Tencent,
        _ => true,
    };

    private static bool UnsubscribedAt(int c, Channel channel, DateTimeOffset at) => (c % 10) switch
    {
        3 => channel == Aliyun || channel == OaTemplate,
        4 => at >= UnsubscribeAllAt,
        _ => false,
    };

    private static string ZoneOf(int c) => (c % 4) switch
    {
        0 => "Asia/Shanghai",
        1 => "America/New_York",
        2 => "Europe/Berlin",
        _ => "America/Los_Angeles", // from the region trait
    };

    private static int CapOf(Channel channel) => channel == Aliyun ? 3 : 2;

    private ServiceProvider Host()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddMarketingSdk(m => m
            .UseSqlite($"Data Source={Path.Combine(_directory, "messaging.db")}")
            .AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.Delivery.WorkerId = "reliability";
                o.Delivery.RetryBaseDelay = TimeSpan.FromMinutes(1);
                o.Delivery.RetryMaxDelay = TimeSpan.FromMinutes(30);
                o.Delivery.LeaseDuration = TimeSpan.FromMinutes(5);
                o.ShopTimeZone = "Asia/Shanghai";
                o.RegionTimeZones["US"] = "America/Los_Angeles";
                o.ChannelCaps[Aliyun] = new FrequencyCap(CapOf(Aliyun), Day);
                foreach (var channel in new[] { Channel.WeCom, WeComApp, OaTemplate, OaSubscribe })
                {
                    o.ConsentPurposes[channel] = ConsentPurpose.PrivateDomainMessaging;
                }
                o.ConsentPurposes[Aliyun] = ConsentPurpose.Sms;
                o.ConsentPurposes[Tencent] = ConsentPurpose.Sms;
                foreach (var channel in All)
                {
                    o.AddTemplate(TemplateOf(channel));
                }
            })
            .AddWeCom(o =>
            {
                Tune(o);
                o.BaseAddress = _wecom.BaseAddress;
                o.CorpId = _wecom.Options.CorpId;
                o.CorpSecret = _wecom.Options.CorpSecret;
                o.AgentId = _wecom.Options.AgentId;
                o.MassResultPollInterval = TimeSpan.Zero;
                o.ThrottleRetryAfter = TimeSpan.FromMinutes(1);
                o.Texts["promo_wecom"] = "Your cart misses you: {code} takes 10% off";
                o.Texts["promo_wecom_app"] = "Member offer {code} for you";
            })
            .AddWeChatOfficialAccount(o =>
            {
                Tune(o);
                o.BaseAddress = _oa.BaseAddress;
                o.AppId = _oa.AppId;
                o.AppSecret = _oa.AppSecret;
                o.SubscribeChannelName = OaSubscribe.Value;
            })
            .AddAliyunSms(o =>
            {
                Tune(o);
                o.BaseAddress = _aliyun.BaseAddress;
                o.AccessKeyId = _aliyun.AccessKeyId;
                o.AccessKeySecret = _aliyun.AccessKeySecret;
                o.SignName = "测试签名";
                o.ChannelName = Aliyun.Value;
                o.UnsubscribeParameter = "unsub";
                o.CallbackToken = "0123456789abcdef-token";
                // The provider's per-number daily limit, tightened: a third message of a day waits up to a day for it.
                o.FlowLimits.Add(SmsFlowWindow.Of(TimeSpan.FromMinutes(1), 1));
                o.FlowLimits.Add(SmsFlowWindow.Of(Day, 1));
            })
            .AddTencentCloudSms(o =>
            {
                Tune(o);
                o.BaseAddress = _tencent.BaseAddress;
                o.SecretId = _tencent.SecretId;
                o.SecretKey = _tencent.SecretKey;
                o.SmsSdkAppId = _tencent.SmsSdkAppId;
                o.SignName = "测试签名";
                o.ChannelName = Tencent.Value;
                o.UnsubscribeParameter = "unsub";
                o.CallbackToken = "0123456789abcdef-token";
            }));
        // The real-time limit of a call (the resilience pipeline's timeouts run on the fake clock, which stands still
        // while a delivery round is in flight).
        foreach (var name in new[] { WeComOptions.HttpClientName, OfficialAccountOptions.HttpClientName, AliyunSmsOptions.HttpClientName, TencentCloudSmsOptions.HttpClientName })
        {
            services.AddHttpClient(name).ConfigureHttpClient(c => c.Timeout = HttpTimeout);
        }
        return services.BuildServiceProvider();
    }

    private static void Tune(Http.PlatformClientOptions o)
    {
        o.AttemptTimeout = TimeSpan.FromMinutes(1);
        o.TotalTimeout = TimeSpan.FromMinutes(2);
        o.MaxRetryAttempts = 0; // the outbox retries
        o.EnableCircuitBreaker = false;
        o.RequestsPerSecond = 0;
    }

    private static MessageTemplate TemplateOf(Channel channel)
    {
        if (channel == OaTemplate || channel == OaSubscribe)
        {
            return new MessageTemplate
            {
                Id = "promo_" + channel.Value,
                Channel = channel,
                ProviderTemplateId = channel == OaTemplate ? "tpl-promo" : SubscribeTemplateId,
                Parameters = [OfficialAccountParameters.Parameter("thing1"), OfficialAccountParameters.Parameter("character_string2")],
            };
        }
        return new MessageTemplate
        {
            Id = "promo_" + channel.Value,
            Channel = channel,
            ProviderTemplateId = channel == Aliyun ? "SMS_100001" : channel == Tencent ? "1110" : null,
            Parameters = [new MessageTemplateParameter { Name = "code" }],
        };
    }

    private static Dictionary<string, string> ParametersOf(Channel channel, string tag) =>
        channel == OaTemplate || channel == OaSubscribe
            ? new() { ["thing1"] = "New arrivals", ["character_string2"] = tag }
            : new() { ["code"] = tag };

    /// <summary>When customer <paramref name="c"/>'s message <paramref name="k"/> is sent: all within the first two days, at every hour of the customers' days.</summary>
    private static DateTimeOffset SendTimeOf(int c, int k) => Start + TimeSpan.FromMinutes(((k * 277) + (c * 53)) % (48 * 60));

    private sealed record Request(int Customer, int Index, Channel Channel, string Tag, DateTimeOffset At, bool AllowDeferral);

    private sealed record Delivery(int Customer, Channel Channel, string Tag, DateTimeOffset At);

    [Fact]
    public async Task Messages_through_faults_reach_each_customer_at_most_once_within_consent_quiet_hours_and_caps_and_none_is_lost()
    {
        var watch = Stopwatch.StartNew();
        var requests = new List<Request>();
        for (var c = 0; c < Customers; c++)
        {
            for (var k = 0; k < MessagesPerCustomer; k++)
            {
                var channel = Plan[(k + c) % Plan.Length];
                requests.Add(new Request(c, k, channel, Tag(c, k), SendTimeOf(c, k), AllowDeferral: k % 5 != 4));
            }
            if (c % 5 == 0)
            {
                // Six WeCom mass messages in the month for these customers: WeCom's four per natural month must hold.
                for (var k = MessagesPerCustomer; k < MessagesPerCustomer + 4; k++)
                {
                    requests.Add(new Request(c, k, Channel.WeCom, Tag(c, k), SendTimeOf(c, k), AllowDeferral: true));
                }
            }
        }
        requests.Sort((a, b) => a.At.CompareTo(b.At));

        await using var host = Host();
        await host.GetRequiredService<IStorageMigrator>().MigrateAsync();
        var profiles = host.GetRequiredService<IProfileStore>();
        var suppressions = host.GetRequiredService<ISuppressionList>();
        var ids = new CustomerId[Customers];
        for (var c = 0; c < Customers; c++)
        {
            ids[c] = new CustomerId($"c{c:D4}");
            await profiles.SaveAsync(Profile(c, ids[c], Start));
            if (c % 10 == 3)
            {
                await suppressions.AddAsync(ids[c], Aliyun, SuppressionReason.Unsubscribed);
                await suppressions.AddAsync(ids[c], OaTemplate, SuppressionReason.Unsubscribed);
            }
        }
        foreach (var e in new PlatformEmulator[] { _wecom, _oa, _aliyun, _tencent })
        {
            e.Faults = Faults;
        }

        var sender = host.GetRequiredService<IMessageSender>();
        var worker = host.GetRequiredService<MessageDeliveryWorker>();
        var outbox = host.GetRequiredService<IOutboxStore>();
        var results = new Dictionary<string, (Request Request, MessageSendResult Result)>(StringComparer.Ordinal);
        var next = 0;
        var withdrawn = false;
        var unsubscribedAll = false;
        var step = TimeSpan.FromMinutes(1);
        var rounds = 0;
        var steps = 0;
        var horizon = Start.AddDays(14);
        while (true)
        {
            var now = _time.GetUtcNow();
            if (!unsubscribedAll && now >= UnsubscribeAllAt)
            {
                for (var c = 4; c < Customers; c += 10)
                {
                    await suppressions.AddAsync(ids[c], null, SuppressionReason.Unsubscribed);
                }
                unsubscribedAll = true;
            }
            if (!withdrawn && now >= WithdrawAt)
            {
                for (var c = 2; c < Customers; c += 10)
                {
                    await profiles.SaveAsync(Profile(c, ids[c], now, withdrawnAt: now) with { Version = (await profiles.GetAsync(ids[c]))!.Version });
                }
                withdrawn = true;
            }
            for (; next < requests.Count && requests[next].At <= now; next++)
            {
                var r = requests[next];
                var result = await sender.SendAsync(new MessageRequest
                {
                    CustomerId = ids[r.Customer],
                    Channel = r.Channel,
                    TemplateId = "promo_" + r.Channel.Value,
                    Parameters = ParametersOf(r.Channel, r.Tag),
                    IdempotencyKey = r.Tag,
                    AllowDeferral = r.AllowDeferral,
                });
                results[result.MessageId] = (r, result);
            }

            // One delivery pass: every channel drains what is due now, concurrently; the clock stands still meanwhile.
            var claimed = await Task.WhenAll(All.Select(async channel =>
            {
                var total = 0;
                while (true)
                {
                    var round = await worker.DeliverOnceAsync(channel);
                    Interlocked.Increment(ref rounds);
                    if (round.Claimed == 0)
                    {
                        return total;
                    }
                    total += round.Claimed;
                }
            })).WaitAsync(TimeSpan.FromMinutes(5));
            steps++;
            if (next == requests.Count && steps % 30 == 0 && await outbox.CountAsync() is { Pending: 0, Leased: 0 })
            {
                break;
            }
            Assert.True(now < horizon, $"messages still waiting after {(horizon - Start).TotalDays} simulated days: {await outbox.CountAsync()}");
            // Steps of a minute while anything moves, growing to 16 minutes while nothing is due (never past the next send).
            step = claimed.Sum() > 0 ? TimeSpan.FromMinutes(1) : TimeSpan.FromTicks(Math.Min(step.Ticks * 2, TimeSpan.FromMinutes(16).Ticks));
            var advance = next < requests.Count && requests[next].At - now < step ? requests[next].At - now : step;
            _time.Advance(advance > TimeSpan.Zero ? advance : TimeSpan.FromSeconds(1));
        }
        var simulated = _time.GetUtcNow() - Start;

        // What the customers received, read from the emulators.
        var deliveries = Delivered();
        var tagged = results.Values.ToDictionary(v => v.Request.Tag, v => v.Request, StringComparer.Ordinal);

        var twice = deliveries.GroupBy(d => (d.Channel, d.Tag)).Sum(g => g.Count() - 1);
        var unknownTags = deliveries.Count(d => !tagged.ContainsKey(d.Tag));
        var unconsented = deliveries.Count(d => !ConsentsAt(d.Customer, d.Channel, d.At));
        var unsubscribed = deliveries.Count(d => UnsubscribedAt(d.Customer, d.Channel, d.At));
        var quiet = deliveries.Count(d => InQuietHours(d.Customer, d.At));
        var overCap = 0;
        foreach (var customer in deliveries.GroupBy(d => d.Customer))
        {
            var list = customer.OrderBy(d => d.At).ToList();
            foreach (var d in list)
            {
                var window = list.Where(x => x.At > d.At - Day && x.At <= d.At).ToList();
                if (window.Count > 4 || window.Count(x => x.Channel == d.Channel) > CapOf(d.Channel))
                {
                    overCap++;
                }
            }
        }
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var overMonthly = deliveries.Where(d => d.Channel == Channel.WeCom)
            .GroupBy(d => (d.Customer, TimeZoneInfo.ConvertTime(d.At, shanghai).Month))
            .Sum(g => Math.Max(0, g.Count() - 4));

        // Every message in a final state: suppressed when sent (with its reason), or delivered / dead-lettered in the outbox.
        var counts = await outbox.CountAsync();
        var finalStates = new Dictionary<string, int>(StringComparer.Ordinal);
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        var dead = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var e in outbox.ReadAsync(OutboxState.Delivered))
        {
            delivered.Add(e.Message.IdempotencyKey);
        }
        await foreach (var e in outbox.ReadAsync(OutboxState.DeadLettered))
        {
            dead[e.Message.IdempotencyKey] = e.LastError ?? "";
        }
        var lost = 0;
        var gaveUp = 0;
        foreach (var (messageId, (request, result)) in results)
        {
            string state;
            if (result.Status == MessageSendStatus.Suppressed)
            {
                Assert.NotNull(result.Reason);
                state = "suppressed at send: " + result.Reason;
            }
            else if (delivered.Contains(messageId))
            {
                state = "accepted by the provider";
            }
            else if (dead.TryGetValue(messageId, out var reason))
            {
                Assert.False(string.IsNullOrEmpty(reason));
                state = "dead-lettered: " + ReasonClass(reason);
                if (reason.StartsWith("gave_up", StringComparison.Ordinal))
                {
                    gaveUp++;
                }
            }
            else
            {
                state = "lost";
                lost++;
            }
            finalStates[state] = finalStates.GetValueOrDefault(state) + 1;
        }
        // Accepted messages arrived, exactly once (unconfirmed ones may have arrived once).
        var arrivedTags = deliveries.Select(d => d.Tag).ToHashSet(StringComparer.Ordinal);
        var acceptedNotArrived = results.Count(kv => delivered.Contains(kv.Key) && !arrivedTags.Contains(kv.Value.Request.Tag));
        var suppressedButArrived = results.Count(kv => (kv.Value.Result.Status == MessageSendStatus.Suppressed || (dead.TryGetValue(kv.Key, out var why) && why.StartsWith(MessageDeliveryWorker.SuppressedPrefix, StringComparison.Ordinal)))
            && arrivedTags.Contains(kv.Value.Request.Tag));

        output.WriteLine($"{results.Count:N0} messages to {Customers} customers over {All.Length} channels; simulated {simulated.TotalDays:0.0} days in {steps:N0} clock steps, {rounds:N0} delivery rounds; wall {watch.Elapsed.TotalSeconds:0} s");
        foreach (var (state, n) in finalStates.OrderByDescending(kv => kv.Value))
        {
            output.WriteLine($"  {n,5}  {state}");
        }
        foreach (var channel in All)
        {
            output.WriteLine($"  {channel.Value}: {deliveries.Count(d => d.Channel == channel):N0} delivered");
        }
        foreach (var e in new PlatformEmulator[] { _wecom, _oa, _aliyun, _tencent })
        {
            output.WriteLine($"  {e.Platform}: {e.RequestCount:N0} HTTP requests; injected {string.Join(", ", e.InjectedFaults.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value}"))}");
        }
        output.WriteLine($"  verdict: twice {twice}, without consent {unconsented}, after unsubscribe {unsubscribed}, in quiet hours {quiet}, over a cap {overCap}, over WeCom's monthly 4 {overMonthly}, lost {lost}, accepted but not arrived {acceptedNotArrived}, suppressed but arrived {suppressedButArrived}, gave up after attempts {gaveUp}");

        foreach (var g in deliveries.GroupBy(d => (d.Channel, d.Tag)).Where(g => g.Count() > 1).Take(10))
        {
            var id = results.FirstOrDefault(kv => kv.Value.Request.Tag == g.Key.Tag).Key ?? "";
            output.WriteLine($"  twice: {g.Key.Channel.Value} {g.Key.Tag} at {string.Join(", ", g.Select(d => d.At.ToString("MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)))}; outbox: {(delivered.Contains(id) ? "delivered" : dead.GetValueOrDefault(id, "?"))}");
        }
        Assert.Equal(0, unknownTags);
        Assert.Equal(0, twice);
        Assert.Equal(0, unconsented);
        Assert.Equal(0, unsubscribed);
        Assert.Equal(0, quiet);
        Assert.Equal(0, overCap);
        Assert.Equal(0, overMonthly);
        Assert.Equal(0, lost);
        Assert.Equal(0, acceptedNotArrived);
        Assert.Equal(0, suppressedButArrived);
        Assert.Equal(0, gaveUp);
        Assert.Equal((0L, 0L), (counts.Pending, counts.Leased));
        Assert.Equal(results.Values.Count(v => v.Result.Status != MessageSendStatus.Suppressed), counts.Delivered + counts.DeadLettered);
        // The run met what it is meant to meet.
        Assert.Contains(finalStates.Keys, k => k.Contains("NoConsent", StringComparison.Ordinal));
        Assert.Contains(finalStates.Keys, k => k.Contains("Unsubscribed", StringComparison.Ordinal));
        Assert.Contains(finalStates.Keys, k => k.Contains("FrequencyCap", StringComparison.Ordinal));
        Assert.True(results.Values.Any(v => v.Result.Status == MessageSendStatus.Deferred), "some messages were deferred by quiet hours or caps");
        Assert.True(deliveries.Count > results.Count / 3, $"only {deliveries.Count} of {results.Count} messages arrived");
        Assert.All(new PlatformEmulator[] { _wecom, _oa, _aliyun, _tencent }, e => Assert.True(e.InjectedFaults.Count >= 4, $"{e.Platform} injected {e.InjectedFaults.Count} kinds of fault"));
    }

    private static string ReasonClass(string reason)
    {
        // e.g. "rejected:Permanent:outcome_unknown", "suppressed:FrequencyCap", "gave_up:10:retry:...": the class and code, no numbers.
        var parts = reason.Split(':');
        return parts[0] switch
        {
            "gave_up" => "gave_up",
            "rejected" when parts.Length >= 3 => $"rejected {parts[2]}",
            _ => parts.Length >= 2 ? $"{parts[0]} {parts[1]}" : parts[0],
        };
    }

    private bool InQuietHours(int c, DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(ZoneOf(c)));
        return local.Hour >= 21 || local.Hour < 8;
    }

    private static CustomerProfile Profile(int c, CustomerId id, DateTimeOffset at, DateTimeOffset? withdrawnAt = null)
    {
        var traits = new Dictionary<string, PropertyValue>();
        if (c % 4 == 3)
        {
            traits["region"] = "US";
        }
        else
        {
            traits[Zone] = ZoneOf(c);
        }
        var consents = new Dictionary<ConsentPurpose, ConsentState>();
        switch (c % 10)
        {
            case 1:
                break;
            case 2 when withdrawnAt is { } w:
                consents[ConsentPurpose.PrivateDomainMessaging] = new(false, w);
                consents[ConsentPurpose.Sms] = new(false, w);
                break;
            case 5:
                consents[ConsentPurpose.Sms] = new(true, at);
                break;
            default:
                consents[ConsentPurpose.PrivateDomainMessaging] = new(true, at);
                consents[ConsentPurpose.Sms] = new(true, at);
                break;
        }
        return new CustomerProfile
        {
            Id = id,
            Identities = [Identity.WeComExternalUserId(ExternalUserId(c)), Identity.External(MemberId(c)), Identity.WeChatOpenId(OpenId(c)), Identity.Phone(Phone(c))],
            Traits = traits,
            Consents = consents,
        };
    }

    /// <summary>Every message the emulators delivered, by the tag each carries in its text or parameters.</summary>
    private List<Delivery> Delivered()
    {
        var list = new List<Delivery>();
        void Add(Channel channel, string? text, DateTimeOffset at)
        {
            var match = text is null ? null : TagPattern().Match(text);
            if (match is null || !match.Success)
            {
                list.Add(new Delivery(-1, channel, "untagged", at));
                return;
            }
            list.Add(new Delivery(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), channel, match.Value, at));
        }
        foreach (var m in _wecom.Delivered)
        {
            Add(m.Kind.Contains("app", StringComparison.OrdinalIgnoreCase) || m.Recipient.StartsWith("u-", StringComparison.Ordinal) ? WeComApp : Channel.WeCom, m.Content, m.At);
        }
        foreach (var m in _oa.SentMessages)
        {
            Add(m.Kind == OfficialAccountMessageKind.Template ? OaTemplate : OaSubscribe, m.Data.GetValueOrDefault("character_string2"), m.AcceptedAt);
        }
        foreach (var m in _aliyun.Messages)
        {
            Add(Aliyun, m.Parameters.GetValueOrDefault("code"), m.SentAt);
        }
        foreach (var m in _tencent.Messages)
        {
            Add(Tencent, string.Join(' ', m.Parameters), m.SentAt);
        }
        return list;
    }

    [GeneratedRegex(@"R(\d{4})K\d{2}")]
    private static partial Regex TagPattern();
}

/// <summary>
/// Email and a campaign: a layered campaign with a holdout mails its segment through the messaging outbox over real SMTP
/// on loopback (<see cref="SmtpEmulator"/>, DKIM verified) on a SQLite file store, while the server answers 4xx (retry
/// later) and 5xx (permanent) on demand and refuses some addresses for good. The first host is killed mid-run (its sender
/// stores a message, then the host stops before the campaign records it, and is disposed holding the campaign's lease);
/// a second host on the same file resumes once the lease has lapsed. The verdict is read from the emulator and the store:
/// every eligible recipient got exactly one message or a permanent refusal, none twice, none in the holdout, none without
/// consent or suppressed, never more than the hourly limit handed over in an hour, and every accepted message delivered.
/// </summary>
public sealed class EmailCampaignReliabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 150;
    private const int MaxPerHour = 12;
    private const int KillAfter = 30;
    private const string CampaignId = "edm-reliability";
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);
    private static readonly string[] Layers = ["loyal", "active", "dormant"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "reliability-email-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Start);
    private readonly SmtpEmulator _smtp = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _handedOver = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _asked = new(StringComparer.Ordinal);
    private string _privateKey = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        await _smtp.StartAsync();
        using var rsa = RSA.Create(2048);
        _privateKey = rsa.ExportRSAPrivateKeyPem();
        _smtp.PublishDkimKey("shop.example", "rel", Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
        for (var c = 0; c < Customers; c++)
        {
            if (RefusedForGood(c))
            {
                _smtp.RejectRecipient(Address(c), 550, "5.1.1 User unknown");
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _smtp.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp file is harmless
        }
    }

    private static string Address(int c) => $"r{c:D4}@example.com";

    private static CustomerId Id(int c) => new($"e{c:D4}");

    private static int CustomerOf(string id) => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Customers by c % 10: 1 never consented to email; 3 unsubscribed from email. Every 25th from 7 has a dead mailbox.</summary>
    private static bool Consents(int c) => c % 10 != 1;

    private static bool Suppressed(int c) => c % 10 == 3;

    private static bool RefusedForGood(int c) => c % 25 == 7;

    private ServiceProvider Host(bool kill)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<ICampaignAudience>(new Audience());
        services.AddMarketingSdk(m => m
            .UseSqlite($"Data Source={Path.Combine(_directory, "email.db")}")
            .AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.Delivery.WorkerId = "reliability-email";
                o.Delivery.RetryBaseDelay = TimeSpan.FromMinutes(1);
                o.Delivery.RetryMaxDelay = TimeSpan.FromMinutes(10);
                o.Delivery.LeaseDuration = TimeSpan.FromMinutes(5);
                o.ShopTimeZone = "UTC";
                foreach (var layer in Layers)
                {
                    o.AddTemplate(new MessageTemplate { Id = "edm_" + layer, Channel = Channel.Email, Parameters = [new() { Name = "code" }] });
                }
            })
            .AddEmail(o =>
            {
                o.Host = _smtp.Host;
                o.Port = _smtp.Port;
                o.Security = SecureSocketOptions.None;
                o.FromAddress = "news@mail.shop.example";
                o.DkimDomain = "shop.example";
                o.DkimSelector = "rel";
                o.DkimPrivateKeyPem = _privateKey;
                o.UnsubscribeBaseUri = new Uri("https://shop.example/marketing/callbacks/email-unsubscribe");
                o.UnsubscribeSecret = "0123456789abcdef0123456789abcdef-reliability";
                o.TemporaryFailureRetryAfter = TimeSpan.FromMinutes(3);
                o.Timeout = TimeSpan.FromSeconds(30);
                foreach (var layer in Layers)
                {
                    o.Templates["edm_" + layer] = new EmailTemplateContent { Subject = "For our " + layer + " customers", Text = "Code {{code}}\nUnsubscribe: {{unsubscribe_url}}" };
                }
            })
            .AddCampaigns(o =>
            {
                o.RunInBackground = false;
                o.LeaseDuration = LeaseDuration;
            }));
        // Every hand-over the sender stores, by message id, at the (fake) time it was first stored; the first host's
        // sender stops the host after its KillAfter-th hand-over: the message is stored, the campaign's record is not.
        var original = services.Last(d => d.ServiceType == typeof(IMessageSender));
        services.Remove(original);
        services.AddSingleton<IMessageSender>(sp => new Recording((IMessageSender)original.ImplementationFactory!(sp), this, kill ? KillAfter : int.MaxValue));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private sealed class Recording(IMessageSender inner, EmailCampaignReliabilityTests test, int killAfter) : IMessageSender
    {
        private int _calls;

        public async ValueTask<MessageSendResult> SendAsync(MessageRequest request, CancellationToken cancellationToken = default)
        {
            var result = await inner.SendAsync(request, cancellationToken);
            test._asked.TryAdd(request.CustomerId.Value, test._time.GetUtcNow()); // accepted or refused (consent, suppression)
            if (result.Status is MessageSendStatus.Sent or MessageSendStatus.Deferred)
            {
                test._handedOver.TryAdd(result.MessageId, test._time.GetUtcNow());
            }
            if (++_calls == killAfter)
            {
                throw new OperationCanceledException("host killed");
            }
            return result;
        }
    }

    private sealed class Audience : ICampaignAudience
    {
        public async IAsyncEnumerable<CampaignAudienceMember> GetMembersAsync(string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var c = 0; c < Customers; c++)
            {
                yield return new CampaignAudienceMember(Id(c), Layers[c % Layers.Length]);
            }
            await Task.CompletedTask;
        }
    }

    private static CampaignDefinition Campaign() => new()
    {
        Id = CampaignId,
        SegmentId = "newsletter",
        Channel = Channel.Email,
        LayerVariants = Layers.ToDictionary(l => l, l => (IReadOnlyList<CampaignVariant>)[new CampaignVariant { Key = l, TemplateId = "edm_" + l, Parameters = new Dictionary<string, string> { ["code"] = "EDM-" + l } }]),
        HoldoutShare = 0.2,
        WindowStart = Start,
        WindowEnd = Start.AddHours(12), // 08:00-20:00, outside quiet hours; 12 x 12 places for about 120 recipients
        MaxPerHour = MaxPerHour,
        ChooseSendTime = false,
    };

    [Fact]
    public async Task A_campaign_killed_mid_run_resumes_on_another_host_and_every_eligible_recipient_gets_one_message_through_smtp_faults()
    {
        var host = Host(kill: true);
        await host.GetRequiredService<IStorageMigrator>().MigrateAsync();
        var profiles = host.GetRequiredService<IProfileStore>();
        for (var c = 0; c < Customers; c++)
        {
            await profiles.SaveAsync(new CustomerProfile
            {
                Id = Id(c),
                Identities = [Identity.Email(Address(c))],
                Consents = Consents(c) ? new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(true, Start.AddDays(-30)) } : new Dictionary<ConsentPurpose, ConsentState>(),
            });
            if (Suppressed(c))
            {
                await host.GetRequiredService<ISuppressionList>().AddAsync(Id(c), Channel.Email, SuppressionReason.Unsubscribed);
            }
        }
        await host.GetRequiredService<ICampaignRunner>().StartAsync(Campaign());

        var killed = false;
        var blockedByLease = false;
        var state = CampaignState.Pending;
        var faults = new (int Minute, SmtpEmulatorStage Stage, int Code, string Text)[]
        {
            (1, SmtpEmulatorStage.RcptTo, 451, "4.7.1 Greylisted, try again later"),
            (1, SmtpEmulatorStage.RcptTo, 451, "4.7.1 Greylisted, try again later"),
            (61, SmtpEmulatorStage.Data, 452, "4.3.1 Insufficient system storage"),
            (62, SmtpEmulatorStage.MailFrom, 421, "4.4.5 Too many connections"),
            (125, SmtpEmulatorStage.RcptTo, 550, "5.7.1 Message refused by policy"),
            (190, SmtpEmulatorStage.RcptTo, 451, "4.7.1 Greylisted, try again later"),
        };
        for (var minute = 0; minute <= 14 * 60; minute++)
        {
            foreach (var f in faults.Where(f => f.Minute == minute))
            {
                _smtp.FailNext(f.Stage, f.Code, f.Text);
            }
            try
            {
                var progress = await host.GetRequiredService<ICampaignRunner>().RunOnceAsync(CampaignId);
                state = progress.State;
                blockedByLease |= killed && !progress.Ran;
            }
            catch (OperationCanceledException) when (!killed)
            {
                // The first host stops mid-run: it is disposed without releasing the campaign's lease or recording the hand-over.
                killed = true;
                await host.DisposeAsync();
                host = Host(kill: false);
            }
            var worker = host.GetRequiredService<MessageDeliveryWorker>();
            while ((await worker.DeliverOnceAsync(Channel.Email)).Claimed > 0)
            {
            }
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        // The store: each recipient's group and outcome; the outbox: each message's end.
        var holdout = new HashSet<int>();
        await foreach (var e in host.GetRequiredService<IStateStore>().StreamAsync("campaigns.recipients", CampaignId + "|"))
        {
            using var json = JsonDocument.Parse(e.Value);
            if (json.RootElement.GetProperty("status").GetString() == "Holdout")
            {
                holdout.Add(CustomerOf(e.Key[(CampaignId.Length + 1)..]));
            }
        }
        var outbox = host.GetRequiredService<IOutboxStore>();
        var counts = await outbox.CountAsync();
        var delivered = new Dictionary<string, int>(StringComparer.Ordinal);
        var dead = new Dictionary<string, string>(StringComparer.Ordinal);
        var customerOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var retried = 0;
        await foreach (var e in outbox.ReadAsync(OutboxState.Delivered))
        {
            delivered[e.Message.IdempotencyKey] = e.AttemptCount;
            customerOf[e.Message.IdempotencyKey] = CustomerOf(e.Message.CustomerId!.Value.Value);
            retried += e.AttemptCount > 1 ? 1 : 0;
        }
        await foreach (var e in outbox.ReadAsync(OutboxState.DeadLettered))
        {
            dead[e.Message.IdempotencyKey] = e.LastError ?? "";
            customerOf[e.Message.IdempotencyKey] = CustomerOf(e.Message.CustomerId!.Value.Value);
        }
        var report = await host.GetRequiredService<ICampaignRunner>().GetReportAsync(CampaignId);
        await host.DisposeAsync();

        // What the SMTP server received.
        var received = _smtp.Messages;
        var byCustomer = received.GroupBy(m => int.Parse(m.Recipients.Single()[1..5], System.Globalization.CultureInfo.InvariantCulture)).ToDictionary(g => g.Key, g => g.Count());
        var receivedIds = received.Select(m => m.Message.MessageId!.Split('@')[0]).ToHashSet(StringComparer.Ordinal);
        var twice = byCustomer.Values.Sum(n => n - 1);
        var inHoldout = byCustomer.Keys.Count(holdout.Contains);
        var unconsented = byCustomer.Keys.Count(c => !Consents(c));
        var suppressed = byCustomer.Keys.Count(Suppressed);
        var overHour = _asked.Values.GroupBy(t => t.UtcTicks / TimeSpan.TicksPerHour).Count(g => g.Count() > MaxPerHour);
        var lost = _handedOver.Keys.Count(id => !delivered.ContainsKey(id) && !dead.ContainsKey(id));
        var acceptedNotArrived = delivered.Keys.Count(id => !receivedIds.Contains(id));
        var eligible = Enumerable.Range(0, Customers).Where(c => !holdout.Contains(c) && Consents(c) && !Suppressed(c)).ToList();
        var permanent = dead.Where(d => d.Value.Contains(":smtp_5", StringComparison.Ordinal)).Select(d => customerOf[d.Key]).ToHashSet();
        var missing = eligible.Count(c => byCustomer.GetValueOrDefault(c) != 1 && !permanent.Contains(c));

        output.WriteLine($"{Customers} customers, {holdout.Count} in the holdout, {eligible.Count} eligible; {_handedOver.Count} messages handed over, {received.Count} received (DKIM verified {received.Count(m => m.DkimVerified)}), {retried} delivered after a 4xx, {dead.Count} dead-lettered: {string.Join(", ", dead.Values.GroupBy(v => v).Select(g => $"{g.Key} x{g.Count()}"))}");
        output.WriteLine($"asked per hour: {string.Join(" ", _asked.Values.GroupBy(t => t.Hour).OrderBy(g => g.Key).Select(g => g.Count()))}; accepted per hour: {string.Join(" ", _handedOver.Values.GroupBy(t => t.Hour).OrderBy(g => g.Key).Select(g => g.Count()))}; killed {killed}, lease blocked the second host {blockedByLease}, final state {state}");
        output.WriteLine($"verdict: twice {twice}, in the holdout {inHoldout}, without consent {unconsented}, suppressed {suppressed}, hours over the limit {overHour}, lost {lost}, accepted but not arrived {acceptedNotArrived}, eligible without one message or a permanent refusal {missing}");

        Assert.True(killed, "the first host was killed mid-run");
        Assert.True(blockedByLease, "the second host waited for the dead host's lease");
        Assert.Equal(CampaignState.Completed, state);
        Assert.Equal(0, twice);
        Assert.Equal(0, inHoldout);
        Assert.Equal(0, unconsented);
        Assert.Equal(0, suppressed);
        Assert.Equal(0, overHour);
        Assert.Equal(0, lost);
        Assert.Equal(0, acceptedNotArrived);
        Assert.Equal(0, missing);
        Assert.Equal((0L, 0L), (counts.Pending, counts.Leased));
        Assert.All(received, m => Assert.True(m.DkimVerified));
        Assert.All(received, m => Assert.Equal("List-Unsubscribe=One-Click", m.Message.Headers["List-Unsubscribe-Post"]));
        // The faults happened: permanent refusals are exactly the dead mailboxes and the one refused by policy; 4xx answers were retried.
        Assert.Equal(eligible.Count(RefusedForGood) + 1, permanent.Count);
        Assert.All(dead.Values, v => Assert.Matches("^rejected:Permanent:smtp_550_5\\.[17]\\.1$", v));
        Assert.True(retried >= 3, $"{retried} messages delivered after a 4xx answer");
        Assert.True(_asked.Values.GroupBy(t => t.UtcTicks / TimeSpan.TicksPerHour).Any(g => g.Count() == MaxPerHour), "the hourly limit was reached");
        Assert.Equal(eligible.Count - permanent.Count, received.Count);
        Assert.Equal(received.Count, report.Groups.Sum(g => g.Sent));
    }
}
