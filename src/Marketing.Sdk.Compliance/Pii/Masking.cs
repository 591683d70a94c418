using Microsoft.Extensions.Compliance.Redaction;

namespace Marketing.Sdk.Compliance.Pii;

/// <summary>Masking formats users expect: phone 138****5678, email j***@example.com, name Z**.</summary>
public static class PiiMasking
{
    /// <summary>Keeps the first three and last four digits of a phone (country code dropped), masking the rest: <c>+8613812345678</c> → <c>138****5678</c>.</summary>
    /// <param name="phone">The phone number.</param>
    public static string MaskPhone(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var digits = new string([.. phone.Where(char.IsAsciiDigit)]);
        if (phone.TrimStart().StartsWith("+86", StringComparison.Ordinal) && digits.Length == 13)
        {
            digits = digits[2..];
        }
        if (digits.Length < 8)
        {
            return new string('*', Math.Max(digits.Length, 4));
        }
        return string.Concat(digits.AsSpan(0, 3), new string('*', digits.Length - 7), digits.AsSpan(digits.Length - 4));
    }

    /// <summary>Keeps the first character of the local part and the domain: <c>john@example.com</c> → <c>j***@example.com</c>.</summary>
    /// <param name="email">The email address.</param>
    public static string MaskEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var at = email.LastIndexOf('@');
        if (at <= 0)
        {
            return "***";
        }
        return string.Concat(email.AsSpan(0, 1), "***", email.AsSpan(at));
    }

    /// <summary>Keeps the first character and masks the rest: <c>Zoe</c> → <c>Z**</c>, <c>张三丰</c> → <c>张**</c>.</summary>
    /// <param name="name">The name.</param>
    public static string MaskName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        if (trimmed.Length == 0)
        {
            return "";
        }
        return trimmed.Length == 1 ? "*" : string.Concat(trimmed.AsSpan(0, 1), new string('*', trimmed.Length - 1));
    }
}

/// <summary>Base of the masking redactors: redacts through a string function.</summary>
public abstract class MaskingRedactor : Redactor
{
    /// <summary>Masks a value.</summary>
    /// <param name="value">The value.</param>
    protected abstract string Mask(string value);

    /// <inheritdoc />
    public override int GetRedactedLength(ReadOnlySpan<char> input) => Mask(input.ToString()).Length;

    /// <inheritdoc />
    public override int Redact(ReadOnlySpan<char> source, Span<char> destination)
    {
        var masked = Mask(source.ToString());
        masked.AsSpan().CopyTo(destination);
        return masked.Length;
    }
}

/// <summary>Masks phones as 138****5678.</summary>
public sealed class PhoneMaskingRedactor : MaskingRedactor
{
    /// <inheritdoc />
    protected override string Mask(string value) => PiiMasking.MaskPhone(value);
}

/// <summary>Masks emails as j***@example.com.</summary>
public sealed class EmailMaskingRedactor : MaskingRedactor
{
    /// <inheritdoc />
    protected override string Mask(string value) => PiiMasking.MaskEmail(value);
}

/// <summary>Masks names as Z**.</summary>
public sealed class NameMaskingRedactor : MaskingRedactor
{
    /// <inheritdoc />
    protected override string Mask(string value) => PiiMasking.MaskName(value);
}
