using Marketing.Sdk.Platforms.AliyunSms;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Sms;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.AliyunSms.Tests;

/// <summary>An emulator on loopback, a client and channel pointed at it, one shared state store, a fake clock.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string Template = "SMS_100001";
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.Zero));
    public InMemoryStateStore Store { get; } = new();
    public AliyunSmsEmulator Emulator { get; private set; } = null!;
    public AliyunSmsOptions Options { get; private set; } = null!;
    public AliyunSmsClient Client { get; private set; } = null!;
    public AliyunSmsChannel Channel { get; private set; } = null!;
    public RecordingReporter Reporter { get; } = new();
    public RecordingSuppressions Suppressions { get; } = new();
    public InMemoryIdentityGraphStore Identities { get; } = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<Harness> StartAsync(Action<AliyunSmsOptions>? configure = null, string? secret = null)
    {
        var h = new Harness();
        h.Emulator = new AliyunSmsEmulator(new AliyunSmsEmulatorOptions { TimeProvider = h.Time });
        await h.Emulator.StartAsync();
        h.Options = new AliyunSmsOptions
        {
            BaseAddress = h.Emulator.BaseAddress,
            AccessKeyId = h.Emulator.AccessKeyId,
            AccessKeySecret = secret ?? h.Emulator.AccessKeySecret,
            SignName = "测试签名",
            UnsubscribeParameter = "unsub",
            CallbackToken = "0123456789abcdef-token",
            RequestsPerSecond = 0,
        };
        configure?.Invoke(h.Options);
        h.Client = new AliyunSmsClient(() => h._http, h.Options, h.Time);
        h.Channel = h.NewChannel();
        return h;
    }

    /// <summary>A second host: its own client and channel over the same store.</summary>
    public AliyunSmsChannel NewChannel() => new(new AliyunSmsClient(() => _http, Options, Time), Options, Store, Time);

    public SmsInbound Inbound => new(Identities, Suppressions, Reporter);

    public AliyunSmsCallbackHandler Handler => new(Options, Inbound, Time);

    public static PreparedMessage Message(string id, string phone = "+8613800138000", MessagePurpose purpose = MessagePurpose.Marketing, string template = Template, int attempt = 1) => new()
    {
        MessageId = id,
        CustomerId = new CustomerId("c-" + id),
        Recipient = Identity.Phone(phone),
        Template = new MessageTemplate { Id = "recall", Channel = Sdk.Channel.Sms, ProviderTemplateId = template, Parameters = [new MessageTemplateParameter { Name = "name" }] },
        Parameters = new Dictionary<string, string> { ["name"] = "小明" },
        Purpose = purpose,
        Attempt = attempt,
    };

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        _http.Dispose();
    }
}

