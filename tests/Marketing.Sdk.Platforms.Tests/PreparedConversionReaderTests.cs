using System.Text;
using System.Text.Json;
using Marketing.Sdk.Platforms.Delivery;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>The fast payload reader of the delivery worker reads every payload exactly as the serializer does.</summary>
public sealed class PreparedConversionReaderTests
{
    private static string Serialize(PreparedConversion c) => JsonSerializer.Serialize(c, PlatformJsonContext.Default.PreparedConversion);

    /// <summary>The serializer's reading of a payload, re-serialised, or the exception type it throws.</summary>
    private static string Expected(string json)
    {
        try
        {
            var c = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(json), PlatformJsonContext.Default.PreparedConversion);
            return c is null ? "null" : Serialize(c) + Types(c);
        }
        catch (JsonException ex)
        {
            return ex.GetType().Name;
        }
    }

    private static string Actual(string json)
    {
        try
        {
            var c = PreparedConversionReader.Read(Encoding.UTF8.GetBytes(json));
            return c is null ? "null" : Serialize(c) + Types(c);
        }
        catch (JsonException ex)
        {
            return ex.GetType().Name;
        }
    }

    private static string Types(PreparedConversion c) => $" {c.Items?.GetType().Name} {c.Match?.GetType().Name} {c.Clicks is null}";

    private static PreparedConversion RandomConversion(Random random, int i)
    {
        string? Maybe(string value) => random.Next(3) == 0 ? null : value;
        string[] pieces = ["a", "Z", "0", "9", " ", "_", "-", "\"", "\\", "/", "é", "中", "\u0001", "😀", ".", "<"];
        string Text() => string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
        var sources = Enum.GetValues<ConversionSource>();
        return new PreparedConversion
        {
            EventId = $"e-{i}-{Text()}",
            EventType = Text(),
            OccurredAt = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(random.Next(-12, 14) * 60)).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay * 400)),
            CustomerId = "c_" + Text(),
            Value = random.Next(4) == 0 ? null : Math.Round((decimal)random.NextDouble() * 10_000, random.Next(0, 5)),
            Currency = Maybe("USD"),
            OrderId = Maybe(Text()),
            Items = [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => new ConversionItem(Text(), random.Next(1, 50), random.Next(3) == 0 ? null : random.Next(0, 100_000) / 100m))],
            Match = Enumerable.Range(0, random.Next(0, 6)).Select(k => ("field_" + k, Text())).ToDictionary(p => p.Item1, p => p.Item2),
            Clicks = new ClickIdentifiers { Gclid = Maybe(Text()), Fbc = Maybe(Text()), Fbp = Maybe(Text()), Ttclid = Maybe(Text()), ClientIpAddress = Maybe("203.0.113.7"), UserAgent = Maybe(Text()), Gbraid = Maybe(Text()), Wbraid = Maybe(Text()), Ttp = Maybe(Text()), TencentClickId = Maybe(Text()), WeChatOpenId = Maybe(Text()), WeChatUnionId = Maybe(Text()), WeChatAppId = Maybe(Text()), OceanEngineCallback = Maybe(Text()) },
            Source = sources[random.Next(sources.Length)],
            SourceUrl = Maybe("https://shop.example/" + Uri.EscapeDataString(Text())),
        };
    }

    [Fact]
    public void Reads_what_the_publisher_writes_exactly_as_the_serializer_does()
    {
        var random = new Random(7);
        for (var i = 0; i < 2_000; i++)
        {
            var json = Serialize(RandomConversion(random, i));
            Assert.NotNull(PreparedConversionReader.TryRead(Encoding.UTF8.GetBytes(json)));
            Assert.Equal(Expected(json), Actual(json));
            Assert.Equal(json, Serialize(PreparedConversionReader.TryRead(Encoding.UTF8.GetBytes(json))!));
        }
    }

    private const string Plain = """{"event_id":"e1","event_type":"purchase","occurred_at":"2025-03-01T08:00:00+08:00","customer_id":"c_1","value":10.50,"currency":"USD","order_id":"o1","items":[{"product_id":"p1","quantity":2,"unit_price":5.25}],"match":{"email":"ab"},"clicks":{"user_agent":"ua"},"source":"App","source_url":"https://x.example/"}""";

    public static TheoryData<string> OtherShapes => new()
    {
        Plain,
        Plain.Replace("\"currency\"", "\"unknown\"", StringComparison.Ordinal),                  // unknown property
        Plain.Replace("\"order_id\":\"o1\"", "\"order_id\":\"o1\",\"order_id\":\"o2\"", StringComparison.Ordinal), // repeated property
        Plain.Replace("\"email\":\"ab\"", "\"email\":\"ab\",\"email\":\"cd\"", StringComparison.Ordinal),          // repeated match key
        Plain.Replace("\"email\":\"ab\"", "\"email\":null", StringComparison.Ordinal),
        Plain.Replace("\"items\":[{\"product_id\":\"p1\",\"quantity\":2,\"unit_price\":5.25}]", "\"items\":null", StringComparison.Ordinal),
        Plain.Replace("\"quantity\":2", "\"quantity\":2.5", StringComparison.Ordinal),
        Plain.Replace("\"quantity\":2,", "", StringComparison.Ordinal),                           // missing constructor argument
        Plain.Replace("\"unit_price\":5.25", "\"unit_price\":null", StringComparison.Ordinal),
        Plain.Replace("\"App\"", "\"app\"", StringComparison.Ordinal),                            // enum in another case
        Plain.Replace("\"App\"", "3", StringComparison.Ordinal),                                  // enum as a number
        Plain.Replace("\"App\"", "\"Nowhere\"", StringComparison.Ordinal),
        Plain.Replace("\"user_agent\":\"ua\"", "\"user_agent\":null,\"fbc\":\"x\"", StringComparison.Ordinal),
        Plain.Replace("\"value\":10.50", "\"value\":null", StringComparison.Ordinal),
        Plain.Replace("\"value\":10.50", "\"value\":\"10.50\"", StringComparison.Ordinal),
        Plain.Replace("\"event_id\":\"e1\",", "", StringComparison.Ordinal),                      // missing required property
        Plain.Replace("\"event_id\":\"e1\"", "\"event_id\":null", StringComparison.Ordinal),
        Plain.Replace("\"event_id\"", "\"event\\u005fid\"", StringComparison.Ordinal),            // escaped name
        Plain.Replace("\"EventId\"", "\"eventId\"", StringComparison.Ordinal),
        Plain.Replace("2025-03-01T08:00:00+08:00", "yesterday", StringComparison.Ordinal),
        " \n" + Plain + " \n",
        Plain + "{}",                                                                              // trailing content
        Plain[..^10],                                                                              // truncated
        "{}",
        "null",
        "[]",
        "",
    };

    [Theory]
    [MemberData(nameof(OtherShapes))]
    public void Other_shapes_are_read_exactly_as_the_serializer_reads_them(string json) =>
        Assert.Equal(Expected(json), Actual(json));
}
