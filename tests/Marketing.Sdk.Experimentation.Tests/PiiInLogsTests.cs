using Marketing.Sdk.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Marketing.Sdk.Experimentation.Tests;

public class PiiInLogsTests
{
    private sealed class TestBuilder(IServiceCollection services) : IMarketingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    [Fact]
    public async Task An_exposure_sink_exception_holding_an_email_and_a_phone_is_logged_by_type_and_code_only()
    {
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        new TestBuilder(services).AddExperimentation()
            .AddExperiment(new ExperimentDefinition { Key = "subject", Variants = [new() { Key = "a" }, new() { Key = "b" }] })
            .AddExposureSink((_, _) => throw PiiLogAssert.ProviderException());
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<IExperimentClient>().GetAssignmentAsync("subject", Identity.Email(PiiLogAssert.Email));

        Assert.True(result.IsInExperiment);
        var failure = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 6102);
        Assert.Null(failure.Exception);
        Assert.Contains("InvalidOperationException/0x", failure.Message, StringComparison.Ordinal);
        Assert.Equal("RedactedException", Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 6103).Exception!.GetType().Name);
        PiiLogAssert.NoPersonalData(logs);
        Assert.All(logs.GetSnapshot(), r => Assert.InRange(r.Id.Id, 6000, 6999));
    }
}
