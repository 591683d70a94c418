using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Content.Generation;

/// <summary>
/// Writes copy variants through any <see cref="IChatClient"/> the host registers (the SDK ships no model): the brief,
/// after the personal-data filter, goes to the model as untrusted data; the answer is asked for as structured output
/// (a JSON schema of the channel's fields), parsed and validated; every variant passes the review gate (channel rules and
/// the ad-copy review) and a rejected one is sent back with its findings, a bounded number of times. Requests run
/// through a pipeline stage with a per-request timeout and bounded retries of transient failures; tokens and cost are
/// counted per generation and on the <c>Marketing.Sdk.Content</c> meter; nothing of the copy, the brief or the answer is
/// logged.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The wrapped chat client is the host's (its registration owns and disposes it); the generator's stage holds nothing else.")]
public sealed class ContentGenerator
{
    private readonly ResilientChatClient _client;
    private readonly ContentReviewGate _gate;
    private readonly ContentGenerationOptions _options;
    private readonly BriefRedactor _redactor;
    private readonly ContentMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Creates a generator.</summary>
    /// <param name="chatClient">The host's chat client (any provider; its own pipeline — logging, caching, telemetry — runs inside this generator's).</param>
    /// <param name="gate">The review gate every variant passes.</param>
    /// <param name="options">Rewrite bound, timeout, retries and prices (default <see cref="ContentGenerationOptions"/>).</param>
    /// <param name="redactor">The personal-data filter of the brief (default <see cref="BriefRedactor.Default"/>).</param>
    /// <param name="timeProvider">The clock of timeouts and retry delays (default <see cref="TimeProvider.System"/>).</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Content</c> meter.</param>
    /// <param name="logger">The logger.</param>
    public ContentGenerator(IChatClient chatClient, ContentReviewGate gate, ContentGenerationOptions? options = null, BriefRedactor? redactor = null,
        TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<ContentGenerator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _gate = gate ?? throw new ArgumentNullException(nameof(gate));
        _options = options ?? new ContentGenerationOptions();
        var errors = _options.Errors().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _redactor = redactor ?? BriefRedactor.Default;
        _metrics = new ContentMetrics(meterFactory);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _client = new ResilientChatClient(chatClient, _options, timeProvider ?? TimeProvider.System, _metrics, _logger);
    }

    /// <summary>Generates, reviews and (when the rewrite loop is on) rewrites the variants of a brief.</summary>
    /// <param name="brief">What to write.</param>
    /// <param name="cancellationToken">Cancels the generation, including a request in flight.</param>
    /// <returns>Every variant with its last review (approved or rejected with findings), and the usage.</returns>
    /// <exception cref="MarketingValidationException">The brief is invalid (no facts, unknown language, a count out of range).</exception>
    /// <exception cref="ContentGenerationException">
    /// The answer is malformed, holds too few or duplicate variants, or is a refusal; or every attempt timed out or failed.
    /// </exception>
    public async Task<ContentGenerationResult> GenerateAsync(ContentBrief brief, CancellationToken cancellationToken = default)
    {
        Validate(brief);
        var channel = brief.Channel.Channel;
        var reference = brief.Reference ?? "";
        using var activity = ContentMetrics.ActivitySource.StartActivity("content.generate");
        activity?.SetTag("marketing.content.channel", channel);
        activity?.SetTag("marketing.content.variants", brief.VariantCount);
        ContentLog.GenerationStarted(_logger, brief.VariantCount, channel, brief.Language, reference);
        var redacted = RedactedBrief.From(brief, _redactor);
        if (redacted.RedactedKinds.Count > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            var kinds = string.Join(",", redacted.RedactedKinds.Distinct());
            ContentLog.BriefRedacted(_logger, redacted.RedactedKinds.Count, kinds, channel, reference);
        }

        var usage = new UsageMeter(_options, _metrics, channel);
        try
        {
            var nonce = ContentPrompt.NewNonce();
            var response = await SendAsync(ContentPrompt.Generate(redacted, nonce), brief, brief.VariantCount, "generate", usage, cancellationToken).ConfigureAwait(false);
            var variants = Parse(response, brief, brief.VariantCount, "v");
            var results = new List<GeneratedVariant>(variants.Count);
            foreach (var variant in variants)
            {
                var review = Review(variant, brief);
                var rewrites = 0;
                while (!review.Approved && rewrites < _options.MaxRewriteAttempts)
                {
                    rewrites++;
                    _metrics.Rewrites.Add(1, new KeyValuePair<string, object?>("channel", channel));
                    ContentLog.Rewriting(_logger, channel, variant.Id, rewrites, review.ChannelFindings.Count, review.AdCopyFindings.Count);
                    var rewritten = await RewriteAsync(redacted, review, rewrites, [.. results.Select(r => r.Review.Variant), .. variants.Where(v => v.Id != variant.Id)], usage, cancellationToken).ConfigureAwait(false);
                    if (rewritten is not null)
                    {
                        review = Review(rewritten, brief);
                    }
                }

                if (!review.Approved && rewrites > 0)
                {
                    ContentLog.GaveUp(_logger, channel, variant.Id, rewrites, review.ChannelFindings.Count, review.AdCopyFindings.Count);
                }

                _metrics.Variants.Add(1, new("channel", channel), new("verdict", review.Approved ? "approved" : "rejected"));
                results.Add(new GeneratedVariant(review, rewrites));
            }

            var result = new ContentGenerationResult(channel, results, usage.ToUsage());
            _metrics.Generations.Add(1, new("channel", channel), new("outcome", "completed"));
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var approved = results.Count(r => r.Approved);
                ContentLog.GenerationCompleted(_logger, channel, reference, approved, results.Count - approved, brief.VariantCount,
                    usage.Requests, usage.Input, usage.Output, usage.Cost, _options.Currency);
            }

            return result;
        }
        catch (ContentGenerationException e)
        {
            _metrics.Generations.Add(1, new("channel", channel), new("outcome", e.Failure.ToString()));
            ContentLog.GenerationFailed(_logger, channel, reference, e.Failure, e.Field);
            activity?.SetStatus(ActivityStatusCode.Error, e.Failure.ToString());
            throw;
        }
    }

    private async Task<ContentVariant?> RewriteAsync(RedactedBrief brief, ContentReviewResult review, int attempt, List<ContentVariant> others, UsageMeter usage, CancellationToken cancellationToken)
    {
        var findings = review.ChannelFindings.Select(f => new FindingData(f.Field, $"{f.Code}: {f.Detail} (limit {f.Limit}, was {f.Actual})"))
            .Concat(review.AdCopyFindings.Select(f => new FindingData(f.Field, $"advertising law: '{f.Finding.Term}' is a {f.Finding.Category} term" + (f.Finding.Suggestion is { } s ? $"; consider '{s}'" : ""))))
            .ToList();
        var previous = new VariantAnswer
        {
            Fields = review.Variant.Fields.ToDictionary(f => f.Key, f => (string?)_redactor.Redact(f.Value).Text, StringComparer.Ordinal),
            Lists = review.Variant.Lists?.ToDictionary(l => l.Key, l => (List<string?>?)[.. l.Value.Select(v => (string?)_redactor.Redact(v).Text)], StringComparer.Ordinal),
        };
        var nonce = ContentPrompt.NewNonce();
        var messages = ContentPrompt.Rewrite(brief, nonce, GenerationJson.Data(new VariantsAnswer { Variants = [previous] }, ContentGenerationJsonContext.Default.VariantsAnswer), findings);
        var response = await SendAsync(messages, brief.Brief, 1, "rewrite", usage, cancellationToken).ConfigureAwait(false);
        try
        {
            var variant = Parse(response, brief.Brief, 1, "")[0] with { Id = review.Variant.Id };
            var key = Normalize(variant);
            if (others.Any(o => Normalize(o) == key))
            {
                throw new ContentGenerationException(ContentGenerationFailure.DuplicateVariant, "variants[0]", "the rewrite repeats another variant");
            }

            return variant;
        }
        catch (ContentGenerationException e)
        {
            // An unusable rewrite costs its attempt; the variant keeps its last version and findings.
            ContentLog.RewriteUnusable(_logger, brief.Brief.Channel.Channel, review.Variant.Id, e.Failure, e.Field);
            return null;
        }
    }

    private async Task<ChatResponse> SendAsync(List<ChatMessage> messages, ContentBrief brief, int count, string kind, UsageMeter usage, CancellationToken cancellationToken)
    {
        var chatOptions = new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(GenerationJson.Schema(brief.Channel, count), "content_variants", "Marketing copy variants for one channel"),
            ModelId = _options.ModelId,
            Temperature = _options.Temperature,
            MaxOutputTokens = _options.MaxOutputTokens,
            AdditionalProperties = new AdditionalPropertiesDictionary { [ResilientChatClient.KindKey] = kind },
        };
        var response = await _client.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
        usage.Add(response.Usage);
        return response;
    }

    private ContentReviewResult Review(ContentVariant variant, ContentBrief brief)
    {
        var review = _gate.Review(variant, brief.Channel);
        var placeholderFindings = new List<ChannelFinding>();
        foreach (var (field, text) in variant.Texts())
        {
            if (!text.Contains("{{", StringComparison.Ordinal) && !text.Contains("}}", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                ContentTemplate.Compile("generated", brief.Language, text, brief.Placeholders);
            }
            catch (ContentTemplateException e)
            {
                placeholderFindings.Add(new ChannelFinding(field, ChannelFinding.Placeholder, 0, 1,
                    e.Placeholder is null ? "the copy is not a valid template" : $"placeholder '{e.Placeholder}' is not one of the brief's placeholders"));
            }
        }

        return placeholderFindings.Count == 0 ? review : new ContentReviewResult(variant, review.Channel, [.. review.ChannelFindings, .. placeholderFindings], review.AdCopyFindings);
    }

    /// <summary>Parses and validates an answer into <paramref name="count"/> variants.</summary>
    internal static List<ContentVariant> Parse(ChatResponse response, ContentBrief brief, int count, string idPrefix)
    {
        if (response.FinishReason == ChatFinishReason.ContentFilter)
        {
            throw new ContentGenerationException(ContentGenerationFailure.Refused, "response", "the model's content filter stopped the answer");
        }

        var text = Unfence(response.Text);
        if (text.Length == 0)
        {
            throw new ContentGenerationException(ContentGenerationFailure.MalformedResponse, "response", "the answer is empty");
        }

        VariantsAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize(text, ContentGenerationJsonContext.Default.VariantsAnswer);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? path[1..].TrimStart('.') : "response";
            throw new ContentGenerationException(ContentGenerationFailure.MalformedResponse, where.Length == 0 ? "response" : where,
                $"the answer is not the JSON asked for (line {e.LineNumber}, byte {e.BytePositionInLine})");
        }

        if (answer is null)
        {
            throw new ContentGenerationException(ContentGenerationFailure.MalformedResponse, "response", "the answer is JSON null");
        }

        if (!string.IsNullOrWhiteSpace(answer.Refusal))
        {
            throw new ContentGenerationException(ContentGenerationFailure.Refused, "refusal", "the model declined to write the copy");
        }

        if (answer.Variants is null)
        {
            throw new ContentGenerationException(ContentGenerationFailure.MalformedResponse, "variants", "the answer has no variants array");
        }

        if (answer.Variants.Count < count)
        {
            throw new ContentGenerationException(ContentGenerationFailure.TooFewVariants, "variants",
                string.Create(CultureInfo.InvariantCulture, $"{answer.Variants.Count} variants were written, {count} were asked for"));
        }

        var variants = new List<ContentVariant>(count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var item = answer.Variants[i] ?? throw new ContentGenerationException(ContentGenerationFailure.MalformedResponse, $"variants[{i}]", "the variant is null");
            if (item.Fields is null)
            {
                throw new ContentGenerationException(ContentGenerationFailure.MalformedResponse, $"variants[{i}].fields", "the variant has no fields object");
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in brief.Channel.FieldNames)
            {
                if (item.Fields.TryGetValue(name, out var value) && value is not null)
                {
                    fields[name] = value.Trim();
                }
            }

            Dictionary<string, IReadOnlyList<string>>? lists = null;
            foreach (var name in brief.Channel.ListFieldNames)
            {
                if (item.Lists?.GetValueOrDefault(name) is { } values)
                {
                    lists ??= new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                    lists[name] = [.. values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim())];
                }
            }

            var variant = new ContentVariant(idPrefix + (i + 1).ToString(CultureInfo.InvariantCulture), fields, lists);
            var key = Normalize(variant);
            if (key.Length > 0 && seen.TryGetValue(key, out var first))
            {
                throw new ContentGenerationException(ContentGenerationFailure.DuplicateVariant, $"variants[{i}]",
                    string.Create(CultureInfo.InvariantCulture, $"the variant repeats variants[{first}]"));
            }

            seen[key] = i;
            variants.Add(variant);
        }

        return variants;
    }

    /// <summary>A variant's copy with whitespace and case folded, to find duplicates.</summary>
    internal static string Normalize(ContentVariant variant) =>
        string.Join("\u001f", variant.Texts().OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => string.Join(' ', t.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant()));

    // Some providers wrap structured output in a Markdown code fence even when a schema was asked for.
    private static string Unfence(string text)
    {
        var t = (text ?? "").Trim();
        if (t.StartsWith("```", StringComparison.Ordinal))
        {
            var newline = t.IndexOf('\n', StringComparison.Ordinal);
            t = newline < 0 ? "" : t[(newline + 1)..];
            if (t.EndsWith("```", StringComparison.Ordinal))
            {
                t = t[..^3];
            }
        }

        return t.Trim();
    }

    private void Validate(ContentBrief brief)
    {
        ArgumentNullException.ThrowIfNull(brief);
        if (brief.Channel is null)
        {
            throw new MarketingValidationException("channel", ValidationReason.Missing, "A brief names its channel.");
        }

        if (string.IsNullOrWhiteSpace(brief.Language) || !(brief.Language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) || brief.Language.StartsWith("en", StringComparison.OrdinalIgnoreCase)))
        {
            throw new MarketingValidationException("language", ValidationReason.InvalidFormat, "The language is zh or en.");
        }

        if (brief.ProductFacts is null || brief.ProductFacts.Count == 0)
        {
            throw new MarketingValidationException("productFacts", ValidationReason.Missing, "A brief carries at least one product fact.");
        }

        if (brief.VariantCount < 1 || brief.VariantCount > _options.MaxVariants)
        {
            throw new MarketingValidationException("variantCount", ValidationReason.OutOfRange, $"Between 1 and {_options.MaxVariants} variants can be asked for.");
        }

        if (brief.Placeholders is null || brief.Placeholders.Any(p => string.IsNullOrWhiteSpace(p) || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            throw new MarketingValidationException("placeholders", ValidationReason.InvalidFormat, "Placeholders are names of ASCII letters, digits and underscores.");
        }
    }

    /// <summary>Adds up the usage of one generation and records it on the meter as it arrives.</summary>
    private sealed class UsageMeter(ContentGenerationOptions options, ContentMetrics metrics, string channel)
    {
        public int Requests { get; private set; }
        public long Input { get; private set; }
        public long Output { get; private set; }
        public long Total { get; private set; }
        public decimal Cost { get; private set; }

        public void Add(UsageDetails? usage)
        {
            Requests++;
            var input = usage?.InputTokenCount ?? 0;
            var output = usage?.OutputTokenCount ?? 0;
            var cost = (input * options.InputPricePer1KTokens + output * options.OutputPricePer1KTokens) / 1000m;
            Input += input;
            Output += output;
            Total += usage?.TotalTokenCount ?? input + output;
            Cost += cost;
            metrics.Tokens.Add(input, new("direction", "input"), new("channel", channel));
            metrics.Tokens.Add(output, new("direction", "output"), new("channel", channel));
            if (cost > 0)
            {
                metrics.Cost.Add((double)cost, new("currency", options.Currency), new("channel", channel));
            }
        }

        public ContentUsage ToUsage() => new(Requests, Input, Output, Total, Cost, options.Currency);
    }
}
