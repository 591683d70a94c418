using Marketing.Sdk.Tests.Shared;
using Marketing.Sdk.Lifecycle.Journeys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Marketing.Sdk.Lifecycle.Tests;

public class PiiInLogsTests
{
    [Fact]
    public async Task A_handler_exception_holding_an_email_and_a_phone_is_logged_by_type_and_code_only()
    {
        var logs = new FakeLogCollector();
        using var h = new Harness(o =>
        {
            o.Journeys.MaxAttempts = 2;
            o.Journeys.RetryDelay = TimeSpan.FromMinutes(5);
            o.Journeys.Add("coupon", j => j.OnEvent(EventType.SignUp).IssueCoupon("HELLO"));
        }, more: s => s.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs))));
        h.Handler.FailuresToInject = 2;
        h.Handler.Failure = PiiLogAssert.ProviderException;
        h.AddCustomer(Harness.Alice);

        await h.Track(EventType.SignUp);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(2, h.Handler.Calls.Count);
        var failures = logs.GetSnapshot().Where(r => r.Id.Id == 3105).ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, r =>
        {
            Assert.Equal(LogLevel.Warning, r.Level);
            Assert.Null(r.Exception);
            Assert.Contains("InvalidOperationException/0x", r.Message, StringComparison.Ordinal);
        });
        // At Debug the redacted form keeps types and frames for diagnosis, never the messages.
        var detail = logs.GetSnapshot().Where(r => r.Id.Id == 3107).ToList();
        Assert.Equal(2, detail.Count);
        Assert.All(detail, r =>
        {
            Assert.Equal(LogLevel.Debug, r.Level);
            Assert.Equal("RedactedException", r.Exception!.GetType().Name);
            Assert.Contains("HttpRequestException", r.Exception.ToString(), StringComparison.Ordinal);
        });
        PiiLogAssert.NoPersonalData(logs);
        var record = Assert.Single(await h.LogAsync());
        Assert.Equal(JourneyActionStatus.Failed, record.Status);
        Assert.DoesNotContain(PiiLogAssert.Email, record.Reason ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void Journey_log_event_ids_are_in_the_lifecycle_range()
    {
        var ids = typeof(JourneyEngine).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            .SelectMany(m => m.GetCustomAttributes(typeof(LoggerMessageAttribute), false).Cast<LoggerMessageAttribute>())
            .Select(a => a.EventId)
            .ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.InRange(id, 3000, 3999));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
