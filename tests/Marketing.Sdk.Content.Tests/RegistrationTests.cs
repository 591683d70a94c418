using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
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
}
