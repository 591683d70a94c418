using Marketing.Sdk.Email;
using Marketing.Sdk.Platforms.AliyunSms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Platforms.Meta;
using Marketing.Sdk.Platforms.OceanEngine;
using Marketing.Sdk.Platforms.TencentAds;
using Marketing.Sdk.Platforms.TencentCloudSms;
using Marketing.Sdk.Platforms.TikTok;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Packaging.Tests;

/// <summary>
/// The platform packages' entry points behave as the template says: settings from a configuration section,
/// validation when the host starts (not when an option is first read), and a second call that adds nothing
/// but configuration.
/// </summary>
public sealed class PlatformEntryPointTests
{
    private sealed record Entry(
        Func<IMarketingBuilder, IMarketingBuilder> Plain,
        Func<IMarketingBuilder, IConfigurationSection, IMarketingBuilder> FromSection,
        Func<IMarketingBuilder, IMarketingBuilder> Configured,
        Dictionary<string, string?> ValidSection,
        Func<IServiceProvider, string> ReadBack,
        string? HttpClientName,
        bool DeliversConversions = true);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        ["AddPlatforms"] = new(
            b => b.AddPlatforms(), (b, s) => b.AddPlatforms(s), b => b.AddPlatforms(o => o.RunInBackground = false),
            new() { ["WorkerId"] = "worker-from-config", ["RunInBackground"] = "false" },
            sp => sp.GetRequiredService<IOptions<PlatformDeliveryOptions>>().Value.WorkerId, null),
        ["AddMetaPlatform"] = new(
            b => b.AddMetaPlatform(), (b, s) => b.AddMetaPlatform(s), b => b.AddMetaPlatform(o => { o.AccessToken = "t"; o.PixelId = "1"; }),
            new() { ["AccessToken"] = "t", ["PixelId"] = "42" },
            sp => sp.GetRequiredService<IOptions<MetaPlatformOptions>>().Value.PixelId, MetaPlatformOptions.HttpClientName),
        ["AddGooglePlatform"] = new(
            b => b.AddGooglePlatform(), (b, s) => b.AddGooglePlatform(s), b => b.AddGooglePlatform(o => { o.ClientId = "c"; o.RefreshToken = "r"; o.OperatingAccountId = "42"; }),
            new() { ["ClientId"] = "c", ["ClientSecret"] = "s", ["RefreshToken"] = "r", ["DeveloperToken"] = "d", ["OperatingAccountId"] = "42" },
            sp => sp.GetRequiredService<IOptions<GooglePlatformOptions>>().Value.OperatingAccountId, GooglePlatformOptions.HttpClientName),
        ["AddTikTokPlatform"] = new(
            b => b.AddTikTokPlatform(), (b, s) => b.AddTikTokPlatform(s), b => b.AddTikTokPlatform(o => { o.AccessToken = "t"; o.AdvertiserId = "1"; o.PixelCode = "P"; }),
            new() { ["AccessToken"] = "t", ["AdvertiserId"] = "42", ["PixelCode"] = "P" },
            sp => sp.GetRequiredService<IOptions<TikTokPlatformOptions>>().Value.AdvertiserId, TikTokPlatformOptions.HttpClientName),
        ["AddTencentAdsPlatform"] = new(
            b => b.AddTencentAdsPlatform(), (b, s) => b.AddTencentAdsPlatform(s), b => b.AddTencentAdsPlatform(o => { o.AccessToken = "t"; o.AccountId = "1"; o.UserActionSetId = "2"; }),
            new() { ["AccessToken"] = "t", ["AccountId"] = "42", ["UserActionSetId"] = "7" },
            sp => sp.GetRequiredService<IOptions<TencentAdsPlatformOptions>>().Value.AccountId, TencentAdsPlatformOptions.HttpClientName),
        ["AddOceanEnginePlatform"] = new(
            b => b.AddOceanEnginePlatform(), (b, s) => b.AddOceanEnginePlatform(s), b => b.AddOceanEnginePlatform(o => { o.AccessToken = "t"; o.AdvertiserId = "1"; }),
            new() { ["AccessToken"] = "t", ["AdvertiserId"] = "42" },
            sp => sp.GetRequiredService<IOptions<OceanEnginePlatformOptions>>().Value.AdvertiserId, OceanEnginePlatformOptions.HttpClientName),
        ["AddWeChatOfficialAccount"] = new(
            b => b.AddWeChatOfficialAccount(), (b, s) => b.AddWeChatOfficialAccount(s), b => b.AddWeChatOfficialAccount(o => { o.AppId = "a"; o.AppSecret = "s"; }),
            new() { ["AppId"] = "42", ["AppSecret"] = "s" },
            sp => sp.GetRequiredService<IOptions<OfficialAccountOptions>>().Value.AppId, OfficialAccountOptions.HttpClientName, DeliversConversions: false),
        ["AddWeCom"] = new(
            b => b.AddWeCom(), (b, s) => b.AddWeCom(s), b => b.AddWeCom(o => { o.CorpId = "c"; o.CorpSecret = "s"; }),
            new() { ["CorpId"] = "42", ["CorpSecret"] = "s" },
            sp => sp.GetRequiredService<IOptions<WeComOptions>>().Value.CorpId, WeComOptions.HttpClientName),
        ["AddAliyunSms"] = new(
            b => b.AddAliyunSms(), (b, s) => b.AddAliyunSms(s), b => b.AddAliyunSms(o => { o.AccessKeyId = "k"; o.AccessKeySecret = "s"; o.SignName = "Shop"; }),
            new() { ["AccessKeyId"] = "42", ["AccessKeySecret"] = "s", ["SignName"] = "Shop" },
            sp => sp.GetRequiredService<IOptions<AliyunSmsOptions>>().Value.AccessKeyId, AliyunSmsOptions.HttpClientName, DeliversConversions: false),
        ["AddTencentCloudSms"] = new(
            b => b.AddTencentCloudSms(), (b, s) => b.AddTencentCloudSms(s), b => b.AddTencentCloudSms(o => { o.SecretId = "i"; o.SecretKey = "k"; o.SmsSdkAppId = "1400000000"; o.SignName = "Shop"; }),
            new() { ["SecretId"] = "i", ["SecretKey"] = "k", ["SmsSdkAppId"] = "42", ["SignName"] = "Shop" },
            sp => sp.GetRequiredService<IOptions<TencentCloudSmsOptions>>().Value.SmsSdkAppId, TencentCloudSmsOptions.HttpClientName, DeliversConversions: false),
        ["AddEmail"] = new(
            b => b.AddEmail(), (b, s) => b.AddEmail(s),
            b => b.AddEmail(o => { o.Host = "smtp.shop.example"; o.FromAddress = "news@shop.example"; o.UnsubscribeBaseUri = new Uri("https://shop.example/u"); o.UnsubscribeSecret = new string('s', 32); }),
            new() { ["Host"] = "smtp.shop.example", ["Port"] = "42", ["FromAddress"] = "news@shop.example", ["UnsubscribeBaseUri"] = "https://shop.example/u", ["UnsubscribeSecret"] = new string('s', 32) },
            sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), null, DeliversConversions: false),
    };

    public static TheoryData<string> EntryPoints() => [.. Entries.Keys];

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void Settings_bind_from_a_configuration_section(string entry)
    {
        var e = Entries[entry];
        var section = new ConfigurationBuilder().AddInMemoryCollection(e.ValidSection.ToDictionary(p => "Marketing:Section:" + p.Key, p => p.Value)).Build().GetSection("Marketing:Section");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => e.FromSection(m.AddCompliance(), section));
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        Assert.Equal(e.ValidSection.ContainsValue("worker-from-config") ? "worker-from-config" : "42", e.ReadBack(provider));
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task Invalid_settings_stop_the_host_when_it_starts(string entry)
    {
        var e = Entries[entry];
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Section:ConcurrentBatches"] = "0", // delivery: out of range
            ["Section:AttemptTimeout"] = "-00:00:01", // every platform client: out of range
        });
        builder.Services.AddMarketingSdk(m => e.FromSection(m.AddCompliance(), builder.Configuration.GetSection("Section")));
        using var host = builder.Build();

        var refused = await Record.ExceptionAsync(() => host.StartAsync());
        Assert.NotNull(refused);
        Assert.All(refused is AggregateException all ? all.InnerExceptions : [refused], e => Assert.IsType<OptionsValidationException>(e));
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void A_second_call_adds_only_configuration(string entry)
    {
        var e = Entries[entry];
        var once = new ServiceCollection();
        once.AddMarketingSdk(m => e.Configured(m.AddCompliance()));
        var twice = new ServiceCollection();
        twice.AddMarketingSdk(m => e.Configured(e.Plain(e.Configured(m.AddCompliance()))));

        Assert.Equal(Describe(once), Describe(twice));
        using var provider = twice.BuildServiceProvider();
        Assert.Equal(e.DeliversConversions ? 1 : 0, provider.GetServices<IHostedService>().OfType<PlatformDeliveryService>().Count());
        if (e.HttpClientName is { } name)
        {
            using var single = once.BuildServiceProvider();
            var handlers = single.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(name).HttpMessageHandlerBuilderActions.Count;
            Assert.True(handlers > 0);
            Assert.Equal(handlers, provider.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(name).HttpMessageHandlerBuilderActions.Count);
        }
    }

    /// <summary>The registrations other than configuration (option configure/validate actions may repeat).</summary>
    private static List<string> Describe(IServiceCollection services) =>
        [.. services
            .Where(d => !IsConfiguration(d.ServiceType))
            .Select(d => $"{d.ServiceType.FullName}|{d.ServiceKey}|{(d.IsKeyedService ? d.KeyedImplementationType : d.ImplementationType)?.FullName}")
            .Order(StringComparer.Ordinal)];

    private static bool IsConfiguration(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var g
        && (g == typeof(IConfigureOptions<>) || g == typeof(IPostConfigureOptions<>) || g == typeof(IValidateOptions<>)
            || g == typeof(IOptionsChangeTokenSource<>));
}
