using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Generation;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Marketing.Sdk.Content.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddContent_registers_registry_and_gate_with_configured_limits()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddContent(o => o.MaxTemplateLength = 10).AddContent());
        using var sp = services.BuildServiceProvider();
        Assert.NotNull(sp.GetRequiredService<ContentReviewGate>());
        var registry = sp.GetRequiredService<ContentTemplateRegistry>();
        Assert.Throws<ContentTemplateException>(() => registry.Register("t", "en", new string('x', 11), []));
        Assert.Equal(1, services.Count(d => d.ServiceType == typeof(ContentTemplateRegistry)));
    }

    [Fact]
    public void Section_binds_and_invalid_options_fail_validation()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Content:MaxNestingDepth"] = "0" }).Build();
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddContent(config.GetSection("Content")));
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<ContentOptions>>().Value);
        Assert.Contains("MaxNestingDepth", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddContent_builds_the_generator_over_the_hosts_chat_client_and_the_template_store_over_the_state_store()
    {
        var client = new ScriptedChatClient().Variants(ScriptedChatClient.Sms("保温杯 89 元。回T退订"));
        var services = new ServiceCollection();
        services.AddSingleton<IChatClient>(client);
        services.AddMarketingSdk(m => m.AddContent(o => o.Generation.MaxRewriteAttempts = 0));
        await using var sp = services.BuildServiceProvider();
        var result = await sp.GetRequiredService<ContentGenerator>().GenerateAsync(new ContentBrief
        {
            Channel = new SmsProfile(),
            Language = "zh",
            ProductFacts = new Dictionary<string, string> { ["name"] = "保温杯" },
            VariantCount = 1,
        });
        Assert.Single(result.Approved);
        var store = sp.GetRequiredService<Templates.ContentTemplateStore>();
        await store.RegisterAsync("t", result.Approved[0], "zh", []);
        Assert.NotNull(await sp.GetRequiredService<Marketing.Sdk.Storage.IStateStore>().GetAsync(Templates.ContentTemplateStore.Scope, "t"));
    }

    [Fact]
    public async Task A_keyed_chat_client_is_used_when_named()
    {
        var client = new ScriptedChatClient().Variants(ScriptedChatClient.Sms("保温杯 89 元。回T退订"));
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("copy", client);
        services.AddMarketingSdk(m => m.AddContent(o => o.Generation.ChatClientKey = "copy"));
        await using var sp = services.BuildServiceProvider();
        await sp.GetRequiredService<ContentGenerator>().GenerateAsync(new ContentBrief
        {
            Channel = new SmsProfile(),
            Language = "zh",
            ProductFacts = new Dictionary<string, string> { ["name"] = "保温杯" },
            VariantCount = 1,
        });
        Assert.Single(client.Calls);
    }

    [Theory]
    [InlineData("Content:Generation:MaxRetries", "-1", "MaxRetries")]
    [InlineData("Content:Generation:RequestTimeout", "00:00:00", "RequestTimeout")]
    [InlineData("Content:Generation:Currency", "yuan", "Currency")]
    [InlineData("Content:Generation:MaxRewriteAttempts", "11", "MaxRewriteAttempts")]
    [InlineData("Content:TemplateHistory", "0", "TemplateHistory")]
    public void Generation_settings_bind_and_are_validated(string key, string value, string named)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value, ["Content:Generation:InputPricePer1KTokens"] = "0.004" }).Build();
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddContent(config.GetSection("Content")));
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<ContentOptions>>().Value);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generation_settings_bind_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Content:Generation:InputPricePer1KTokens"] = "0.004",
            ["Content:Generation:MaxRewriteAttempts"] = "3",
            ["Content:Generation:RequestTimeout"] = "00:00:20",
        }).Build();
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddContent(config.GetSection("Content")));
        using var sp = services.BuildServiceProvider();
        var options = sp.GetRequiredService<IOptions<ContentOptions>>().Value.Generation;
        Assert.Equal(0.004m, options.InputPricePer1KTokens);
        Assert.Equal(3, options.MaxRewriteAttempts);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RequestTimeout);
    }
}
