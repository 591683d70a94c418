using System.Text.Json;
using System.Text.Json.Nodes;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Docs.Tests;

/// <summary>The README's JSON example of an event is the wire shape: it reads as a MarketingEvent and writes back the same.</summary>
public sealed class EventJsonTests
{
    [Fact]
    public void The_readme_event_example_reads_as_a_MarketingEvent_and_writes_back_the_same_fields()
    {
        var text = File.ReadAllText(Path.Combine(ReferenceFiles.RepositoryRoot, "README.md"));
        var start = text.IndexOf("### An event on the wire", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no 'An event on the wire' section");
        var open = text.IndexOf("```json\n", start, StringComparison.Ordinal) + "```json\n".Length;
        var close = text.IndexOf("```", open, StringComparison.Ordinal);
        var json = text[open..close];

        var e = JsonSerializer.Deserialize<MarketingEvent>(json, JsonSerializerOptions.Web)!;
        Assert.Equal("order-1001:purchase", e.Id);
        Assert.Equal(EventType.Purchase, e.Type);
        Assert.Equal([Identity.Member("m-1001"), Identity.Email("ada@example.com")], e.Identities);
        Assert.Equal(new Money(129.90m, "EUR"), e.Value);
        Assert.Equal("WELCOME10", e.Order!.CouponCode);

        var written = JsonNode.Parse(JsonSerializer.Serialize(e, JsonSerializerOptions.Web))!;
        AssertContains(JsonNode.Parse(json)!, written, "$");
    }

    /// <summary>Every value of <paramref name="expected"/> is in <paramref name="actual"/> (which may hold more, e.g. defaults).</summary>
    private static void AssertContains(JsonNode expected, JsonNode? actual, string path)
    {
        Assert.True(actual is not null, $"{path} is missing when written back");
        switch (expected)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    AssertContains(value!, actual!.AsObject()[name], $"{path}.{name}");
                }
                break;
            case JsonArray a:
                Assert.Equal(a.Count, actual!.AsArray().Count);
                for (var i = 0; i < a.Count; i++)
                {
                    AssertContains(a[i]!, actual.AsArray()[i], $"{path}[{i}]");
                }
                break;
            default:
                var v = expected.AsValue();
                if (v.TryGetValue<decimal>(out var number))
                {
                    Assert.True(actual!.AsValue().TryGetValue<decimal>(out var other) && other == number, $"{path}: {expected} written back as {actual}");
                }
                else if (v.TryGetValue<string>(out var s) && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var time) && s.Contains('T'))
                {
                    Assert.Equal(time, DateTimeOffset.Parse(actual!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: {expected} written back as {actual}");
                }
                break;
        }
    }
}
