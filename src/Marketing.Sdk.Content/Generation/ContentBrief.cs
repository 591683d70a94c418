using Marketing.Sdk.Content.Channels;

namespace Marketing.Sdk.Content.Generation;

/// <summary>
/// What to write: the product's facts, the audience (a segment's description, never its members), the tone, the
/// channel and the language. Every free text of a brief is passed to the model as untrusted data inside a delimited
/// block, after the personal-data filter (<see cref="BriefRedactor"/>), never as instructions.
/// </summary>
public sealed record ContentBrief
{
    /// <summary>The channel the copy is for; its fields and rules shape the answer and every variant is reviewed against it.</summary>
    public required ChannelProfile Channel { get; init; }

    /// <summary>The copy's language: <c>zh</c> or <c>en</c> (optionally with a region, e.g. <c>zh-CN</c>).</summary>
    public required string Language { get; init; }

    /// <summary>The product's facts by name (e.g. <c>name</c>, <c>capacity</c>, <c>price</c>, <c>description</c>); serialised as JSON data.</summary>
    public required IReadOnlyDictionary<string, string> ProductFacts { get; init; }

    /// <summary>Who the copy is for: a segment's description (e.g. "dormant customers who bought kitchenware"), never a member list.</summary>
    public string? AudienceDescription { get; init; }

    /// <summary>The tone (e.g. "warm, practical").</summary>
    public string? Tone { get; init; }

    /// <summary>How many distinct variants to ask for (default 3; at most <see cref="ContentGenerationOptions.MaxVariants"/>).</summary>
    public int VariantCount { get; init; } = 3;

    /// <summary>
    /// Placeholders the copy may use as <c>{{name}}</c> (e.g. <c>coupon</c>); a variant that uses any other placeholder
    /// is rejected, so copy promoted to a template compiles with these names. Empty: no placeholders.
    /// </summary>
    public IReadOnlyList<string> Placeholders { get; init; } = [];

    /// <summary>An id for logs and metrics (e.g. the campaign's id); never shown to the model.</summary>
    public string? Reference { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"ContentBrief {{ Channel = {Channel?.Channel}, Language = {Language}, VariantCount = {VariantCount}, Facts = {ProductFacts?.Count} }}";
}
