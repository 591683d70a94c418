using System.Collections.Concurrent;
using Marketing.Sdk;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.AliyunSms;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace QuickStart;

/// <summary>What became of one channel's messages by the end of the replay (each message counted once).</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Decided">Messages the journeys handed to the sender.</param>
/// <param name="Sent">Accepted by the provider when first due.</param>
/// <param name="Deferred">Held by quiet hours or a cap first: accepted later, or still waiting.</param>
/// <param name="DeferredWaiting">Of <paramref name="Deferred"/>: still waiting when the replay ended.</param>
/// <param name="Suppressed">Never sent, by reason (at send, or at delivery by a provider rule).</param>
/// <param name="Failed">Refused by the provider or given up, by error.</param>
/// <param name="Delivered">Messages the emulator recorded as received.</param>
/// <param name="Erased">Messages stored for the customer erased in step 8, gone with the rest of their data (not in <paramref name="Decided"/>).</param>
internal sealed record ChannelOutcome(Channel Channel, int Decided, int Sent, int Deferred, int DeferredWaiting,
    IReadOnlyDictionary<string, int> Suppressed, IReadOnlyDictionary<string, int> Failed, int Delivered, int Erased)
{
    public int Accepted => Sent + Deferred - DeferredWaiting;
}

internal sealed record MessagingReport(IReadOnlyList<ChannelOutcome> Channels, int DeliveryPasses, int Erased);

/// <summary>
/// Every decision of the SDK's <see cref="IMessageSender"/> by message id: a host that wants to see each decision
/// wraps the sender, as here (the journeys' <c>send_message</c> handler calls the wrapper).
/// </summary>
internal sealed class MessageDecisionLog
{
    private readonly ConcurrentDictionary<string, (CustomerId Customer, Channel Channel, MessageSendResult Result)> _decisions = new(StringComparer.Ordinal);

    public IReadOnlyCollection<(CustomerId Customer, Channel Channel, MessageSendResult Result)> All => [.. _decisions.Values];

    public void Record(CustomerId customer, Channel channel, MessageSendResult result) => _decisions.TryAdd(result.MessageId, (customer, channel, result));

    /// <summary>Wraps the registered <see cref="IMessageSender"/> (call after <c>AddMessaging</c>).</summary>
    public static void Decorate(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IMessageSender));
        services.AddSingleton<MessageDecisionLog>();
        services.Replace(ServiceDescriptor.Singleton<IMessageSender>(sp => new Recording(
            original.ImplementationFactory is { } factory ? (IMessageSender)factory(sp) : (IMessageSender)(original.ImplementationInstance ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!)),
            sp.GetRequiredService<MessageDecisionLog>())));
    }

    private sealed class Recording(IMessageSender inner, MessageDecisionLog log) : IMessageSender
    {
        public async ValueTask<MessageSendResult> SendAsync(MessageRequest request, CancellationToken cancellationToken = default)
        {
            var result = await inner.SendAsync(request, cancellationToken);
            log.Record(request.CustomerId, request.Channel, result);
            return result;
        }
    }
}

/// <summary>
/// The WeCom, Official Account and Alibaba Cloud SMS emulators the journeys' messages go to (real HTTP on loopback,
/// on the sample clock), with the shop's people as contacts and followers: one in twenty WeCom contacts has deleted
/// the shop's account and one in twenty followers has unfollowed the OA since linking, so their messages fail.
/// </summary>
internal sealed class MessagingEmulators : IAsyncDisposable
{
    public const string ReviewTemplateId = "tpl-review-request";
    public const string RecallTemplateCode = "SMS_100002";
    public const string SmsSignName = "测试签名";

    private MessagingEmulators(WeComEmulator weCom, OfficialAccountEmulator officialAccount, AliyunSmsEmulator sms)
    {
        WeCom = weCom;
        OfficialAccount = officialAccount;
        Sms = sms;
    }

    public WeComEmulator WeCom { get; }
    public OfficialAccountEmulator OfficialAccount { get; }
    public AliyunSmsEmulator Sms { get; }

    public static async Task<MessagingEmulators> StartAsync(TimeProvider clock, SyntheticShop shop)
    {
        var weCom = new WeComEmulator(new WeComEmulatorOptions { TimeProvider = clock });
        var oa = new OfficialAccountEmulator(new OfficialAccountEmulatorOptions { TimeProvider = clock, TemplateIds = [ReviewTemplateId] });
        var sms = new AliyunSmsEmulator(new AliyunSmsEmulatorOptions { TimeProvider = clock, TemplateCodes = [RecallTemplateCode] });
        await Task.WhenAll(weCom.StartAsync(), oa.StartAsync(), sms.StartAsync());
        foreach (var person in shop.People)
        {
            var gone = person.Index % 20 == 7;
            foreach (var id in person.Identities)
            {
                if (id.Kind == IdentityKind.WeComExternalUserId && !gone)
                {
                    weCom.AddContact("sales-" + (person.Index % 3), id.Value);
                }
                else if (id.Kind == IdentityKind.WeChatOpenId)
                {
                    oa.AddFollowers([(id.Value, null)]);
                    if (gone)
                    {
                        oa.Unfollow(id.Value);
                    }
                }
            }
        }
        return new MessagingEmulators(weCom, oa, sms);
    }

    public async ValueTask DisposeAsync()
    {
        await WeCom.DisposeAsync();
        await OfficialAccount.DisposeAsync();
        await Sms.DisposeAsync();
    }
}

/// <summary>
/// Step 10: what became of the journeys' messages. The journeys of step 4 name a channel and a template in their
/// <c>send_message</c> steps — the cart coupon by WeCom, the review request by the Official Account, the 7-day recall
/// by Alibaba Cloud SMS — and the SDK's handler sends them through <see cref="IMessageSender"/> with no host code:
/// consent per channel, the suppression list, an address on the channel, caps and quiet hours (deferring, not
/// dropping), then the durable outbox. During the replay the delivery worker drained the outbox to the emulators
/// each time the journeys ran; here the last due messages go out and every message is accounted for per channel.
/// </summary>
internal static class MessagingStep
{
    /// <summary>The channels the journeys send on.</summary>
    public static readonly Channel[] Channels = [Channel.WeCom, Channel.WeChat, Channel.Sms];

    /// <summary>The messaging settings and templates, registered with <c>m.AddMessaging(MessagingStep.Configure)</c>.</summary>
    public static void Configure(MessagingOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Delivery.RunInBackground = false; // the replay drains the outbox itself, on the sample clock
        o.Delivery.WorkerId = "quickstart";
        // The shop's customers live in China; quiet hours 21:00-08:00 and the caps (4 a day, 2 per channel) are the defaults.
        o.ShopTimeZone = TimeZoneInfo.TryFindSystemTimeZoneById("Asia/Shanghai", out _) ? "Asia/Shanghai" : "UTC";
        o.AddTemplate(new MessageTemplate { Id = "cart_coupon", Channel = Channel.WeCom, Parameters = [new() { Name = "code", MaxLength = 16 }] });
        o.AddTemplate(new MessageTemplate
        {
            Id = "review_request",
            Channel = Channel.WeChat,
            ProviderTemplateId = MessagingEmulators.ReviewTemplateId,
            Parameters = [OfficialAccountParameters.Parameter("thing1"), OfficialAccountParameters.Parameter("thing2")],
        });
        o.AddTemplate(new MessageTemplate { Id = "we_miss_you", Channel = Channel.Sms, ProviderTemplateId = MessagingEmulators.RecallTemplateCode, Parameters = [new() { Name = "coupon", MaxLength = 16 }] });
    }

    /// <summary>Adds messaging and its three channels, pointed at the emulators.</summary>
    public static IMarketingBuilder AddSampleMessaging(this IMarketingBuilder m, MessagingEmulators emulators)
    {
        m.AddMessaging(Configure)
            .AddWeCom(o =>
            {
                Tune(o);
                o.BaseAddress = emulators.WeCom.BaseAddress;
                o.CorpId = emulators.WeCom.Options.CorpId;
                o.CorpSecret = emulators.WeCom.Options.CorpSecret;
                o.AgentId = emulators.WeCom.Options.AgentId;
                o.MassResultPollInterval = TimeSpan.Zero; // no background polling in the sample
                o.Texts["cart_coupon"] = "Still thinking it over? Code {code} takes 10% off your cart for 48 hours.";
            })
            .AddWeChatOfficialAccount(o =>
            {
                Tune(o);
                o.BaseAddress = emulators.OfficialAccount.BaseAddress;
                o.AppId = emulators.OfficialAccount.AppId;
                o.AppSecret = emulators.OfficialAccount.AppSecret;
            })
            .AddAliyunSms(o =>
            {
                Tune(o);
                o.BaseAddress = emulators.Sms.BaseAddress;
                o.AccessKeyId = emulators.Sms.AccessKeyId;
                o.AccessKeySecret = emulators.Sms.AccessKeySecret;
                o.SignName = MessagingEmulators.SmsSignName;
                o.TemplateTexts[MessagingEmulators.RecallTemplateCode] = "好久不见！凭券码${coupon}回店立减15元，7天内有效。回T退订";
            });
        MessageDecisionLog.Decorate(m.Services);
        return m;
    }

    /// <summary>The outbox retries and the clock stands still during a delivery pass: no retries or rate limits inside the HTTP pipeline.</summary>
    private static void Tune(PlatformClientOptions o)
    {
        o.MaxRetryAttempts = 0;
        o.RequestsPerSecond = 0;
        o.EnableCircuitBreaker = false;
    }

    /// <summary>One delivery pass: every channel sends what is due now. Returns the messages claimed.</summary>
    public static async Task<int> DeliverDueAsync(QuickStartContext run)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var worker = run.Get<MessageDeliveryWorker>();
        run.DeliveryPasses++;
        var claimed = 0;
        foreach (var channel in Channels)
        {
            while ((await worker.DeliverOnceAsync(channel)).Claimed is var n && n > 0)
            {
                claimed += n;
            }
        }
        run.DeliveryTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        return claimed;
    }

    public static async Task<MessagingReport> RunAsync(QuickStartContext run)
    {
        run.Heading(10, "Messaging (journey messages through WeCom, the Official Account and Alibaba Cloud SMS, to the emulators)");
        await DeliverDueAsync(run);

        var states = new Dictionary<string, OutboxEntry>(StringComparer.Ordinal);
        var outbox = run.Get<IOutboxStore>();
        foreach (var state in new[] { OutboxState.Pending, OutboxState.Leased, OutboxState.Delivered, OutboxState.DeadLettered })
        {
            await foreach (var entry in outbox.ReadAsync(state))
            {
                if (entry.Message.Destination.StartsWith("messaging.", StringComparison.Ordinal))
                {
                    states[entry.Message.IdempotencyKey] = entry;
                }
            }
        }
        var delivered = new Dictionary<Channel, int>
        {
            [Channel.WeCom] = run.MessagingEmulators.WeCom.Delivered.Count,
            [Channel.WeChat] = run.MessagingEmulators.OfficialAccount.SentMessages.Count,
            [Channel.Sms] = run.MessagingEmulators.Sms.Messages.Count,
        };
        var outcomes = new List<ChannelOutcome>();
        var erased = 0;
        foreach (var channel in Channels)
        {
            int decided = 0, sent = 0, deferred = 0, waiting = 0, erasedHere = 0;
            var suppressed = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var failed = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var (_, _, result) in run.Get<MessageDecisionLog>().All.Where(d => d.Channel == channel))
            {
                if (!states.TryGetValue(result.MessageId, out var entry) && result.Status != MessageSendStatus.Suppressed)
                {
                    erasedHere++; // stored, then erased with the customer of step 8's erasure request (the outbox keeps no one's data after erasure)
                    continue;
                }
                decided++;
                if (result.Status == MessageSendStatus.Suppressed)
                {
                    Count(suppressed, Reason(result.Reason));
                    continue;
                }
                var wasDeferred = result.Status == MessageSendStatus.Deferred;
                if (entry!.State == OutboxState.Delivered)
                {
                    if (wasDeferred || entry.Message.NotBefore is not null)
                    {
                        deferred++;
                    }
                    else
                    {
                        sent++;
                    }
                }
                else if (entry.State == OutboxState.DeadLettered)
                {
                    var error = entry.LastError ?? "unknown";
                    if (error.StartsWith(MessageDeliveryWorker.SuppressedPrefix, StringComparison.Ordinal))
                    {
                        Count(suppressed, Reason(Enum.TryParse<MessageSkipReason>(error[MessageDeliveryWorker.SuppressedPrefix.Length..], out var r) ? r : null) + " (provider)");
                    }
                    else
                    {
                        Count(failed, ErrorClass(error));
                    }
                }
                else
                {
                    deferred++;
                    waiting++;
                }
            }
            outcomes.Add(new ChannelOutcome(channel, decided, sent, deferred, waiting, suppressed, failed, delivered[channel], erasedHere));
            erased += erasedHere;
        }

        var table = new Table("channel", "decided", "sent", "deferred", "suppressed", "failed", "delivered (emulator)", "suppressed by reason; failed by error").Left(7);
        foreach (var o in outcomes)
        {
            table.Add(Name(o.Channel), o.Decided, o.Sent, o.Deferred, o.Suppressed.Values.Sum(), o.Failed.Values.Sum(), o.Delivered,
                string.Join(", ", o.Suppressed.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {s.Value:N0}")
                    .Concat(o.Failed.OrderByDescending(f => f.Value).Select(f => $"failed {f.Key} {f.Value:N0}"))));
        }
        table.WriteTo(run.Out);
        var stillWaiting = outcomes.Sum(o => o.DeferredWaiting);
        run.Line("(every message counted once: sent + deferred + suppressed + failed = decided. sent: accepted by the provider when first due;");
        run.Line($" deferred: held by the customer's quiet hours (21:00-08:00) or a cap, then sent when allowed{(stillWaiting > 0 ? $" ({stillWaiting:N0} still waiting)" : "")};");
        run.Line(" no_consent: no marketing consent for the channel on record; unsubscribed: replied TD to a text, or turned off the OA's messages;");
        run.Line(" no_address: no WeCom contact, OA openid or phone on the profile; frequency_cap (provider): WeCom's four mass messages a month;");
        run.Line($" failed {WeComErrorCodes.NotExternalContact}: no longer the shop's WeCom contact; failed {OfficialAccountErrorCodes.RequireSubscribe}: unfollowed the OA)");
        run.Line($"delivery: {run.DeliveryPasses:N0} passes of the messaging outbox during the replay, one after each journey run ({run.DeliveryTime.TotalSeconds:0.0} s)"
            + (erased > 0 ? $"; {erased:N0} stored messages went with the customer erased in step 8" : ""));
        run.Line();
        return new MessagingReport(outcomes, run.DeliveryPasses, erased);
    }

    private static void Count(SortedDictionary<string, int> counts, string key) => counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;

    private static string Name(Channel channel) =>
        channel == Channel.WeCom ? "wecom (cart coupon)" : channel == Channel.WeChat ? "wechat OA (review request)" : "sms aliyun (7-day recall)";

    private static string Reason(MessageSkipReason? reason) => reason switch
    {
        MessageSkipReason.NoConsent => "no_consent",
        MessageSkipReason.Unsubscribed => "unsubscribed",
        MessageSkipReason.Blocked => "blocked",
        MessageSkipReason.Bounced => "bounced",
        MessageSkipReason.Complained => "complained",
        MessageSkipReason.FrequencyCap => "frequency_cap",
        MessageSkipReason.QuietHours => "quiet_hours",
        MessageSkipReason.NoAddress => "no_address",
        _ => "unknown",
    };

    /// <summary>The class and platform code of a dead letter (e.g. <c>rejected:Permanent:43004</c> → <c>43004</c>), never free text.</summary>
    private static string ErrorClass(string error)
    {
        var parts = error.Split(':');
        return parts[0] switch
        {
            "rejected" when parts.Length >= 3 => parts[2],
            "gave_up" or "gave_up_deferred" => parts[0],
            _ => parts[0],
        };
    }
}
