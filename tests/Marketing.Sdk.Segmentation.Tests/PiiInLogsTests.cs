using Marketing.Sdk.Tests.Shared;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Segmentation.Tests;

public class PiiInLogsTests
{
    private sealed class LeakyListener : ISegmentMembershipListener
    {
        public int Calls { get; private set; }

        public ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default)
        {
            Calls++;
            throw PiiLogAssert.ProviderException();
        }
    }

    [Fact]
    public async Task A_listener_exception_holding_an_email_and_a_phone_is_logged_by_type_and_code_only()
    {
        var logs = new FakeLogCollector();
        var profiles = new MemoryProfileStore();
        profiles.Put(new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["age"] = 25 } });
        var listener = new LeakyListener();
        var services = new ServiceCollection();
        services.AddSingleton<IProfileStore>(profiles);
        services.AddSingleton<IEventStore>(new MemoryEventStore());
        services.AddSingleton<ISegmentMembershipListener>(listener);
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(TestData.Now));
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        services.AddMarketingSdk(m => m.AddSegmentation());
        using var provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<ISegmentService>();
        await service.DefineAsync(SegmentDefinition.Parse("young", "age < 30"));

        var error = await Assert.ThrowsAsync<SegmentationException>(async () => await service.EvaluateAsync("young"));

        Assert.Equal(1, listener.Calls);
        Assert.DoesNotContain(PiiLogAssert.Email, error.Message, StringComparison.Ordinal);
        var failure = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2003);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Null(failure.Exception);
        Assert.Contains("InvalidOperationException/0x", failure.Message, StringComparison.Ordinal);
        var detail = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2005);
        Assert.Equal("RedactedException", detail.Exception!.GetType().Name);
        PiiLogAssert.NoPersonalData(logs);
        Assert.All(logs.GetSnapshot(), r => Assert.InRange(r.Id.Id, 2000, 2999));
    }
}
