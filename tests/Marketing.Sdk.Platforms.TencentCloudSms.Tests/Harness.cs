using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Sms;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.TencentCloudSms.Tests;

/// <summary>The Tencent Cloud emulator on loopback, a client and channel pointed at it, a shared state store, a fake clock.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string Template = "1110";
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.Zero));
    public InMemoryStateStore Store { get; } = new();
    public TencentCloudSmsEmulator Emulator { get; private set; } = null!;
    public TencentCloudSmsOptions Options { get; private set; } = null!;
    public TencentCloudSmsChannel Channel { get; private set; } = null!;
    public RecordingReporter Reporter { get; } = new();
    public RecordingSuppressions Suppressions { get; } = new();
    public InMemoryIdentityGraphStore Identities { get; } = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<Harness> StartAsync(Action<TencentCloudSmsOptions>? configure = null, string? secretKey = null)
    {
        var h = new Harness();
        h.Emulator = new TencentCloudSmsEmulator(new TencentCloudSmsEmulatorOptions { TimeProvider = h.Time });
        await h.Emulator.StartAsync();
        h.Options = new TencentCloudSmsOptions
        {
            BaseAddress = h.Emulator.BaseAddress,
            SecretId = h.Emulator.SecretId,
            SecretKey = secretKey ?? h.Emulator.SecretKey,
            SmsSdkAppId = h.Emulator.SmsSdkAppId,
            SignName = "测试签名",
            UnsubscribeParameter = "unsub",
            CallbackToken = "0123456789abcdef-token",
            RequestsPerSecond = 0,
        };
        configure?.Invoke(h.Options);
        h.Channel = h.NewChannel();
        return h;
    }

    public TencentCloudSmsChannel NewChannel() => new(new TencentCloudSmsClient(() => _http, Options, Time), Options, Store, Time);

    public SmsInbound Inbound => new(Identities, Suppressions, Reporter);

    public TencentCloudSmsCallbackHandler Handler => new(Options, Inbound, Time);

    public static PreparedMessage Message(string id, string phone = "+8613800138000", MessagePurpose purpose = MessagePurpose.Marketing, string template = Template, int attempt = 1, string name = "小明") => new()
    {
        MessageId = id,
        CustomerId = new CustomerId("c-" + id),
        Recipient = Identity.Phone(phone),
        Template = new MessageTemplate { Id = "recall", Channel = Sdk.Channel.Sms, ProviderTemplateId = template, Parameters = [new MessageTemplateParameter { Name = "name" }] },
        Parameters = new Dictionary<string, string> { ["name"] = name },
        Purpose = purpose,
        Attempt = attempt,
    };

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        _http.Dispose();
    }
}
