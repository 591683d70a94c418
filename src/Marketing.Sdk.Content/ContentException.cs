namespace Marketing.Sdk.Content;

/// <summary>Base type of failures raised by the content package (messages never contain personal data or rendered values).</summary>
public class ContentException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public ContentException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public ContentException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Thrown when a template is refused at registration (unknown placeholder, bad syntax, over a limit) or its output would exceed the render limit.</summary>
public sealed class ContentTemplateException : ContentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What is wrong.</param>
    /// <param name="position">The character offset in the template text, when the failure is at one place.</param>
    /// <param name="placeholder">The placeholder concerned, when there is one.</param>
    public ContentTemplateException(string reason, int? position = null, string? placeholder = null)
        : base(placeholder is null
            ? (position is null ? $"Template refused: {reason}" : $"Template refused at position {position}: {reason}")
            : $"Template refused at position {position}: {reason} '{placeholder}'")
    {
        Position = position;
        Placeholder = placeholder;
    }

    /// <summary>The character offset in the template text, or <see langword="null"/>.</summary>
    public int? Position { get; }

    /// <summary>The placeholder name concerned (a template's variable name, never a value), or <see langword="null"/>.</summary>
    public string? Placeholder { get; }
}
