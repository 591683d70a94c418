using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Content.Generation;

/// <summary>The instruments of the <c>Marketing.Sdk.Content</c> meter and its activity source.</summary>
internal sealed class ContentMetrics
{
    public const string MeterName = "Marketing.Sdk.Content";

    public static readonly ActivitySource ActivitySource = new(MeterName);

    public ContentMetrics(IMeterFactory? factory)
    {
        var meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        Tokens = meter.CreateCounter<long>("marketing.content.tokens", unit: "{token}", description: "Tokens the chat client reported, by direction (input, output) and channel.");
        Cost = meter.CreateCounter<double>("marketing.content.cost", description: "Cost of generation from the configured per-1k-token prices, by currency and channel.");
        Requests = meter.CreateCounter<long>("marketing.content.requests", unit: "{request}", description: "Requests to the chat client, by kind (generate, rewrite) and outcome (ok, timeout, transient, failed).");
        Generations = meter.CreateCounter<long>("marketing.content.generations", unit: "{generation}", description: "Generations, by channel and outcome (completed or the failure).");
        Variants = meter.CreateCounter<long>("marketing.content.variants", unit: "{variant}", description: "Variants after review and rewrites, by channel and verdict (approved, rejected).");
        Rewrites = meter.CreateCounter<long>("marketing.content.rewrites", unit: "{rewrite}", description: "Rewrite attempts of rejected variants, by channel.");
    }

    public Counter<long> Tokens { get; }
    public Counter<double> Cost { get; }
    public Counter<long> Requests { get; }
    public Counter<long> Generations { get; }
    public Counter<long> Variants { get; }
    public Counter<long> Rewrites { get; }
}

/// <summary>Source-generated log messages of content generation (event ids 12000–12099); never copy, briefs or answers.</summary>
internal static partial class ContentLog
{
    [LoggerMessage(EventId = 12000, Level = LogLevel.Debug, Message = "Generating {Requested} {Channel} variants ({Language}) for '{Reference}'")]
    public static partial void GenerationStarted(ILogger logger, int requested, string channel, string language, string reference);

    [LoggerMessage(EventId = 12001, Level = LogLevel.Information, Message = "Removed {Count} personal values ({Kinds}) from a {Channel} brief for '{Reference}' before prompting")]
    public static partial void BriefRedacted(ILogger logger, int count, string kinds, string channel, string reference);

    [LoggerMessage(EventId = 12002, Level = LogLevel.Information, Message = "Generated {Channel} variants for '{Reference}': {Approved} approved, {Rejected} rejected of {Requested}; {Requests} requests, {InputTokens} input and {OutputTokens} output tokens, cost {Cost} {Currency}")]
    public static partial void GenerationCompleted(ILogger logger, string channel, string reference, int approved, int rejected, int requested, int requests, long inputTokens, long outputTokens, decimal cost, string currency);

    [LoggerMessage(EventId = 12003, Level = LogLevel.Warning, Message = "Generating {Channel} variants for '{Reference}' failed: {Failure} at '{Field}'")]
    public static partial void GenerationFailed(ILogger logger, string channel, string reference, ContentGenerationFailure failure, string field);

    [LoggerMessage(EventId = 12004, Level = LogLevel.Warning, Message = "Chat request ({Kind}) attempt {Attempt} failed transiently ({Code}); retrying")]
    public static partial void RequestRetried(ILogger logger, string kind, int attempt, string code);

    [LoggerMessage(EventId = 12005, Level = LogLevel.Debug, Message = "Rewriting {Channel} variant '{VariantId}' (attempt {Attempt}): {ChannelFindings} channel and {AdCopyFindings} ad-copy findings")]
    public static partial void Rewriting(ILogger logger, string channel, string variantId, int attempt, int channelFindings, int adCopyFindings);

    [LoggerMessage(EventId = 12006, Level = LogLevel.Information, Message = "{Channel} variant '{VariantId}' is still rejected after {Attempts} rewrites: {ChannelFindings} channel and {AdCopyFindings} ad-copy findings")]
    public static partial void GaveUp(ILogger logger, string channel, string variantId, int attempts, int channelFindings, int adCopyFindings);

    [LoggerMessage(EventId = 12007, Level = LogLevel.Debug, Message = "A rewrite of {Channel} variant '{VariantId}' was unusable: {Failure} at '{Field}'")]
    public static partial void RewriteUnusable(ILogger logger, string channel, string variantId, ContentGenerationFailure failure, string field);

    [LoggerMessage(EventId = 12020, Level = LogLevel.Information, Message = "Template '{TemplateId}' version {Version} ({Channel}) is active: {Reason}")]
    public static partial void TemplateActivated(ILogger logger, string templateId, int version, string channel, string reason);
}
