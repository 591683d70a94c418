namespace Marketing.Sdk.Compliance.Tcf;

/// <summary>A Google Consent Mode value.</summary>
public enum ConsentModeStatus
{
    /// <summary><c>denied</c>.</summary>
    Denied = 0,
    /// <summary><c>granted</c>.</summary>
    Granted = 1,
}

/// <summary>
/// Google Consent Mode v2 signals for one customer: <c>ad_storage</c>, <c>analytics_storage</c>,
/// <c>ad_user_data</c> and <c>ad_personalization</c>.
/// </summary>
/// <param name="AdStorage">Storage (cookies) for advertising.</param>
/// <param name="AnalyticsStorage">Storage for analytics.</param>
/// <param name="AdUserData">Sending user data to Google for advertising.</param>
/// <param name="AdPersonalization">Personalised advertising (remarketing).</param>
public sealed record ConsentModeSignals(ConsentModeStatus AdStorage, ConsentModeStatus AnalyticsStorage, ConsentModeStatus AdUserData, ConsentModeStatus AdPersonalization)
{
    /// <summary>The signals as Consent Mode parameter names and values (e.g. for <c>gtag('consent', 'update', …)</c> or the Data Manager API).</summary>
    public IReadOnlyDictionary<string, string> ToParameters() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ad_storage"] = Text(AdStorage),
        ["analytics_storage"] = Text(AnalyticsStorage),
        ["ad_user_data"] = Text(AdUserData),
        ["ad_personalization"] = Text(AdPersonalization),
    };

    private static string Text(ConsentModeStatus s) => s == ConsentModeStatus.Granted ? "granted" : "denied";
}

/// <summary>
/// Derives Google Consent Mode v2 signals from the consent gate: <c>ad_storage</c> from ad targeting
/// or ad measurement, <c>analytics_storage</c> from analytics, <c>ad_user_data</c> from ad
/// measurement sent to Google, <c>ad_personalization</c> from ad targeting sent to Google (so the
/// third-party and cross-border consents configured for Google apply to the last two).
/// </summary>
/// <param name="gate">The consent gate.</param>
public sealed class ConsentModeSignalProvider(IConsentGate gate)
{
    private readonly IConsentGate _gate = gate ?? throw new ArgumentNullException(nameof(gate));

    /// <summary>The signals for one customer.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<ConsentModeSignals> GetSignalsAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var targeting = await _gate.CheckAsync(customerId, ConsentPurpose.AdTargeting, null, cancellationToken).ConfigureAwait(false);
        var measurement = await _gate.CheckAsync(customerId, ConsentPurpose.AdMeasurement, null, cancellationToken).ConfigureAwait(false);
        var analytics = await _gate.CheckAsync(customerId, ConsentPurpose.Analytics, null, cancellationToken).ConfigureAwait(false);
        var userData = await _gate.CheckAsync(customerId, ConsentPurpose.AdMeasurement, Channel.Google, cancellationToken).ConfigureAwait(false);
        var personalization = await _gate.CheckAsync(customerId, ConsentPurpose.AdTargeting, Channel.Google, cancellationToken).ConfigureAwait(false);
        return new ConsentModeSignals(
            Status(targeting.Allowed || measurement.Allowed),
            Status(analytics.Allowed),
            Status(userData.Allowed),
            Status(personalization.Allowed));
    }

    private static ConsentModeStatus Status(bool allowed) => allowed ? ConsentModeStatus.Granted : ConsentModeStatus.Denied;
}
