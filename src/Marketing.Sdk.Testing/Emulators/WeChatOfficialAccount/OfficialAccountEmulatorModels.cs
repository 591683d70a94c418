namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="OfficialAccountEmulator"/>.</summary>
public sealed record OfficialAccountEmulatorOptions
{
    /// <summary>The account's AppID (default <c>wx0000000000000001</c>).</summary>
    public string AppId { get; init; } = "wx0000000000000001";

    /// <summary>The account's AppSecret (default <c>oa-test-secret</c>).</summary>
    public string AppSecret { get; init; } = "oa-test-secret";

    /// <summary>How long a token lives (default 7 200 s, as on the platform).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromSeconds(7200);

    /// <summary>How long before expiry normal-mode stable_token already hands out the next token, and how long an old token stays valid after a forced refresh (default 5 minutes).</summary>
    public TimeSpan RotationOverlap { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Forced refreshes allowed per day (default 20).</summary>
    public int ForceRefreshDailyLimit { get; init; } = 20;

    /// <summary>The least time between two forced refreshes (default 30 s).</summary>
    public TimeSpan ForceRefreshSpacing { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Template messages accepted per day before 45009 (default 100 000).</summary>
    public int TemplateDailyQuota { get; init; } = 100_000;

    /// <summary>Messages (template and subscribe) accepted per minute before 45011; 0 for no limit (default 0).</summary>
    public int MessagesPerMinute { get; init; }

    /// <summary>How long a <c>client_msg_id</c> is remembered per openid (default 10 minutes, as documented).</summary>
    public TimeSpan ClientMsgIdWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Openids per <c>/cgi-bin/user/get</c> page (default 10 000, as on the platform; smaller in tests).</summary>
    public int FollowersPageSize { get; init; } = 10_000;

    /// <summary>The template ids template messages may use; empty: any.</summary>
    public IReadOnlyCollection<string> TemplateIds { get; init; } = [];

    /// <summary>The emulator's clock (token expiry, quotas, de-duplication window).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>The kinds of message the emulator received.</summary>
public enum OfficialAccountMessageKind
{
    /// <summary>A template message.</summary>
    Template = 1,
    /// <summary>A subscribe message.</summary>
    Subscribe = 2,
}

/// <summary>A message the emulator accepted (delivered to the emulated user).</summary>
/// <param name="Kind">Template or subscribe.</param>
/// <param name="OpenId">The recipient.</param>
/// <param name="TemplateId">The template id.</param>
/// <param name="Data">The values by key.</param>
/// <param name="ClientMsgId">The de-duplication id, if any.</param>
/// <param name="MsgId">The id the emulator answered.</param>
/// <param name="Url">The link, if any.</param>
/// <param name="AcceptedAt">When it was accepted.</param>
public sealed record OfficialAccountSentMessage(OfficialAccountMessageKind Kind, string OpenId, string TemplateId, IReadOnlyDictionary<string, string> Data, string? ClientMsgId, long MsgId, string? Url, DateTimeOffset AcceptedAt);
