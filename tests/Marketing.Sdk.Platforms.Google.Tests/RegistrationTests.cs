using Marketing.Sdk.Platforms.Google;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public async Task Every_registered_service_resolves_to_the_one_client()
    {
        await using var env = await GoogleEnv.CreateAsync();
        var client = env.Client;
        var sink = Assert.Single(env.Provider.GetServices<IConversionSink>());
        Assert.Same(client, sink);
        Assert.Equal("google.conversions", sink.Destination);
        Assert.Equal(2000, sink.MaxBatchSize);
        Assert.Same(client, env.Provider.GetRequiredKeyedService<IAudienceSync>("google"));
        Assert.Same(client, env.Provider.GetRequiredKeyedService<IAdReporting>("google"));
        Assert.Same(client, env.Provider.GetRequiredKeyedService<ICampaignControl>("google"));
        Assert.Equal(10_000, client.MaxMembersPerRequest);
    }

    [Fact]
    public void Registering_twice_adds_configuration_but_not_a_second_sink()
    {
        var services = new ServiceCollection();
        var builder = new TestMarketingBuilder(services);
        builder.AddGooglePlatform(o => { o.ClientId = "a"; o.RefreshToken = "r"; }).AddGooglePlatform(o => o.OperatingAccountId = "42");
        Assert.Single(services, d => d.ServiceType == typeof(IConversionSink));
        var options = services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<GooglePlatformOptions>>().CurrentValue;
        Assert.Equal("a", options.ClientId);
        Assert.Equal("42", options.OperatingAccountId);
    }

    [Fact]
    public void Invalid_options_fail_validation_with_every_problem()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance().AddGooglePlatform(o =>
        {
            o.OperatingAccountId = "acct";
            o.LoginCustomerId = "x-1";
            o.GoogleAdsApiVersion = "26";
            o.ConversionActions["purchase"] = "AW-123/abc";
        }));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GooglePlatformOptions>>().Value);
        var text = string.Join("\n", ex.Failures);
        foreach (var field in new[] { "ClientId", "RefreshToken", "OperatingAccountId", "LoginCustomerId", "GoogleAdsApiVersion", "ConversionActions[purchase]" })
        {
            Assert.Contains(field, text);
        }
    }

    [Fact]
    public void Options_never_show_secrets()
    {
        var options = new GooglePlatformOptions { ClientSecret = "s3cret", RefreshToken = "1//refresh", DeveloperToken = "devtok", OperatingAccountId = "1" };
        var text = options.ToString();
        Assert.DoesNotContain("s3cret", text);
        Assert.DoesNotContain("1//refresh", text);
        Assert.DoesNotContain("devtok", text);
    }
}
