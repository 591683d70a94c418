using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.TencentCloudSms.Tests;

public sealed class RegistrationTests
{
    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(kv => "Sms:" + kv.Key, kv => kv.Value)).Build().GetSection("Sms");

    [Fact]
    public void Settings_from_configuration_register_the_channel_and_the_callback_handler_once()
    {
        var services = new ServiceCollection();
        var section = Section(new() { ["SecretId"] = "id", ["SecretKey"] = "secret", ["SmsSdkAppId"] = "1400006666", ["SignName"] = "测试签名", ["ChannelName"] = "sms_tencent", ["CallbackToken"] = "0123456789abcdef" });
        services.AddMarketingSdk(m => m.AddTencentCloudSms(section).AddTencentCloudSms());
        using var provider = services.BuildServiceProvider();
        var channel = Assert.Single(provider.GetServices<IMessageChannel>());
        Assert.IsType<TencentCloudSmsChannel>(channel);
        Assert.Equal("sms_tencent", channel.Name.Value);
        Assert.Equal([IdentityKind.Phone], channel.AddressKinds);
        Assert.Equal("tencent-sms", Assert.Single(provider.GetServices<IPlatformCallbackHandler>()).Name);
        Assert.DoesNotContain("secret", provider.GetRequiredService<IOptions<TencentCloudSmsOptions>>().Value.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_credentials_fail_validation()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddTencentCloudSms(o => o.SignName = "测试签名"));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TencentCloudSmsOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains("SecretId", StringComparison.Ordinal));
    }
}
