using Microsoft.Extensions.Logging.Testing;

namespace Marketing.Sdk.Tests.Shared;

/// <summary>Checks that no log record carries personal data in its message, state or exception.</summary>
internal static class PiiLogAssert
{
    public const string Email = "alice.wong@example.com";
    public const string Phone = "+8613800138000";

    /// <summary>An exception as email and SMS providers throw them: the recipient in the message, an inner exception with the phone.</summary>
    public static Exception ProviderException() =>
        new InvalidOperationException($"550 5.1.1 recipient <{Email}> rejected", new HttpRequestException($"SMS gateway refused {Phone}"));

    public static void NoPersonalData(FakeLogCollector logs)
    {
        var records = logs.GetSnapshot();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            var texts = new List<string?> { record.Message, record.Exception?.ToString(), record.Exception?.Message };
            if (record.StructuredState is { } state)
            {
                texts.AddRange(state.Select(kv => kv.Value));
            }
            for (var inner = record.Exception?.InnerException; inner is not null; inner = inner.InnerException)
            {
                texts.Add(inner.Message);
            }
            foreach (var text in texts)
            {
                Assert.DoesNotContain(Email, text ?? "", StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("13800138000", text ?? "", StringComparison.Ordinal);
            }
        }
    }
}
