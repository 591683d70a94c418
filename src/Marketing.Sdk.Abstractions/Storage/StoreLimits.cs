namespace Marketing.Sdk.Storage;

/// <summary>
/// Limits every store enforces alike, so that a value accepted by one store is accepted by all and
/// read back unchanged: keys fit database indexes, and no text contains unpaired UTF-16 surrogates
/// (they cannot be encoded as UTF-8) or, in keys, NUL characters.
/// </summary>
public static class StoreLimits
{
    /// <summary>Maximum length of a key (event id, identity value, destination, idempotency key, source, actor…): 512 characters.</summary>
    public const int MaxKeyLength = 512;

    /// <summary>Checks a key-like value; throws <see cref="MarketingValidationException"/> naming <paramref name="field"/> otherwise.</summary>
    /// <param name="value">The value.</param>
    /// <param name="field">The field name for the error.</param>
    /// <param name="index">Position of the record in a batch, if any.</param>
    public static void EnsureKey(string? value, string field, int? index = null)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new MarketingValidationException(field, ValidationReason.Missing, "A value is required.", index);
        }
        if (value.Length > MaxKeyLength)
        {
            throw new MarketingValidationException(field, ValidationReason.TooLarge, $"Keys are at most {MaxKeyLength} characters.", index);
        }
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidCharacters, "Keys must not contain NUL characters.", index);
        }
        EnsureText(value, field, index);
    }

    /// <summary>Checks free text (any length, NUL allowed); rejects unpaired UTF-16 surrogates.</summary>
    /// <param name="value">The value; <see langword="null"/> passes.</param>
    /// <param name="field">The field name for the error.</param>
    /// <param name="index">Position of the record in a batch, if any.</param>
    public static void EnsureText(string? value, string field, int? index = null)
    {
        if (value is null)
        {
            return;
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                throw new MarketingValidationException(field, ValidationReason.InvalidCharacters,
                    $"The text contains an unpaired UTF-16 surrogate at position {i}.", index);
            }
        }
    }
}
