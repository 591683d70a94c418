using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Segmentation.Tests;

public class ServiceTests
{
    private readonly MemoryProfileStore _profiles = new();
    private readonly MemoryEventStore _events = new();
    private readonly RecordingListener _listener = new();
    private readonly FakeTimeProvider _time = new(TestData.Now);

    private ServiceProvider Build(Action<SegmentationOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IProfileStore>(_profiles);
        services.AddSingleton<IEventStore>(_events);
        services.AddSingleton<ISegmentMembershipListener>(_listener);
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        // The core registers the state store (definitions, memberships) and the lease store; the test stores above win.
        services.AddMarketingSdk(builder => (configure is null ? builder.AddSegmentation() : builder.AddSegmentation(configure)).AddSegmentation());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private void Seed()
    {
        for (var i = 0; i < 6; i++)
        {
            _profiles.Put(new CustomerProfile
            {
                Id = TestData.Id(i),
                Traits = new Dictionary<string, PropertyValue> { ["age"] = 20 + (i * 3), ["gender"] = i % 2 == 0 ? "female" : "male" },
            });
        }
        _events.AppendAsync([
            TestData.Event(0, EventType.ProductView, TestData.Now.AddDays(-1), ("category", "maternity")),
            TestData.Event(2, EventType.ProductView, TestData.Now.AddDays(-2), ("category", "maternity")),
            TestData.Event(4, EventType.ProductView, TestData.Now.AddDays(-20), ("category", "maternity")),
        ]).AsTask().Wait();
    }

    [Fact]
    public void AddSegmentation_registers_resolvable_services_once()
    {
        using var provider = Build();
        Assert.IsAssignableFrom<ISegmentService>(provider.GetRequiredService<ISegmentService>());
        Assert.Single(provider.GetServices<IMarketingEventListener>());
        Assert.Single(provider.GetServices<IValidateOptions<SegmentationOptions>>());
        Assert.Equal(500, provider.GetRequiredService<IOptions<SegmentationOptions>>().Value.PublishBatchSize);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start()
    {
        var host = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new());
        host.Services.AddSingleton<IProfileStore>(_profiles);
        host.Services.AddSingleton<IEventStore>(_events);
        host.Services.AddLogging();
        host.Services.AddMarketingSdk(m => m.AddSegmentation(o =>
        {
            o.PublishBatchSize = 0;
            o.ValueLayers.ChurnedAfter = TimeSpan.FromDays(1);
            o.RefreshInterval = TimeSpan.FromMilliseconds(10);
            o.DefinitionsReloadInterval = TimeSpan.FromHours(2);
        }));
        using var app = host.Build();
        // Nothing reads the options before start: only ValidateOnStart can fail here.
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Equal(4, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("RefreshInterval", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("DefinitionsReloadInterval", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Batch_evaluation_records_members_and_publishes_enter_and_exit()
    {
        Seed();
        using var provider = Build(o => o.PublishBatchSize = 1);
        var service = provider.GetRequiredService<ISegmentService>();
        await service.DefineAsync(SegmentDefinition.Parse("moms", "gender = \"female\" and count(product_view where category = \"maternity\") within 7d >= 1"));

        var result = await service.EvaluateAsync("moms");

        Assert.Equal(new SegmentEvaluationResult("moms", 6, 2, 2, 0, TestData.Now), result);
        Assert.Equal([TestData.Id(0), TestData.Id(2)], await service.GetMembersAsync("moms").ToListAsync());
        Assert.Equal([(TestData.Id(0), true), (TestData.Id(2), true)], _listener.Changes.Select(c => (c.CustomerId, c.Entered)));
        // The batch read asked only for the aggregated type since the window start.
        var query = Assert.Single(_events.Queries);
        Assert.Equal([EventType.ProductView], query.Types);
        Assert.Equal(TestData.Now.AddDays(-7), query.From);

        _time.Advance(TimeSpan.FromDays(5.5));
        _listener.Changes.Clear();
        var second = await service.EvaluateAsync("moms");
        Assert.Equal(1, second.Exited);
        Assert.Equal([(TestData.Id(2), false)], _listener.Changes.Select(c => (c.CustomerId, c.Entered)));
    }

    [Fact]
    public async Task Real_time_evaluation_on_events_matches_batch_and_explains()
    {
        Seed();
        using var provider = Build();
        var service = provider.GetRequiredService<ISegmentService>();
        var eventListener = provider.GetRequiredService<IMarketingEventListener>();
        await service.DefineAsync(SegmentDefinition.Parse("recent_viewers", "exists(product_view) within 7d"));
        await service.DefineAsync(SegmentDefinition.Parse("young_viewers", "age < 30 and segment(\"recent_viewers\")"));
        await service.EvaluateAsync("recent_viewers");
        await service.EvaluateAsync("young_viewers");
        _listener.Changes.Clear();

        var view = TestData.Event(1, EventType.ProductView, TestData.Now.AddMinutes(-1));
        await _events.AppendAsync([view]);
        await eventListener.OnEventsAcceptedAsync([view]);

        Assert.Equal(
            [("recent_viewers", TestData.Id(1), true), ("young_viewers", TestData.Id(1), true)],
            _listener.Changes.Select(c => (c.SegmentId, c.CustomerId, c.Entered)));
        Assert.True(await service.IsMemberAsync("young_viewers", TestData.Id(1)));

        var why = await service.ExplainAsync("young_viewers", TestData.Id(5));
        Assert.False(why.IsMember);
        Assert.Equal(["age < 30", "exists(product_view) within 7d"], why.FailedConditions.Select(f => f.Condition));

        // Batch agrees with the real-time state for every profile.
        foreach (var id in new[] { "recent_viewers", "young_viewers" })
        {
            var before = await service.GetMembersAsync(id).ToListAsync();
            var result = await service.EvaluateAsync(id);
            Assert.Equal(0, result.Entered + result.Exited);
            Assert.Equal(before, await service.GetMembersAsync(id).ToListAsync());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Columnar_and_per_profile_batch_evaluation_give_the_same_members(bool columnar)
    {
        Seed();
        await _events.AppendAsync([
            TestData.Purchase(1, "o1", TestData.Now.AddDays(-3), 120m),
            TestData.Purchase(3, "o2", TestData.Now.AddDays(-40), 500m),
            TestData.Event(5, EventType.ProductView, TestData.Now.AddDays(-1), ("category", "maternity")),
            TestData.Event(99, EventType.ProductView, TestData.Now.AddDays(-1), ("category", "maternity")), // no profile
        ]);
        _profiles.Put(new CustomerProfile { Id = TestData.Id(6), StaticTags = new HashSet<string> { "vip" } });
        using var provider = Build(o => o.ColumnarBatchEvaluation = columnar);
        var service = provider.GetRequiredService<ISegmentService>();
        await service.DefineAsync(SegmentDefinition.Parse("viewers", "count(product_view where category = \"maternity\") within 7d >= 1"));
        await service.DefineAsync(SegmentDefinition.Parse("mix", "(segment(\"viewers\") and age < 30) or sum(value of purchase) within 30d > 100 or tag(\"vip\")"));

        var result = await service.EvaluateAsync("mix");

        Assert.Equal(7, result.ProfilesEvaluated);
        Assert.Equal([TestData.Id(0), TestData.Id(1), TestData.Id(2), TestData.Id(6)], await service.GetMembersAsync("mix").ToListAsync());
        // Each member agrees with the one-customer evaluation.
        for (var i = 0; i <= 6; i++)
        {
            Assert.Equal(i is 0 or 1 or 2 or 6, await service.IsMemberAsync("mix", TestData.Id(i)));
        }
    }

    [Fact]
    public async Task Definitions_are_checked_for_references_and_cycles()
    {
        using var provider = Build();
        var service = provider.GetRequiredService<ISegmentService>();
        await Assert.ThrowsAsync<SegmentReferenceException>(async () => await service.DefineAsync(SegmentDefinition.Parse("b", "segment(\"a\")")));
        await service.DefineAsync(SegmentDefinition.Parse("a", "age > 1"));
        await service.DefineAsync(SegmentDefinition.Parse("b", "segment(\"a\")"));
        await Assert.ThrowsAsync<SegmentReferenceException>(async () => await service.DefineAsync(SegmentDefinition.Parse("a", "segment(\"b\")")));
        Assert.Equal(SegmentDsl.Parse("age > 1"), (await service.GetAsync("a"))!.Rule);
        await Assert.ThrowsAsync<SegmentReferenceException>(async () => await service.RemoveAsync("a"));
        Assert.True(await service.RemoveAsync("b"));
        Assert.True(await service.RemoveAsync("a"));
        Assert.Empty(await service.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task Deleted_profiles_exit_their_segments()
    {
        Seed();
        using var provider = Build();
        var service = provider.GetRequiredService<ISegmentService>();
        await service.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        await service.EvaluateAsync("women");
        _listener.Changes.Clear();
        await _profiles.DeleteAsync(TestData.Id(0));
        var changes = await service.EvaluateCustomerAsync(TestData.Id(0));
        Assert.Equal([new SegmentMembershipChange("women", TestData.Id(0), false, TestData.Now)], TestData.WithoutIds(changes));
        Assert.Equal(changes, _listener.Changes);
    }

    [Fact]
    public async Task Rfm_layers_and_lookalike_read_from_the_stores()
    {
        Seed();
        await _events.AppendAsync([
            TestData.Purchase(0, "o1", TestData.Now.AddDays(-2), 100m),
            TestData.Purchase(0, "o1", TestData.Now.AddDays(-2), 100m), // same order twice counts once
            TestData.Purchase(1, "o2", TestData.Now.AddDays(-200), 50m),
        ]);
        using var provider = Build();
        var service = provider.GetRequiredService<ISegmentService>();

        var rfm = await service.ComputeRfmAsync();
        Assert.Equal([TestData.Id(0), TestData.Id(1)], rfm.Select(r => r.CustomerId));
        Assert.Equal((2, 1, 100m), (rfm[0].RecencyDays, rfm[0].Frequency, rfm[0].Monetary));

        var layers = await service.GetValueLayersAsync().ToDictionaryAsync(l => l.CustomerId, l => l.Layer);
        Assert.Equal(ValueLayer.New, layers[TestData.Id(0)]);
        Assert.Equal(ValueLayer.Churned, layers[TestData.Id(1)]);
        Assert.Equal(ValueLayer.Potential, layers[TestData.Id(3)]);

        await service.DefineAsync(SegmentDefinition.Parse("buyers", "count(purchase) >= 1"));
        var options = new LookalikeOptions { TopN = 2 };
        options.NumericTraits.Add("age");
        options.CategoricalTraits.Add("gender");
        var lookalikes = await service.ExpandLookalikeAsync("buyers", options);
        Assert.Equal(2, lookalikes.SeedSize);
        Assert.Equal(4, lookalikes.Scored);
        Assert.Equal(2, lookalikes.Candidates.Count);
        Assert.DoesNotContain(lookalikes.Candidates, c => c.CustomerId == TestData.Id(0) || c.CustomerId == TestData.Id(1));
    }
}
