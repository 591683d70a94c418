using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Compliance.Audit;
using Marketing.Sdk.Compliance.ClickFraud;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Compliance.Pii;
using Marketing.Sdk.Compliance.Retention;
using Marketing.Sdk.Compliance.Tcf;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public async Task Every_registered_service_resolves_with_only_the_store_contracts()
    {
        // A test-local builder with mocked stores: the package needs the contracts, not the core package.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Moq.Mock.Of<IConsentStore>());
        services.AddSingleton(Moq.Mock.Of<IAuditLogStore>());
        services.AddSingleton(Moq.Mock.Of<IProfileStore>());
        services.AddSingleton(Moq.Mock.Of<IEventStore>());
        services.AddSingleton(Moq.Mock.Of<IIdentityGraphStore>());
        services.AddSingleton(Moq.Mock.Of<ICustomerDataEraser>());
        services.AddSingleton(Moq.Mock.Of<IStateStore>()); // the retention schedule's last-run marker
        services.AddSingleton(Moq.Mock.Of<ILeaseStore>()); // retention runs on one host at a time
        var keys = new InMemoryKeyProvider().Add(Pseudonymizer.KeyPurpose, new KeyMaterial("k", new byte[32])).Add(FieldEncryptor.KeyPurpose, new KeyMaterial("e", new byte[32]));
        new TestMarketingBuilder(services)
            .AddCompliance(c => c.RequireConsent(new ConsentPurpose("loyalty_program")).UseKeyProvider(keys).AddLexicon(new AdCopyLexicon { Name = "x", Terms = [new AdCopyTerm { Term = "秒杀", Category = "c" }] }))
            .AddCompliance(c => c.AddRetention(new RetentionPolicy("inactive", RetentionDataKind.InactiveCustomers, TimeSpan.FromDays(730))));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Assert.IsType<ConsentGate>(provider.GetRequiredService<IConsentGate>());
        Assert.Same(provider.GetRequiredService<ConsentLedger>(), provider.GetRequiredService<ConsentLedger>());
        Assert.IsType<ConsentModeSignalProvider>(provider.GetRequiredService<ConsentModeSignalProvider>());
        Assert.IsType<DataSubjectRequestService>(provider.GetRequiredService<DataSubjectRequestService>());
        Assert.Single(provider.GetRequiredService<AdCopyReviewer>().Review("今日秒杀").Findings);
        Assert.IsType<ClickFraudDetector>(provider.GetRequiredService<ClickFraudDetector>());
        Assert.IsType<AuditLogVerifier>(provider.GetRequiredService<AuditLogVerifier>());
        Assert.IsType<RetentionEnforcer>(provider.GetRequiredService<RetentionEnforcer>());
        // The registered key provider is the one both use: a pseudonym is the keyed one, and a value round-trips.
        var pseudonymizer = provider.GetRequiredService<Pseudonymizer>();
        Assert.Equal(new Pseudonymizer(keys).Pseudonymize("x"), pseudonymizer.Pseudonymize("x"));
        var encryptor = provider.GetRequiredService<FieldEncryptor>();
        Assert.Equal("secret", encryptor.Decrypt(encryptor.Encrypt("secret")));
        Assert.IsType<RetentionBackgroundService>(Assert.Single(provider.GetServices<IHostedService>()));
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ComplianceOptions>>().Value;
        Assert.Contains(new ConsentPurpose("loyalty_program"), options.RequiredPurposes);
        Assert.Single(options.RetentionPolicies);
    }

    [Fact]
    public async Task Retention_erases_inactive_customers()
    {
        await using var host = await Host.CreateAsync(configure: c => c.AddRetention(new RetentionPolicy("inactive", RetentionDataKind.InactiveCustomers, TimeSpan.FromDays(365))));
        var customer = await DataSubjectRequestTests.SeedAsync(host);
        var enforcer = host.Get<RetentionEnforcer>();
        Assert.Equal(0, (await enforcer.RunAsync())[0].CustomersErased);
        host.Time.Advance(TimeSpan.FromDays(400));
        var result = Assert.Single(await enforcer.RunAsync());
        Assert.Equal(1, result.CustomersErased);
        Assert.Null(await host.Get<IProfileStore>().GetAsync(customer));
    }

    [Fact]
    public async Task No_raw_email_phone_or_name_in_any_log_line()
    {
        await using var host = await Host.CreateAsync();
        var customer = await DataSubjectRequestTests.SeedAsync(host);
        var gate = host.Get<IConsentGate>();
        await gate.FilterAsync([customer, new CustomerId("c_none")], ConsentPurpose.AdTargeting, Channel.Meta);
        await host.Get<ConsentLedger>().TurnOffPersonalisedAdsAsync(customer, new ConsentCapture(ConsentSources.App));
        var dsr = host.Get<DataSubjectRequestService>();
        await dsr.RectifyAsync(customer, p => p with { Traits = new Dictionary<string, PropertyValue> { ["name"] = PropertyValue.From("Li Lei") } });
        await dsr.ExportJsonAsync(customer);
        await dsr.RestrictAsync(customer);
        await dsr.EraseAsync(customer);
        Assert.Throws<MatchNormalizationException>(() => PlatformHasher.Hash(MatchField.Email, "li.lei-at-example.com", HashingProfile.Meta));

        var lines = host.Logs.GetSnapshot();
        Assert.NotEmpty(lines);
        foreach (var record in lines)
        {
            var text = record.Message + " " + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []) + " " + record.Exception;
            foreach (var secret in new[] { DataSubjectRequestTests.Email, DataSubjectRequestTests.Phone, "13812345678", "Li Lei", "li.lei" })
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}

public sealed class ComplianceEntryPointTests
{
    [Fact]
    public async Task Options_bound_from_a_configuration_section_are_validated_at_host_start()
    {
        var good = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Compliance:DataSubjectRequestDeadline"] = "20.00:00:00",
            ["Compliance:RunRetention"] = "false",
        }).Build();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddMarketingSdk(m => Assert.Same(m, m.AddCompliance(good.GetSection("Compliance"))));
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var o = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ComplianceOptions>>().Value;
            Assert.Equal(TimeSpan.FromDays(20), o.DataSubjectRequestDeadline);
            Assert.False(o.RunRetention);
            await host.StopAsync();
        }

        var bad = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Compliance:RetentionInterval"] = "-00:01:00",
        }).Build();
        var badBuilder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        badBuilder.Services.AddMarketingSdk(m => m.AddCompliance(bad.GetSection("Compliance")));
        using var badHost = badBuilder.Build();
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => badHost.StartAsync());
        Assert.Contains("RetentionInterval", ex.Message, StringComparison.Ordinal);
    }
}
