using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.AliyunSms.Tests;

public sealed class RegistrationTests
{
    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(kv => "Sms:" + kv.Key, kv => kv.Value)).Build().GetSection("Sms");

    [Fact]
    public void Settings_from_configuration_register_the_channel_and_the_callback_handler_once()
    {
        var services = new ServiceCollection();
        var section = Section(new() { ["AccessKeyId"] = "id", ["AccessKeySecret"] = "secret", ["SignName"] = "测试签名", ["ChannelName"] = "sms_aliyun", ["CallbackToken"] = "0123456789abcdef" });
        services.AddMarketingSdk(m => m.AddAliyunSms(section).AddAliyunSms());
        using var provider = services.BuildServiceProvider();
        var channel = Assert.Single(provider.GetServices<IMessageChannel>());
        Assert.IsType<AliyunSmsChannel>(channel);
        Assert.Equal("sms_aliyun", channel.Name.Value);
        Assert.Equal([IdentityKind.Phone], channel.AddressKinds);
        Assert.Equal("aliyun-sms", Assert.Single(provider.GetServices<IPlatformCallbackHandler>()).Name);
        Assert.DoesNotContain("secret", provider.GetRequiredService<IOptions<AliyunSmsOptions>>().Value.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_credentials_fail_validation()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddAliyunSms(o => o.SignName = "测试签名"));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AliyunSmsOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains("AccessKeyId", StringComparison.Ordinal));
    }
}
