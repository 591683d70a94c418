namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="WeComEmulator"/>.</summary>
public sealed record WeComEmulatorOptions
{
    /// <summary>The corp id <c>gettoken</c> accepts (default <c>ww-test-corp</c>).</summary>
    public string CorpId { get; init; } = "ww-test-corp";

    /// <summary>The secret <c>gettoken</c> accepts (default <c>wecom-test-secret</c>).</summary>
    public string CorpSecret { get; init; } = "wecom-test-secret";

    /// <summary>The application's agent id <c>message/send</c> accepts (default 1000002).</summary>
    public int AgentId { get; init; } = 1000002;

    /// <summary>How long a token lives (default 7 200 s, WeCom's <c>expires_in</c>).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromSeconds(7200);

    /// <summary>Mass messages a customer receives per natural month (default 4); more are answered with send status 3.</summary>
    public int MonthlyMassMessageLimit { get; init; } = 4;

    /// <summary>The time zone of the month boundaries (default <c>Asia/Shanghai</c>).</summary>
    public string TimeZone { get; init; } = "Asia/Shanghai";

    /// <summary>Whether members confirm mass tasks at once (default true); otherwise call <see cref="WeComEmulator.ConfirmTask"/>.</summary>
    public bool AutoConfirmMassTasks { get; init; } = true;

    /// <summary>Calls per API path per minute before WeCom's 45009 (default 0: no limit).</summary>
    public int MaxCallsPerMinute { get; init; }

    /// <summary>Calls to <c>gettoken</c> per minute before 45009 (default 0: no limit).</summary>
    public int MaxTokenCallsPerMinute { get; init; }

    /// <summary>The emulator's clock (token expiry, months, duplicate check, rate windows).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>A message that reached a customer or member in the emulator.</summary>
/// <param name="Kind"><c>mass</c>, <c>app</c> or <c>welcome</c>.</param>
/// <param name="Recipient">The external user id (mass, welcome) or member user id (app).</param>
/// <param name="Content">The text.</param>
/// <param name="MsgId">The task or message id.</param>
/// <param name="At">When it was delivered.</param>
public sealed record WeComDeliveredMessage(string Kind, string Recipient, string Content, string MsgId, DateTimeOffset At);
