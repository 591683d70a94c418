using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>
/// An amount of money: a <see cref="decimal"/> and an ISO 4217 currency code. Arithmetic is only
/// defined between amounts of the same currency; anything else throws
/// <see cref="CurrencyMismatchException"/>, because a silent conversion is a silent bug.
/// </summary>
[JsonConverter(typeof(MoneyJsonConverter))]
public readonly record struct Money : IComparable<Money>
{
    /// <summary>Creates an amount.</summary>
    /// <param name="amount">The amount, in major units (e.g. 12.34 for EUR 12.34).</param>
    /// <param name="currency">An ISO 4217 alphabetic code, case-insensitive.</param>
    /// <exception cref="MarketingValidationException">The currency is not an ISO 4217 code.</exception>
    public Money(decimal amount, string currency)
    {
        Amount = amount;
        Currency = Currencies.Normalize(currency, "currency");
    }

    /// <summary>The amount in major units.</summary>
    public decimal Amount { get; }

    /// <summary>The ISO 4217 alphabetic code, upper case.</summary>
    public string Currency { get; }

    /// <summary>Zero in the given currency.</summary>
    /// <param name="currency">An ISO 4217 code.</param>
    public static Money Zero(string currency) => new(0m, currency);

    /// <summary>Number of minor-unit digits of the currency (2 for EUR, 0 for JPY, 3 for KWD).</summary>
    public int MinorUnitDigits => Currencies.MinorUnits(Currency);

    /// <summary>The amount in minor units (cents, fen), rounded half away from zero.</summary>
    public long ToMinorUnits() =>
        (long)decimal.Round(Amount * Pow10(MinorUnitDigits), 0, MidpointRounding.AwayFromZero);

    /// <summary>The amount in micros (millionths of a major unit), as some ad platforms want it.</summary>
    public long ToMicros() => (long)decimal.Round(Amount * 1_000_000m, 0, MidpointRounding.AwayFromZero);

    /// <summary>Creates an amount from minor units.</summary>
    /// <param name="minorUnits">The amount in minor units.</param>
    /// <param name="currency">An ISO 4217 code.</param>
    public static Money FromMinorUnits(long minorUnits, string currency)
    {
        var code = Currencies.Normalize(currency, "currency");
        return new Money(minorUnits / Pow10(Currencies.MinorUnits(code)), code);
    }

    /// <summary>Creates an amount from micros.</summary>
    /// <param name="micros">The amount in millionths of a major unit.</param>
    /// <param name="currency">An ISO 4217 code.</param>
    public static Money FromMicros(long micros, string currency) => new(micros / 1_000_000m, currency);

    /// <summary>Rounds to the currency's minor unit.</summary>
    public Money Round() => new(decimal.Round(Amount, MinorUnitDigits, MidpointRounding.ToEven), Currency);

    /// <summary>Adds two amounts of one currency.</summary>
    public static Money operator +(Money left, Money right) => new(left.Amount + Same(left, right).Amount, left.Currency);

    /// <summary>Subtracts two amounts of one currency.</summary>
    public static Money operator -(Money left, Money right) => new(left.Amount - Same(left, right).Amount, left.Currency);

    /// <summary>Negates an amount.</summary>
    public static Money operator -(Money value) => new(-value.Amount, value.Currency);

    /// <summary>Multiplies an amount by a factor.</summary>
    public static Money operator *(Money left, decimal factor) => new(left.Amount * factor, left.Currency);

    /// <summary>Divides an amount by a divisor.</summary>
    public static Money operator /(Money left, decimal divisor) => new(left.Amount / divisor, left.Currency);

    /// <summary>Compares two amounts of one currency.</summary>
    public static bool operator <(Money left, Money right) => left.CompareTo(right) < 0;

    /// <summary>Compares two amounts of one currency.</summary>
    public static bool operator >(Money left, Money right) => left.CompareTo(right) > 0;

    /// <summary>Compares two amounts of one currency.</summary>
    public static bool operator <=(Money left, Money right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two amounts of one currency.</summary>
    public static bool operator >=(Money left, Money right) => left.CompareTo(right) >= 0;

    /// <summary>Adds two amounts of one currency.</summary>
    public static Money Add(Money left, Money right) => left + right;

    /// <summary>Subtracts two amounts of one currency.</summary>
    public static Money Subtract(Money left, Money right) => left - right;

    /// <summary>Multiplies an amount by a factor.</summary>
    public static Money Multiply(Money left, decimal factor) => left * factor;

    /// <summary>Divides an amount by a divisor.</summary>
    public static Money Divide(Money left, decimal divisor) => left / divisor;

    /// <summary>Negates an amount.</summary>
    public static Money Negate(Money value) => -value;

    /// <summary>Sums amounts that share one currency; <paramref name="currency"/> is the result's currency when the sequence is empty.</summary>
    /// <param name="values">The amounts.</param>
    /// <param name="currency">Currency of every amount.</param>
    public static Money Sum(IEnumerable<Money> values, string currency)
    {
        ArgumentNullException.ThrowIfNull(values);
        var total = Zero(currency);
        foreach (var v in values)
        {
            total += v;
        }
        return total;
    }

    /// <inheritdoc />
    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public int CompareTo(Money other) => Amount.CompareTo(Same(this, other).Amount);

    /// <summary>Parses <c>"12.34 EUR"</c>.</summary>
    /// <param name="text">Amount, a space, currency code.</param>
    public static Money Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !decimal.TryParse(parts[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
        {
            throw new MarketingValidationException("money", ValidationReason.InvalidFormat, "Expected '<amount> <ISO 4217 code>', e.g. '12.34 EUR'.");
        }
        return new Money(amount, parts[1]);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Amount} {Currency}");

    private static Money Same(Money left, Money right)
    {
        if (!string.Equals(left.Currency, right.Currency, StringComparison.Ordinal))
        {
            throw new CurrencyMismatchException(left.Currency ?? "(none)", right.Currency ?? "(none)");
        }
        return right;
    }

    private static decimal Pow10(int digits) => digits switch { 0 => 1m, 1 => 10m, 2 => 100m, 3 => 1000m, _ => 10000m };
}

/// <summary>The ISO 4217 currency table (active alphabetic codes and their minor units).</summary>
public static class Currencies
{
    // code → minor-unit digits; ISO 4217 list of active codes.
    private static readonly Dictionary<string, int> Table = Build();

    /// <summary>Whether <paramref name="code"/> is an active ISO 4217 alphabetic code (case-insensitive).</summary>
    /// <param name="code">The code to test.</param>
    public static bool IsKnown([NotNullWhen(true)] string? code) =>
        code is { Length: 3 } && Table.ContainsKey(code.ToUpperInvariant());

    /// <summary>Minor-unit digits of an ISO 4217 code.</summary>
    /// <param name="code">The code.</param>
    public static int MinorUnits(string code) =>
        Table.TryGetValue(Normalize(code, "currency"), out var d) ? d : 2;

    /// <summary>Upper-cases and checks a code, throwing <see cref="MarketingValidationException"/> for unknown codes.</summary>
    /// <param name="code">The code.</param>
    /// <param name="field">Field name to report.</param>
    public static string Normalize(string? code, string field)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new MarketingValidationException(field, ValidationReason.Missing, "A currency code is required.");
        }
        var upper = code.Trim().ToUpperInvariant();
        if (!Table.ContainsKey(upper))
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidCurrency, "Not an active ISO 4217 currency code.");
        }
        return upper;
    }

    private static Dictionary<string, int> Build()
    {
        const string zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string three = "BHD IQD JOD KWD LYD OMR TND";
        const string four = "CLF UYW";
        const string two =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
            "CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL " +
            "GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD " +
            "LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN " +
            "PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL " +
            "THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL";
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (codes, digits) in new[] { (zero, 0), (two, 2), (three, 3), (four, 4) })
        {
            foreach (var c in codes.Split(' '))
            {
                table[c] = digits;
            }
        }
        return table;
    }
}

/// <summary>
/// JSON converter for <see cref="Money"/>: an object <c>{"amount": 12.34, "currency": "EUR"}</c>
/// (property names follow the options' naming policy when writing and match case-insensitively when
/// reading). Anything it cannot read (wrong token, JSON null, a missing or unknown currency, an
/// amount outside the decimal range) is a <see cref="JsonException"/> naming the field and the
/// reason, never the value.
/// </summary>
public sealed class MoneyJsonConverter : JsonConverter<Money>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw JsonReadErrors.Null("money");
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw JsonReadErrors.WrongToken("money", reader.TokenType, "an object with 'amount' and 'currency'");
        }
        decimal? amount = null;
        string? currency = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (string.Equals(name, "amount", StringComparison.OrdinalIgnoreCase))
            {
                amount = ReadAmount(ref reader, options);
            }
            else if (string.Equals(name, "currency", StringComparison.OrdinalIgnoreCase))
            {
                currency = JsonReadErrors.ReadString(ref reader, "currency");
            }
            else
            {
                reader.Skip();
            }
        }
        if (amount is null)
        {
            throw JsonReadErrors.Invalid("amount", ValidationReason.Missing, "An amount is required.");
        }
        try
        {
            return new Money(amount.Value, currency!);
        }
        catch (MarketingValidationException ex)
        {
            throw JsonReadErrors.From(ex);
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        writer.WriteStartObject();
        writer.WriteNumber(Name("Amount", options), value.Amount);
        if (value.Currency is null)
        {
            writer.WriteNull(Name("Currency", options));
        }
        else
        {
            writer.WriteString(Name("Currency", options), value.Currency);
        }
        writer.WriteEndObject();
    }

    private static decimal ReadAmount(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetDecimal(out var number)
                    ? number
                    : throw JsonReadErrors.Invalid("amount", ValidationReason.OutOfRange, "The amount is outside the decimal range.");
            case JsonTokenType.String when (options.NumberHandling & JsonNumberHandling.AllowReadingFromString) != 0:
                return decimal.TryParse(reader.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw JsonReadErrors.Invalid("amount", ValidationReason.InvalidFormat, "The amount is not a decimal number.");
            case JsonTokenType.Null:
                throw JsonReadErrors.Null("amount");
            default:
                throw JsonReadErrors.WrongToken("amount", reader.TokenType, "a JSON number");
        }
    }

    private static string Name(string name, JsonSerializerOptions options) => options.PropertyNamingPolicy?.ConvertName(name) ?? name;
}
