using Marketing.Sdk.Compliance.Retention;
using Marketing.Sdk.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Compliance.Tests;

/// <summary>
/// A component eraser (host code) that throws an exception naming the recipient: the retention service logs the
/// exception's type and code, the redacted exception at Debug only, never its message, and keeps running.
/// </summary>
public sealed class RetentionFailureLoggingTests
{
    private sealed class LeakyEraser : IPersonalDataEraser
    {
        public SemaphoreSlim Called { get; } = new(0);

        public string Name => "leaky";

        public ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
        {
            Called.Release();
            throw new InvalidOperationException($"recipient {DataSubjectRequestTests.Email} ({DataSubjectRequestTests.Phone}) rejected by the mail provider",
                new FormatException($"bad address {DataSubjectRequestTests.Email}"));
        }
    }

    [Fact]
    public async Task A_throwing_component_eraser_is_logged_by_type_and_code_and_retention_keeps_running()
    {
        var eraser = new LeakyEraser();
        await using var host = await Host.CreateAsync(
            configure: c => c.AddRetention(new RetentionPolicy("inactive", RetentionDataKind.InactiveCustomers, TimeSpan.FromDays(365))),
            extra: s => s.AddSingleton<IPersonalDataEraser>(eraser));
        await DataSubjectRequestTests.SeedAsync(host);
        host.Time.Advance(TimeSpan.FromDays(400));

        var services = host.Provider.GetServices<IHostedService>().ToList();
        foreach (var s in services)
        {
            await s.StartAsync(CancellationToken.None);
        }
        // The failsafe timeouts only bound a broken run; the verdict is the second call, which the loop makes
        // only after the first run failed and was logged.
        Assert.True(await eraser.Called.WaitAsync(TimeSpan.FromMinutes(1)));
        host.Time.Advance(TimeSpan.FromDays(1));
        Assert.True(await eraser.Called.WaitAsync(TimeSpan.FromMinutes(1)));
        foreach (var s in services)
        {
            await s.StopAsync(CancellationToken.None);
        }

        var records = host.Logs.GetSnapshot();
        var failed = records.First(r => r.Id.Id == 8031);
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.Null(failed.Exception);
        Assert.Contains(RedactedException.Code(new InvalidOperationException()), failed.Message, StringComparison.Ordinal);
        var detail = records.First(r => r.Id.Id == 8032);
        Assert.Equal(LogLevel.Debug, detail.Level);
        var redacted = Assert.IsType<RedactedException>(detail.Exception);
        Assert.Equal(typeof(InvalidOperationException).FullName, redacted.OriginalType);
        foreach (var record in records)
        {
            var text = record.Message + " " + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []) + " " + record.Exception;
            Assert.DoesNotContain(DataSubjectRequestTests.Email, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("13812345678", text, StringComparison.Ordinal);
        }
    }
}
