using System.Text.Json;
using Marketing.Sdk.Ingestion;

namespace Marketing.Sdk.Abstractions.Tests;

/// <summary>
/// What the library's own converters do with hostile JSON: every failure is a <see cref="JsonException"/>
/// (so an ASP.NET Core host answers 400, not 500) whose message names the field and reason, never the value,
/// and whose path System.Text.Json fills in.
/// </summary>
public class JsonConverterTests
{
    private const string Secret = "Zq9secret";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static readonly JsonSerializerOptions WebWithStringNumbers = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    private static JsonException Fails<T>(string json, JsonSerializerOptions? options = null)
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<T>(json, options ?? Web));
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.OrdinalIgnoreCase);
        return ex;
    }

    private static JsonException FailsInContext(string json)
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, MarketingJsonContext.Default.MarketingEvent));
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.OrdinalIgnoreCase);
        return ex;
    }

    private const string ValidEvent = """{"id":"e1","type":"page_view","occurredAt":"2026-11-22T12:00:00Z","identities":[{"kind":"MemberId","value":"m1"}]""";

    [Theory]
    [InlineData("\"" + Secret + " !\"", "InvalidFormat")]
    [InlineData("\"\"", "Missing")]
    [InlineData("null", "Missing")]
    [InlineData("42", "InvalidFormat")]
    [InlineData("{}", "InvalidFormat")]
    public void Event_type_channel_and_purpose_fail_with_JsonException(string value, string reason)
    {
        var type = FailsInContext("""{"id":"e1","type":""" + value + ""","occurredAt":"2026-11-22T12:00:00Z"}""");
        Assert.Contains("'type'", type.Message, StringComparison.Ordinal);
        Assert.Contains(reason, type.Message, StringComparison.Ordinal);
        Assert.Equal("$.type", type.Path);

        if (value != "null")
        {
            // A nullable channel may be null (see below); everything else is a JsonException.
            var channel = FailsInContext(ValidEvent + ""","channel":""" + value + "}");
            Assert.Equal("$.channel", channel.Path);
            Assert.Contains("'channel'", channel.Message, StringComparison.Ordinal);
        }

        var purpose = Fails<ConsentPurpose>(value);
        Assert.Contains("'purpose'", purpose.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(""","properties":{"a":1,"a":2}}""")]
    [InlineData(""","id":"e2"}""")]
    public void Duplicate_json_properties_are_rejected(string tail)
    {
        var ex = FailsInContext(ValidEvent + tail);
        Assert.Contains("duplicate", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Null_channel_is_no_channel() =>
        Assert.Null(JsonSerializer.Deserialize(ValidEvent + ""","channel":null}""", MarketingJsonContext.Default.MarketingEvent)!.Channel);

    [Fact]
    public void Name_as_dictionary_key_fails_with_JsonException()
    {
        var ex = Fails<Dictionary<ConsentPurpose, int>>("""{"9bad":1}""");
        Assert.Contains("'purpose'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"has space " + Secret + "\"", "InvalidFormat")]
    [InlineData("\"\"", "Missing")]
    [InlineData("null", "Missing")]
    [InlineData("7", "InvalidFormat")]
    public void Customer_id_fails_with_JsonException(string value, string reason)
    {
        var ex = Fails<CustomerId>(value);
        Assert.Contains("'customerId'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.IsType<MarketingValidationException>(ex.InnerException ?? new MarketingValidationException("x", ValidationReason.Missing, "x"));
    }

    [Theory]
    [InlineData("""{"amount":1,"currency":"ZQX"}""", "'currency'", "InvalidCurrency")]
    [InlineData("""{"amount":1}""", "'currency'", "Missing")]
    [InlineData("""{"amount":1,"currency":null}""", "'currency'", "Missing")]
    [InlineData("""{"amount":1,"currency":5}""", "'currency'", "InvalidFormat")]
    [InlineData("""{"currency":"EUR"}""", "'amount'", "Missing")]
    [InlineData("""{"amount":null,"currency":"EUR"}""", "'amount'", "Missing")]
    [InlineData("""{"amount":true,"currency":"EUR"}""", "'amount'", "InvalidFormat")]
    [InlineData("""{"amount":1e400,"currency":"EUR"}""", "'amount'", "OutOfRange")]
    [InlineData("""null""", "'money'", "Missing")]
    [InlineData("""[1]""", "'money'", "InvalidFormat")]
    public void Money_fails_with_JsonException(string json, string field, string reason)
    {
        var ex = Fails<Money>(json);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Money_in_an_order_line_reports_the_json_path()
    {
        const string json = """{"orderId":"o1","placedAt":"2026-11-22T12:00:00Z","lines":[{"productId":"p","quantity":1,"unitPrice":{"amount":1,"currency":"ZQX"}}]}""";
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, MarketingJsonContext.Default.Order));
        Assert.Equal("$.lines[0].unitPrice", ex.Path);
        Assert.IsType<MarketingValidationException>(ex.InnerException);
    }

    [Fact]
    public void Money_round_trips_in_both_naming_styles()
    {
        Assert.Contains("InvalidFormat", Fails<Money>("""{"amount":"12","currency":"EUR"}""", JsonSerializerOptions.Default).Message, StringComparison.Ordinal);
        var money = new Money(12.34m, "eur");
        Assert.Equal("""{"amount":12.34,"currency":"EUR"}""", JsonSerializer.Serialize(money, Web));
        Assert.Equal("""{"Amount":12.34,"Currency":"EUR"}""", JsonSerializer.Serialize(money));
        Assert.Equal(money, JsonSerializer.Deserialize<Money>("""{"Amount":12.34,"Currency":"eur","extra":[1,{}]}"""));
        Assert.Equal(money, JsonSerializer.Deserialize<Money>("""{"amount":"12.34","currency":"EUR"}""", WebWithStringNumbers));
    }

    [Theory]
    [InlineData("99")]
    [InlineData("-1")]
    [InlineData("\"Fax\"")]
    [InlineData("\"Phone,Email\"")]
    [InlineData("\"3\"")]
    [InlineData("2147483648")]
    public void Unknown_identity_kind_fails_with_JsonException(string kind)
    {
        var ex = Fails<Identity>("""{"kind":""" + kind + ""","value":"x"}""");
        Assert.Contains("UnknownIdentityKind", ex.Message, StringComparison.Ordinal);
        Assert.Equal("$.kind", ex.Path);
    }

    [Theory]
    [InlineData("null", "Missing")]
    [InlineData("true", "InvalidFormat")]
    public void Identity_kind_null_or_wrong_token_fails_with_JsonException(string kind, string reason)
    {
        var ex = Fails<Identity>("""{"kind":""" + kind + ""","value":"x"}""");
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_kind_reads_names_in_any_case_and_numbers()
    {
        Assert.Equal(IdentityKind.Email, JsonSerializer.Deserialize<Identity>("""{"kind":"email","value":"x"}""", Web).Kind);
        Assert.Equal(IdentityKind.Email, JsonSerializer.Deserialize<Identity>("""{"kind":2,"value":"x"}""", Web).Kind);
        // Key and Fingerprint are derived (and personal data): not written.
        Assert.Equal("""{"kind":"Email","value":"x"}""", JsonSerializer.Serialize(Identity.Email("x"), Web));
    }

    [Theory]
    [InlineData("""{"a":{"b":1}}""", "InvalidFormat")]
    [InlineData("""{"a":[1]}""", "InvalidFormat")]
    [InlineData("""{"a":1e400}""", "OutOfRange")]
    public void Property_values_fail_with_JsonException(string json, string reason)
    {
        var ex = Fails<Dictionary<string, PropertyValue>>(json);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Equal("$.a", ex.Path);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e300)]
    public void Non_finite_or_huge_doubles_are_a_typed_validation_error(double value)
    {
        var ex = Assert.Throws<MarketingValidationException>(() => (PropertyValue)value);
        Assert.Equal(ValidationReason.OutOfRange, ex.Reason);
    }

    [Theory]
    [InlineData("""{"id":"c1","staticTags":null}""", "Missing")]
    [InlineData("""{"id":"c1","staticTags":[1]}""", "InvalidFormat")]
    [InlineData("""{"id":"c1","staticTags":[null]}""", "Missing")]
    [InlineData("""{"id":"c1","staticTags":"vip"}""", "InvalidFormat")]
    public void Tags_fail_with_JsonException(string json, string reason)
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, MarketingJsonContext.Default.CustomerProfile));
        Assert.Contains("'tags'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Track_results_serialise_enums_as_strings_and_errors_as_a_small_record()
    {
        var result = new BatchTrackResult(
        [
            new TrackResult("e1", TrackStatus.Accepted, new CustomerId("c_1"), EventFlags.SuspectedBot | EventFlags.RegionInferred),
            new TrackResult("e2", TrackStatus.Dropped, DropReason: DropReason.Bot),
            new TrackResult("e3", TrackStatus.Rejected, Error: TrackError.From(new MarketingValidationException("identities[0].value", ValidationReason.InvalidFormat, "Not an email address."), 2)),
        ]);
        var json = JsonSerializer.Serialize(result, MarketingJsonContext.Default.BatchTrackResult);
        Assert.Contains("\"status\":\"Accepted\"", json, StringComparison.Ordinal);
        Assert.Contains("\"flags\":\"SuspectedBot, RegionInferred\"", json, StringComparison.Ordinal);
        Assert.Contains("\"dropReason\":\"Bot\"", json, StringComparison.Ordinal);
        Assert.Contains(
            "\"error\":{\"index\":2,\"field\":\"identities[0].value\",\"reason\":\"InvalidFormat\",\"code\":\"invalid_format\",\"detail\":\"Not an email address.\"}",
            json, StringComparison.Ordinal);
        Assert.DoesNotContain("StackTrace", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("HResult", json, StringComparison.OrdinalIgnoreCase);

        var back = JsonSerializer.Deserialize(json, MarketingJsonContext.Default.BatchTrackResult)!;
        Assert.Equal(result.Results, back.Results);
    }

    [Fact]
    public void ThrowIfAnyRejected_throws_the_first_rejection_with_its_index()
    {
        var result = new BatchTrackResult(
        [
            new TrackResult("e1", TrackStatus.Accepted),
            new TrackResult("e2", TrackStatus.Rejected, Error: new TrackError(1, "occurredAt", ValidationReason.OutOfRange, TrackError.CodeFor(ValidationReason.OutOfRange), "d")),
        ]);
        var ex = Assert.Throws<MarketingValidationException>(result.ThrowIfAnyRejected);
        Assert.Equal((1, "occurredAt", ValidationReason.OutOfRange), (ex.Index, ex.Field, ex.Reason));
    }

    [Fact]
    public void Every_validation_reason_has_a_distinct_snake_case_code()
    {
        var codes = Enum.GetValues<ValidationReason>().Select(TrackError.CodeFor).ToList();
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches("^[a-z]+(_[a-z]+)*$", c));
        Assert.DoesNotContain("invalid", codes);
    }
}
