using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

public sealed class ErrorTests
{
    [Theory]
    [InlineData(45009, PlatformErrorClass.RateLimited)]
    [InlineData(45011, PlatformErrorClass.RateLimited)]
    [InlineData(45033, PlatformErrorClass.RateLimited)]
    [InlineData(-1, PlatformErrorClass.Transient)]
    [InlineData(41063, PlatformErrorClass.Transient)]
    [InlineData(48002, PlatformErrorClass.Unauthorized)]
    [InlineData(60020, PlatformErrorClass.Unauthorized)]
    [InlineData(84061, PlatformErrorClass.Permanent)]
    [InlineData(40096, PlatformErrorClass.Permanent)]
    [InlineData(40058, PlatformErrorClass.Permanent)]
    public async Task Each_errcode_is_classified_over_http(int code, PlatformErrorClass expected)
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(o => o.ThrottleRetryAfter = TimeSpan.FromSeconds(42));
        harness.Emulator.FailNext("externalcontact/batch/get_by_user", code);

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetContactsByUserAsync(["sales-1"]));

        Assert.Equal(expected, error.ErrorClass);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), error.PlatformCode);
        Assert.Equal(expected == PlatformErrorClass.RateLimited ? TimeSpan.FromSeconds(42) : null, error.RetryAfter);
        Assert.Equal(expected != PlatformErrorClass.Permanent, error.IsRetryable);
    }

    [Fact]
    public async Task The_emulators_rate_limit_answers_45009()
    {
        await using var harness = await WeComHarness.StartAsync(new WeComEmulatorOptions { MaxCallsPerMinute = 2 });
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        await client.GetFollowUsersAsync();
        await client.GetFollowUsersAsync();

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.Equal(PlatformErrorClass.RateLimited, error.ErrorClass);
        Assert.Equal("45009", error.PlatformCode);
    }

    [Fact]
    public async Task Injected_server_errors_and_throttling_are_retryable()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        await client.GetFollowUsersAsync();

        harness.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var busy = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());
        harness.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var throttled = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.Equal(PlatformErrorClass.Transient, busy.ErrorClass);
        Assert.Equal("-1", busy.PlatformCode);
        Assert.Equal(PlatformErrorClass.RateLimited, throttled.ErrorClass);
        Assert.Equal(1, harness.Emulator.InjectedFaults[FaultKind.ServerError]);
    }

    [Fact]
    public void Gettoken_codes_mean_credentials_not_expiry()
    {
        Assert.Equal(PlatformErrorClass.Unauthorized, WeComErrorCodes.Classify(40001, onTokenEndpoint: true));
        Assert.Equal(PlatformErrorClass.AuthenticationExpired, WeComErrorCodes.Classify(40001));
        Assert.Equal(PlatformErrorClass.Unauthorized, WeComErrorCodes.Classify(40013, onTokenEndpoint: true));
        Assert.True(WeComErrorCodes.IsInvalidRecipient(84061));
        Assert.False(WeComErrorCodes.IsInvalidRecipient(45009));
    }
}
