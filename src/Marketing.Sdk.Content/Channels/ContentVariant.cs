namespace Marketing.Sdk.Content.Channels;

/// <summary>One copy variant for a channel: its text fields by name (e.g. <c>title</c>, <c>body</c>) and list fields (e.g. <c>hashtags</c>, <c>scenes</c>).</summary>
/// <param name="Id">The variant's id (e.g. <c>a</c>, <c>b</c>).</param>
/// <param name="Fields">Text fields by name.</param>
/// <param name="Lists">List fields by name (absent when the channel has none).</param>
public sealed record ContentVariant(string Id, IReadOnlyDictionary<string, string> Fields, IReadOnlyDictionary<string, IReadOnlyList<string>>? Lists = null)
{
    /// <summary>A text field, or the empty string.</summary>
    /// <param name="name">The field's name.</param>
    public string Field(string name) => Fields.GetValueOrDefault(name) ?? "";

    /// <summary>A list field, or an empty list.</summary>
    /// <param name="name">The field's name.</param>
    public IReadOnlyList<string> List(string name) => Lists?.GetValueOrDefault(name) ?? [];

    /// <summary>Every text to review, with the field it came from (list items as <c>name[i]</c>).</summary>
    public IEnumerable<KeyValuePair<string, string>> Texts() =>
        Fields.Concat((Lists ?? new Dictionary<string, IReadOnlyList<string>>()).SelectMany(l => l.Value.Select((v, i) => new KeyValuePair<string, string>($"{l.Key}[{i}]", v))));
}

/// <summary>A channel rule a variant breaks.</summary>
/// <param name="Field">The field (e.g. <c>title</c>, <c>body</c>, <c>hashtags</c>).</param>
/// <param name="Code">A stable code (e.g. <c>too_long</c>, <c>required</c>, <c>unsubscribe_wording_missing</c>).</param>
/// <param name="Limit">The limit, as a number (characters, segments, items, seconds).</param>
/// <param name="Actual">The variant's value against that limit.</param>
/// <param name="Detail">The rule in words (never the copy itself).</param>
public sealed record ChannelFinding(string Field, string Code, int Limit, int Actual, string Detail)
{
    /// <summary>The code of a field over its length.</summary>
    public const string TooLong = "too_long";

    /// <summary>The code of a missing required field.</summary>
    public const string Required = "required";

    /// <summary>The code of too many or too few list items.</summary>
    public const string Count = "count";

    /// <summary>The code of a <c>{{placeholder}}</c> the brief does not declare, or copy that is not a valid template.</summary>
    public const string Placeholder = "placeholder";

    /// <summary>The code of a convention not followed (wording, format).</summary>
    public const string Convention = "convention";
}
