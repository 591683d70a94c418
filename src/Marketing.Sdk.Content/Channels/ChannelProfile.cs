using System.Globalization;
using Marketing.Sdk.Platforms.Sms;

namespace Marketing.Sdk.Content.Channels;

/// <summary>A channel's limits and conventions; <see cref="Validate"/> lists every rule a variant breaks.</summary>
public abstract class ChannelProfile
{
    /// <summary>The channel's name (e.g. <c>sms</c>, <c>xiaohongshu</c>).</summary>
    public abstract string Channel { get; }

    /// <summary>The text fields the channel uses.</summary>
    public abstract IReadOnlyList<string> FieldNames { get; }

    /// <summary>The list fields the channel uses (e.g. <c>hashtags</c>, <c>scenes</c>); empty by default.</summary>
    public virtual IReadOnlyList<string> ListFieldNames { get; } = [];

    /// <summary>The channel's rules in words, for a writer or a model (the generation prompt lists them); never copy.</summary>
    public virtual IReadOnlyList<string> DescribeRules() =>
        [.. FieldNames.Select(f => $"{f}: required text"), .. ListFieldNames.Select(f => $"{f}: a list of texts")];

    /// <summary>Checks a variant against the channel's rules.</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>Every rule broken; empty when the variant fits.</returns>
    public IReadOnlyList<ChannelFinding> Validate(ContentVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        var findings = new List<ChannelFinding>();
        Check(variant, findings);
        return findings;
    }

    /// <summary>Adds the findings for a variant.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="findings">Where findings go.</param>
    protected abstract void Check(ContentVariant variant, List<ChannelFinding> findings);

    /// <summary>Characters as a reader counts them (text elements, so an emoji or a surrogate pair is one).</summary>
    /// <param name="text">The text.</param>
    public static int Characters(string text) => new StringInfo(text ?? "").LengthInTextElements;

    /// <summary>Adds a required/too-long finding for a text field.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="field">The field.</param>
    /// <param name="max">The most characters.</param>
    /// <param name="required">Whether the field must be present.</param>
    /// <param name="findings">Where findings go.</param>
    protected static void Length(ContentVariant variant, string field, int max, bool required, List<ChannelFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(findings);
        var value = variant.Field(field);
        if (required && string.IsNullOrWhiteSpace(value))
        {
            findings.Add(new ChannelFinding(field, ChannelFinding.Required, 1, 0, $"{field} is required"));
            return;
        }

        var length = Characters(value);
        if (length > max)
        {
            findings.Add(new ChannelFinding(field, ChannelFinding.TooLong, max, length, $"{field} takes at most {max} characters"));
        }
    }

    /// <summary>Adds a count finding for a list field.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="field">The list field.</param>
    /// <param name="min">The fewest items.</param>
    /// <param name="max">The most items.</param>
    /// <param name="findings">Where findings go.</param>
    protected static void Items(ContentVariant variant, string field, int min, int max, List<ChannelFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(findings);
        var count = variant.List(field).Count;
        if (count < min)
        {
            findings.Add(new ChannelFinding(field, ChannelFinding.Count, min, count, $"{field} needs at least {min} items"));
        }
        else if (count > max)
        {
            findings.Add(new ChannelFinding(field, ChannelFinding.Count, max, count, $"{field} takes at most {max} items"));
        }
    }
}

/// <summary>How SMS length is counted.</summary>
public enum SmsCounting
{
    /// <summary>China's carriers: every character counts one; 70 characters for one part, 67 per part beyond (<see cref="SmsContent"/>).</summary>
    ChinaCarrier,

    /// <summary>GSM networks: GSM-7 text 160/153 septets (extension characters count two); any other text UCS-2, 70/67 UTF-16 units.</summary>
    Gsm,
}

/// <summary>
/// SMS: one <c>body</c> field. The signature 【…】 is counted in the length (the provider adds it), the body may not
/// carry its own 【…】, a marketing message must carry the unsubscribe wording (default <c>回T退订</c>, as
/// <see cref="SmsProviderOptions.UnsubscribeText"/>), and the message may take at most <see cref="MaxSegments"/> parts.
/// </summary>
public sealed class SmsProfile : ChannelProfile
{
    private const string GsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string GsmExtension = "^{}\\[~]|€\f";

    /// <summary>The signature without brackets (e.g. <c>某某商城</c>); empty when the provider adds none.</summary>
    public string SignName { get; init; } = "";

    /// <summary>The unsubscribe wording marketing messages must carry (default <c>回T退订</c>).</summary>
    public string UnsubscribeText { get; init; } = "回T退订";

    /// <summary>Whether the copy is marketing (needs the unsubscribe wording; default true).</summary>
    public bool Marketing { get; init; } = true;

    /// <summary>Whether the channel appends the unsubscribe wording itself (as the SMS clients do with <see cref="SmsProviderOptions.UnsubscribeParameter"/>); it is then counted, not required in the copy (default false).</summary>
    public bool UnsubscribeAppendedBySender { get; init; }

    /// <summary>The most billed parts (default 1).</summary>
    public int MaxSegments { get; init; } = 1;

    /// <summary>How length is counted (default <see cref="SmsCounting.ChinaCarrier"/>).</summary>
    public SmsCounting Counting { get; init; } = SmsCounting.ChinaCarrier;

    /// <inheritdoc />
    public override string Channel => "sms";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; } = ["body"];

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules()
    {
        var perPart = MaxSegments == 1 ? 70 : 67 * MaxSegments; // UCS-2 and China's carriers alike; GSM-7 text has more room
        var room = perPart - (SignName.Length > 0 ? SignName.Length + 2 : 0) - (UnsubscribeAppendedBySender && Marketing ? UnsubscribeText.Length : 0);
        List<string> rules =
        [
            $"body: required, at most {room} characters (the signature is added by the provider and counted)",
            "body: never write a signature in 【】 brackets",
        ];
        if (Marketing && !UnsubscribeAppendedBySender)
        {
            rules.Add($"body: must end with the unsubscribe wording \"{UnsubscribeText}\"");
        }

        return rules;
    }

    /// <summary>The billed parts of a body as it goes out (signature and, when the sender appends it, the unsubscribe wording included).</summary>
    /// <param name="body">The copy.</param>
    public int Segments(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var text = UnsubscribeAppendedBySender && Marketing ? body + UnsubscribeText : body;
        if (Counting == SmsCounting.ChinaCarrier)
        {
            return SmsContent.Parts(SmsContent.Length(SignName, text));
        }

        var full = SignName.Length > 0 ? "【" + SignName + "】" + text : text;
        var septets = 0;
        foreach (var c in full)
        {
            if (GsmBasic.Contains(c, StringComparison.Ordinal))
            {
                septets++;
            }
            else if (GsmExtension.Contains(c, StringComparison.Ordinal))
            {
                septets += 2;
            }
            else
            {
                return full.Length <= 70 ? 1 : (full.Length + 66) / 67;
            }
        }

        return septets <= 160 ? 1 : (septets + 152) / 153;
    }

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        var body = variant.Field("body");
        if (string.IsNullOrWhiteSpace(body))
        {
            findings.Add(new ChannelFinding("body", ChannelFinding.Required, 1, 0, "body is required"));
            return;
        }

        if (body.Contains('【', StringComparison.Ordinal) || body.Contains('】', StringComparison.Ordinal))
        {
            findings.Add(new ChannelFinding("body", ChannelFinding.Convention, 0, 1, "the signature 【…】 is added by the provider; the body may not carry one"));
        }

        if (Marketing && !UnsubscribeAppendedBySender && !body.Contains(UnsubscribeText, StringComparison.Ordinal))
        {
            findings.Add(new ChannelFinding("body", SmsContent.NoUnsubscribeCode, 1, 0, "a marketing SMS must carry the unsubscribe wording"));
        }

        var segments = Segments(body);
        if (segments > MaxSegments)
        {
            findings.Add(new ChannelFinding("body", "segments", MaxSegments, segments, $"the message takes at most {MaxSegments} billed parts"));
        }
    }
}

/// <summary>Email: <c>subject</c> (required, at most <see cref="MaxSubject"/>) and <c>preheader</c> (at most <see cref="MaxPreheader"/>).</summary>
public sealed class EmailProfile : ChannelProfile
{
    /// <summary>The longest subject (default 60 characters, what mail clients show before truncating).</summary>
    public int MaxSubject { get; init; } = 60;

    /// <summary>The longest preheader (default 110 characters).</summary>
    public int MaxPreheader { get; init; } = 110;

    /// <inheritdoc />
    public override string Channel => "email";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; } = ["subject", "preheader"];

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules() =>
        [$"subject: required, one line, at most {MaxSubject} characters", $"preheader: at most {MaxPreheader} characters"];

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        Length(variant, "subject", MaxSubject, true, findings);
        Length(variant, "preheader", MaxPreheader, false, findings);
        if (variant.Field("subject").Contains('\n', StringComparison.Ordinal))
        {
            findings.Add(new ChannelFinding("subject", ChannelFinding.Convention, 0, 1, "a subject is one line"));
        }
    }
}

/// <summary>Push notification: <c>title</c> (required) and <c>body</c> (required).</summary>
public sealed class PushProfile : ChannelProfile
{
    /// <summary>The longest title (default 30 characters, what lock screens show).</summary>
    public int MaxTitle { get; init; } = 30;

    /// <summary>The longest body (default 100 characters).</summary>
    public int MaxBody { get; init; } = 100;

    /// <inheritdoc />
    public override string Channel => "push";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; } = ["title", "body"];

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules() =>
        [$"title: required, at most {MaxTitle} characters", $"body: required, at most {MaxBody} characters"];

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        Length(variant, "title", MaxTitle, true, findings);
        Length(variant, "body", MaxBody, true, findings);
    }
}

/// <summary>WeChat template/subscription message: the template's keyword fields, each required and at most <see cref="MaxFieldLength"/> (WeChat's <c>thing</c> type allows 20).</summary>
public sealed class WeChatTemplateProfile : ChannelProfile
{
    /// <summary>Creates the profile for a template's fields.</summary>
    /// <param name="fields">The keyword field names (e.g. <c>thing1</c>, <c>thing2</c>).</param>
    public WeChatTemplateProfile(IEnumerable<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        FieldNames = [.. fields];
        if (FieldNames.Count == 0)
        {
            throw new ArgumentException("A WeChat template has at least one field.", nameof(fields));
        }
    }

    /// <summary>The longest field value (default 20 characters).</summary>
    public int MaxFieldLength { get; init; } = 20;

    /// <inheritdoc />
    public override string Channel => "wechat_template";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules() => [.. FieldNames.Select(f => $"{f}: required, at most {MaxFieldLength} characters")];

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        foreach (var field in FieldNames)
        {
            Length(variant, field, MaxFieldLength, true, findings);
        }
    }
}

/// <summary>Xiaohongshu note: <c>title</c> (required, at most 20 characters), <c>body</c> (required, at most 1000) and <c>hashtags</c> (1–10).</summary>
public sealed class XiaohongshuProfile : ChannelProfile
{
    /// <summary>The longest title (20 characters, the app's limit).</summary>
    public int MaxTitle { get; init; } = 20;

    /// <summary>The longest body (default 1000 characters).</summary>
    public int MaxBody { get; init; } = 1000;

    /// <summary>The most hashtags (default 10).</summary>
    public int MaxHashtags { get; init; } = 10;

    /// <inheritdoc />
    public override string Channel => "xiaohongshu";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; } = ["title", "body"];

    /// <inheritdoc />
    public override IReadOnlyList<string> ListFieldNames { get; } = ["hashtags"];

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules() =>
        [$"title: required, at most {MaxTitle} characters", $"body: required, at most {MaxBody} characters", $"hashtags: 1 to {MaxHashtags} items"];

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        Length(variant, "title", MaxTitle, true, findings);
        Length(variant, "body", MaxBody, true, findings);
        Items(variant, "hashtags", 1, MaxHashtags, findings);
    }
}

/// <summary>
/// Douyin short-video script: a <c>hook</c> spoken within the first <see cref="HookSeconds"/> seconds (at
/// <see cref="CharactersPerSecond"/>), 1–<see cref="MaxScenes"/> <c>scenes</c> and a <c>call_to_action</c>.
/// </summary>
public sealed class DouyinScriptProfile : ChannelProfile
{
    /// <summary>The seconds the hook must fit in (default 3).</summary>
    public int HookSeconds { get; init; } = 3;

    /// <summary>The speaking rate used to time the hook (default 4 Chinese characters a second).</summary>
    public int CharactersPerSecond { get; init; } = 4;

    /// <summary>The most scenes (default 8).</summary>
    public int MaxScenes { get; init; } = 8;

    /// <inheritdoc />
    public override string Channel => "douyin";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; } = ["hook", "call_to_action"];

    /// <inheritdoc />
    public override IReadOnlyList<string> ListFieldNames { get; } = ["scenes"];

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules() =>
        [$"hook: required, spoken within the first {HookSeconds} seconds: at most {HookSeconds * CharactersPerSecond} characters", $"scenes: 1 to {MaxScenes} items", "call_to_action: required, at most 30 characters"];

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        Length(variant, "hook", HookSeconds * CharactersPerSecond, true, findings);
        Items(variant, "scenes", 1, MaxScenes, findings);
        Length(variant, "call_to_action", 30, true, findings);
    }
}

/// <summary>Weibo post: <c>body</c> (required, at most <see cref="MaxBody"/>); hashtags are written <c>#话题#</c> inside it.</summary>
public sealed class WeiboProfile : ChannelProfile
{
    /// <summary>The longest post (default 2000 characters).</summary>
    public int MaxBody { get; init; } = 2000;

    /// <inheritdoc />
    public override string Channel => "weibo";

    /// <inheritdoc />
    public override IReadOnlyList<string> FieldNames { get; } = ["body"];

    /// <inheritdoc />
    public override IReadOnlyList<string> DescribeRules() =>
        [$"body: required, at most {MaxBody} characters", "topics are written #topic# with both # signs"];

    /// <inheritdoc />
    protected override void Check(ContentVariant variant, List<ChannelFinding> findings)
    {
        Length(variant, "body", MaxBody, true, findings);
        if (variant.Field("body").Count(c => c == '#') % 2 != 0)
        {
            findings.Add(new ChannelFinding("body", ChannelFinding.Convention, 0, 1, "Weibo topics are written #topic# (an unpaired # was found)"));
        }
    }
}
