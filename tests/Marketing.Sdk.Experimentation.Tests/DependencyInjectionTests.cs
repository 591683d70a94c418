using Marketing.Sdk.Experimentation.Statistics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Experimentation.Tests;

public class DependencyInjectionTests
{
    private sealed class TestBuilder(IServiceCollection services) : IMarketingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    private static readonly ExperimentDefinition Subject = new()
    {
        Key = "welcome_email_subject",
        Variants = [new() { Key = "control" }, new() { Key = "emoji" }],
        ForcedAssignments = new Dictionary<string, string> { ["qa-1"] = "emoji" },
    };

    [Fact]
    public async Task Registers_and_resolves_every_service()
    {
        var services = new ServiceCollection();
        var builder = new TestBuilder(services);
        builder.AddExperimentation(o => o.Analysis.Correction = CorrectionMethod.BenjaminiHochberg)
            .AddExperiment(Subject)
            .AddCatalogJson("""{ "experiments": [ { "key": "hero", "variants": [ { "key": "a" }, { "key": "b" } ] } ], "holdouts": [ { "key": "h", "fraction": 0.05 } ] }""")
            .AddHoldout(new HoldoutDefinition { Key = "h2", Fraction = 0.01 });
        builder.AddExperimentation(); // harmless second call
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var assigner = provider.GetRequiredService<IExperimentAssigner>();
        Assert.Equal(["welcome_email_subject", "hero"], assigner.Experiments.Select(e => e.Key));
        Assert.IsType<EventExposureLogger>(provider.GetRequiredService<IExposureLogger>());
        // The client assigns as the assigner does (forced assignment of the QA unit).
        Assert.Equal("emoji", (await provider.GetRequiredService<IExperimentClient>().GetAssignmentAsync(Subject.Key, Identity.Member("qa-1"))).Variant);
        Assert.IsType<ExperimentAnalyzer>(provider.GetRequiredService<IExperimentAnalyzer>());
        Assert.Equal(CorrectionMethod.BenjaminiHochberg, provider.GetRequiredService<IOptions<ExperimentationOptions>>().Value.Analysis.Correction);
        Assert.Equal(2, provider.GetRequiredService<IOptions<ExperimentationOptions>>().Value.Holdouts.Count);
        Assert.Single(services, d => d.ServiceType == typeof(IExperimentAssigner));
    }

    [Fact]
    public async Task Invalid_definitions_stop_the_host_at_start()
    {
        var host = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new());
        host.Services.AddLogging();
        new TestBuilder(host.Services).AddExperimentation().AddExperiment(Subject).AddExperiment(Subject);
        using var app = host.Build();
        // Nothing reads the options before start: only ValidateOnStart can fail here.
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("used twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_assigns_and_sends_an_exposure_event_to_the_sink()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var received = new List<MarketingEvent>();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        new TestBuilder(services).AddExperimentation().AddExperiment(Subject)
            .AddExposureSink((e, _) => { received.Add(e); return ValueTask.CompletedTask; });
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IExperimentClient>();

        var unit = Identity.Member("qa-1");
        var assignment = await client.GetAssignmentAsync(Subject.Key, unit);
        Assert.Equal(new Assignment(Subject.Key, "emoji", AssignmentReason.Forced), assignment);
        var evt = Assert.Single(received);
        Assert.Equal("experiment_exposure", evt.Type.Value);
        Assert.Equal(time.GetUtcNow(), evt.OccurredAt);
        Assert.Equal([unit], evt.Identities);
        Assert.Equal("emoji", evt.Property(ExperimentEventProperties.Variant).AsString());
        Assert.Equal("forced", evt.Property(ExperimentEventProperties.AssignmentReason).AsString());
        Assert.StartsWith("experiment_exposure:welcome_email_subject:emoji:", evt.Id, StringComparison.Ordinal);
        Assert.DoesNotContain("qa-1", evt.Id, StringComparison.Ordinal);

        // Same unit again: same de-duplication id; the assigner agrees with the client.
        await client.GetAssignmentAsync(Subject.Key, unit);
        Assert.Equal(received[0].Id, received[1].Id);
        var someone = Identity.Email("someone@example.com");
        var viaClient = await client.GetAssignmentAsync(Subject.Key, someone);
        Assert.Equal(provider.GetRequiredService<IExperimentAssigner>().Assign(Subject.Key, someone.Value), viaClient);
    }

    [Fact]
    public async Task A_failing_sink_is_logged_and_the_assignment_still_returned()
    {
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(new FakeLoggerProvider(logs)));
        new TestBuilder(services).AddExperimentation().AddExperiment(Subject)
            .AddExposureSink((_, _) => throw new InvalidOperationException("collector down"));
        using var provider = services.BuildServiceProvider();
        var result = await provider.GetRequiredService<IExperimentClient>().GetAssignmentAsync(Subject.Key, Identity.Member("qa-1"));
        Assert.Equal("emoji", result.Variant);
        var record = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 6102);
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.DoesNotContain("qa-1", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exposure_of_a_unit_outside_the_experiment_is_rejected()
    {
        var logger = new EventExposureLogger([]);
        var exposure = new Exposure(new Assignment("x", null, AssignmentReason.Holdout), Identity.Member("m"), DateTimeOffset.UnixEpoch);
        await Assert.ThrowsAsync<MarketingValidationException>(async () => await logger.LogExposureAsync(exposure));
        Assert.DoesNotContain("Value", exposure.ToString(), StringComparison.Ordinal);
        Assert.Contains("MemberId:***", exposure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_experimentation_builder_continues_the_marketing_builder_chain()
    {
        var services = new ServiceCollection();
        IMarketingBuilder next = new TestBuilder(services).AddExperimentation().AddExperiment(Subject);
        Assert.Same(services, next.Services);
    }
}
