using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle;

/// <summary>Settings of the lifecycle package: the stage model and the journeys.</summary>
public sealed class LifecycleOptions
{
    /// <summary>The stages and their transition rules.</summary>
    public StageModelOptions StageModel { get; } = new();

    /// <summary>Journeys and how they run.</summary>
    public JourneyOptions Journeys { get; } = new();
}

/// <summary>Journeys and their execution rules.</summary>
public sealed class JourneyOptions
{
    private readonly List<JourneyDefinition> _definitions = [];

    /// <summary>The journeys.</summary>
    public IReadOnlyList<JourneyDefinition> Definitions => _definitions;

    /// <summary>Adds a journey; a journey with the same id is replaced (so configuring twice is harmless).</summary>
    /// <param name="definition">The journey.</param>
    public JourneyOptions Add(JourneyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definitions.RemoveAll(d => d.Id == definition.Id);
        _definitions.Add(definition);
        return this;
    }

    /// <summary>Adds a journey built in code.</summary>
    /// <param name="id">The journey id.</param>
    /// <param name="build">Describes trigger and steps.</param>
    public JourneyOptions Add(string id, Action<JourneyBuilder> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var builder = new JourneyBuilder(id);
        build(builder);
        return Add(builder.Build());
    }

    /// <summary>Adds a journey from JSON (see <see cref="JourneyDefinition.FromJson"/>).</summary>
    /// <param name="json">The definition.</param>
    public JourneyOptions AddJson(string json) => Add(JourneyDefinition.FromJson(json));

    /// <summary>How often the background scheduler runs due steps (default 30 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a hosted service runs due steps every <see cref="PollInterval"/> (default true; turn off to call <see cref="JourneyEngine.RunDueAsync"/> yourself).</summary>
    public bool RunScheduler { get; set; } = true;

    /// <summary>Messages per customer over all channels (default 4 per day; <see langword="null"/> for none).</summary>
    public FrequencyCap? CustomerCap { get; set; } = new(4, TimeSpan.FromDays(1));

    /// <summary>Messages per customer and channel for channels without an entry in <see cref="ChannelCaps"/> (default 2 per day; <see langword="null"/> for none).</summary>
    public FrequencyCap? DefaultChannelCap { get; set; } = new(2, TimeSpan.FromDays(1));

    /// <summary>Messages per customer on a given channel.</summary>
    public IDictionary<Channel, FrequencyCap> ChannelCaps { get; } = new Dictionary<Channel, FrequencyCap>();

    /// <summary>Start of the quiet hours in the customer's time zone (default 21:00; <see langword="null"/> for none).</summary>
    public TimeOnly? QuietHoursStart { get; set; } = new(21, 0);

    /// <summary>End of the quiet hours (default 08:00). Messages due in quiet hours are deferred to this time.</summary>
    public TimeOnly QuietHoursEnd { get; set; } = new(8, 0);

    /// <summary>Profile trait holding the customer's IANA time zone (default <c>time_zone</c>).</summary>
    public string TimeZoneTrait { get; set; } = "time_zone";

    /// <summary>Time zone of customers without one (default UTC).</summary>
    public TimeZoneInfo DefaultTimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>
    /// Whether the built-in gate vetoes messages unless the profile's consent summary grants the
    /// message's purpose (default true). The compliance package's gate adds the ledger-backed check.
    /// </summary>
    public bool RequireMessageConsent { get; set; } = true;

    /// <summary>Handler attempts per action before it is recorded as failed (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait between handler attempts (default 5 minutes).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Validates <see cref="LifecycleOptions"/> on start.</summary>
internal sealed class LifecycleOptionsValidator : IValidateOptions<LifecycleOptions>
{
    public ValidateOptionsResult Validate(string? name, LifecycleOptions options)
    {
        var failures = new List<string>();
        var j = options.Journeys;
        foreach (var d in j.Definitions)
        {
            try
            {
                d.Validate();
            }
            catch (LifecycleException ex)
            {
                failures.Add(ex.Message);
            }
        }
        if (j.PollInterval <= TimeSpan.Zero)
        {
            failures.Add("Journeys.PollInterval must be positive.");
        }
        if (j.MaxAttempts < 1)
        {
            failures.Add("Journeys.MaxAttempts must be at least 1.");
        }
        if (j.RetryDelay < TimeSpan.Zero)
        {
            failures.Add("Journeys.RetryDelay must not be negative.");
        }
        foreach (var cap in j.ChannelCaps.Values.Append(j.CustomerCap).Append(j.DefaultChannelCap).OfType<FrequencyCap>())
        {
            if (cap.MaxMessages < 0 || cap.Window <= TimeSpan.Zero)
            {
                failures.Add("Frequency caps need a non-negative message count and a positive window.");
            }
        }
        if (options.StageModel.Rules.Any(r => string.IsNullOrWhiteSpace(r.To)))
        {
            failures.Add("Every stage rule names the stage it enters.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
