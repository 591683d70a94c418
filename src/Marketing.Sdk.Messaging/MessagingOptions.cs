using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Messaging;

/// <summary>Settings of messaging: templates, caps, quiet hours, time zones, consent purposes and delivery.</summary>
public sealed class MessagingOptions
{
    /// <summary>Templates registered at start (more can be registered later through <see cref="IMessageTemplateRegistry"/>).</summary>
    public IList<MessageTemplate> Templates { get; } = [];

    /// <summary>Adds a template.</summary>
    /// <param name="messageTemplate">The template.</param>
    public MessagingOptions AddTemplate(MessageTemplate messageTemplate)
    {
        ArgumentNullException.ThrowIfNull(messageTemplate);
        Templates.Add(messageTemplate);
        return this;
    }

    /// <summary>Marketing messages per customer over all channels in a rolling window (default 4 per day; <see langword="null"/> for none).</summary>
    public FrequencyCap? CustomerCap { get; set; } = new(4, TimeSpan.FromDays(1));

    /// <summary>Marketing messages per customer and channel, for channels without an entry in <see cref="ChannelCaps"/> (default 2 per day; <see langword="null"/> for none).</summary>
    public FrequencyCap? DefaultChannelCap { get; set; } = new(2, TimeSpan.FromDays(1));

    /// <summary>Caps of particular channels.</summary>
    public IDictionary<Channel, FrequencyCap> ChannelCaps { get; } = new Dictionary<Channel, FrequencyCap>();

    /// <summary>Start of the quiet hours in the customer's local time (default 21:00; <see langword="null"/> for none).</summary>
    public TimeOnly? QuietHoursStart { get; set; } = new(21, 0);

    /// <summary>End of the quiet hours in the customer's local time (default 08:00).</summary>
    public TimeOnly QuietHoursEnd { get; set; } = new(8, 0);

    /// <summary>The profile trait holding the customer's IANA time zone (default <c>time_zone</c>); the first source of the customer's zone.</summary>
    public string TimeZoneTrait { get; set; } = "time_zone";

    /// <summary>The profile trait holding the customer's region (default <c>region</c>), looked up in <see cref="RegionTimeZones"/> when the profile has no zone.</summary>
    public string RegionTrait { get; set; } = "region";

    /// <summary>Time zone (IANA id) per region code (e.g. <c>CN</c> → <c>Asia/Shanghai</c>), matched ignoring case.</summary>
    public IDictionary<string, string> RegionTimeZones { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The shop's time zone (IANA id), used when neither the profile nor its region gives one (default <c>UTC</c>).</summary>
    public string ShopTimeZone { get; set; } = "UTC";

    /// <summary>The consent purpose of marketing messages per channel, overriding the built-in mapping (email → <c>email</c>, sms → <c>sms</c>, wechat/wecom/private_domain → <c>private_domain_messaging</c>).</summary>
    public IDictionary<Channel, ConsentPurpose> ConsentPurposes { get; } = new Dictionary<Channel, ConsentPurpose>();

    /// <summary>Delivery through the outbox.</summary>
    public MessageDeliveryOptions Delivery { get; } = new();

    internal TimeZoneInfo ResolveShopZone() => TimeZoneInfo.FindSystemTimeZoneById(ShopTimeZone);
}

/// <summary>How messages are delivered from the outbox.</summary>
public sealed class MessageDeliveryOptions
{
    /// <summary>Whether a hosted service drains the outbox in the background (default true; turn off to call <see cref="MessageDeliveryWorker.DeliverOnceAsync"/> yourself).</summary>
    public bool RunInBackground { get; set; } = true;

    /// <summary>This worker's id in outbox leases.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>How long a claimed batch stays leased (default 2 minutes; must exceed a channel call's total timeout).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an idle channel waits before polling again (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts after which a still-failing message is dead-lettered (default 10).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>First retry delay; doubles per attempt up to <see cref="RetryMaxDelay"/>, with ±20 % jitter (default 10 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest retry delay (default 1 hour).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Deferrals after which a message is dead-lettered (default 50). A deferral is a claim that found the message held
    /// by a limit — the customer's quiet hours or a cap at delivery time, a provider's per-number limit
    /// (<see cref="Marketing.Sdk.Platforms.Messaging.RecipientResult.IsDeferral"/>) — and is not counted against
    /// <see cref="MaxAttempts"/>.
    /// </summary>
    public int MaxDeferrals { get; set; } = 50;

    /// <summary>Longest single deferral (default 2 days): a provider's longer wait hint is cut to it.</summary>
    public TimeSpan MaxDeferral { get; set; } = TimeSpan.FromDays(2);
}

/// <summary>Checks <see cref="MessagingOptions"/> at start.</summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var errors = new List<string>();
        void Cap(string field, FrequencyCap? cap)
        {
            if (cap is not null && (cap.MaxMessages < 1 || cap.Window <= TimeSpan.Zero))
            {
                errors.Add($"{field}: a cap needs at least 1 message and a positive window.");
            }
        }
        Cap(nameof(options.CustomerCap), options.CustomerCap);
        Cap(nameof(options.DefaultChannelCap), options.DefaultChannelCap);
        foreach (var (channel, cap) in options.ChannelCaps)
        {
            Cap($"{nameof(options.ChannelCaps)}[{channel}]", cap);
        }
        if (string.IsNullOrWhiteSpace(options.TimeZoneTrait) || string.IsNullOrWhiteSpace(options.RegionTrait))
        {
            errors.Add($"{nameof(options.TimeZoneTrait)} and {nameof(options.RegionTrait)} are required.");
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.ShopTimeZone ?? "", out _))
        {
            errors.Add($"{nameof(options.ShopTimeZone)}: not a known time zone id.");
        }
        foreach (var (region, zone) in options.RegionTimeZones)
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone ?? "", out _))
            {
                errors.Add($"{nameof(options.RegionTimeZones)}[{region}]: not a known time zone id.");
            }
        }
        var d = options.Delivery;
        if (d.LeaseDuration <= TimeSpan.Zero || d.PollInterval <= TimeSpan.Zero || d.RetryBaseDelay <= TimeSpan.Zero || d.RetryMaxDelay < d.RetryBaseDelay)
        {
            errors.Add("Delivery: lease duration, poll interval and retry delays must be positive, and the longest retry delay at least the first.");
        }
        if (d.MaxAttempts is < 1 or > 100)
        {
            errors.Add("Delivery.MaxAttempts: 1 to 100.");
        }
        if (d.MaxDeferrals is < 0 or > 1000 || d.MaxDeferral <= TimeSpan.Zero)
        {
            errors.Add("Delivery.MaxDeferrals: 0 to 1000, and Delivery.MaxDeferral positive.");
        }
        if (string.IsNullOrWhiteSpace(d.WorkerId))
        {
            errors.Add("Delivery.WorkerId is required.");
        }
        foreach (var t in options.Templates)
        {
            try
            {
                MessageTemplateRegistry.CheckShape(t);
            }
            catch (MarketingValidationException ex)
            {
                errors.Add($"Templates[{t?.Id}]: {ex.Field} {ex.Reason}.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
