using Marketing.Sdk.Content.Generation;
using Marketing.Sdk.Content.Templates;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Content;

/// <summary>Settings of the content package.</summary>
public sealed class ContentOptions
{
    /// <summary>The longest template text accepted (default 16 384 characters).</summary>
    public int MaxTemplateLength { get; set; } = ContentTemplateLimits.Default.MaxTemplateLength;

    /// <summary>The deepest nesting of conditionals accepted (default 8).</summary>
    public int MaxNestingDepth { get; set; } = ContentTemplateLimits.Default.MaxNestingDepth;

    /// <summary>The longest rendered output (default 65 536 characters).</summary>
    public int MaxOutputLength { get; set; } = ContentTemplateLimits.Default.MaxOutputLength;

    /// <summary>Generation through an <c>IChatClient</c>: rewrite loop, timeouts, retries, prices.</summary>
    public ContentGenerationOptions Generation { get; set; } = new();

    /// <summary>How many versions of a template the template store keeps (default 20, at least 1).</summary>
    public int TemplateHistory { get; set; } = 20;

    internal ContentTemplateLimits Limits => new() { MaxTemplateLength = MaxTemplateLength, MaxNestingDepth = MaxNestingDepth, MaxOutputLength = MaxOutputLength };
}

/// <summary>Checks <see cref="ContentOptions"/> at start.</summary>
internal sealed class ContentOptionsValidator : IValidateOptions<ContentOptions>
{
    public ValidateOptionsResult Validate(string? name, ContentOptions options)
    {
        var failures = new List<string>();
        if (options.MaxTemplateLength is < 1 or > 1_048_576)
        {
            failures.Add("MaxTemplateLength must be between 1 and 1048576.");
        }

        if (options.MaxNestingDepth is < 1 or > 64)
        {
            failures.Add("MaxNestingDepth must be between 1 and 64.");
        }

        if (options.MaxOutputLength is < 1 or > 16_777_216)
        {
            failures.Add("MaxOutputLength must be between 1 and 16777216.");
        }

        if (options.TemplateHistory is < 1 or > 1_000)
        {
            failures.Add("TemplateHistory must be between 1 and 1000.");
        }

        if (options.Generation is null)
        {
            failures.Add("Generation is required.");
        }
        else
        {
            failures.AddRange(options.Generation.Errors());
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
