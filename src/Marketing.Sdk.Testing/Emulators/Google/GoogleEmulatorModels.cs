namespace Marketing.Sdk.Testing.Emulators;

/// <summary>A conversion the Google emulator accepted through <c>events:ingest</c> (once per destination and transaction id).</summary>
/// <param name="OperatingAccountId">The Google Ads account it went to.</param>
/// <param name="ConversionActionId">The conversion action (the destination's <c>productDestinationId</c>).</param>
/// <param name="TransactionId">The deduplication key, if sent.</param>
/// <param name="EventTimestamp">When the conversion happened.</param>
/// <param name="ConversionValue">The value, if sent.</param>
/// <param name="Currency">The currency, if sent.</param>
/// <param name="Gclid">The click id, if sent.</param>
/// <param name="AdUserDataConsent">The event's <c>consent.adUserData</c>, if sent.</param>
/// <param name="AdPersonalizationConsent">The event's <c>consent.adPersonalization</c>, if sent.</param>
/// <param name="UserIdentifierCount">How many user identifiers the event carried.</param>
/// <param name="EmailHashes">The hashed email addresses it carried.</param>
/// <param name="PhoneHashes">The hashed phone numbers it carried.</param>
/// <param name="LoginAccountId">The destination's login account, if sent.</param>
public sealed record GoogleIngestedEvent(
    string OperatingAccountId,
    string ConversionActionId,
    string? TransactionId,
    DateTimeOffset EventTimestamp,
    double? ConversionValue,
    string? Currency,
    string? Gclid,
    string? AdUserDataConsent,
    string? AdPersonalizationConsent,
    int UserIdentifierCount,
    IReadOnlyList<string> EmailHashes,
    IReadOnlyList<string> PhoneHashes,
    string? LoginAccountId);

/// <summary>One seeded day of an ad group's performance; the campaign level is the sum over its ad groups.</summary>
/// <param name="CustomerId">The Google Ads account.</param>
/// <param name="Date">The day.</param>
/// <param name="CampaignId">The campaign id.</param>
/// <param name="CampaignName">The campaign name.</param>
/// <param name="AdGroupId">The ad group id.</param>
/// <param name="AdGroupName">The ad group name.</param>
/// <param name="CostMicros">Spend in micros of the account currency.</param>
/// <param name="Impressions">Impressions.</param>
/// <param name="Clicks">Clicks.</param>
/// <param name="Conversions">Conversions.</param>
/// <param name="ConversionsValue">Conversion value in the account currency.</param>
public sealed record GoogleReportSeed(
    string CustomerId,
    DateOnly Date,
    string CampaignId,
    string CampaignName,
    string AdGroupId,
    string AdGroupName,
    long CostMicros,
    long Impressions,
    long Clicks,
    double Conversions,
    double ConversionsValue);
