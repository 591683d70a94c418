#region usings
using Marketing.Sdk;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Compliance.Retention;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Compliance (docs/how-to).</summary>
public static class ComplianceSnippets
{
    /// <summary>Marketing.Sdk.Compliance, example 1 (from src/Marketing.Sdk.Compliance/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, ConsentLedger ledger, IConsentGate gate, DataSubjectRequestService dsr, AdCopyReviewer reviewer, CustomerId customerId, IReadOnlyList<CustomerId> customerIds, string email, string formJson)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")
            .AddCompliance(c => c
                .RequireConsent(ConsentPurpose.AdTargeting)            // every well-known purpose needs consent by default
                .AllowWithoutConsent(ConsentPurpose.Analytics)         // another legal basis; a withdrawal still denies
                .AddRetention(new RetentionPolicy("inactive", RetentionDataKind.InactiveCustomers, TimeSpan.FromDays(730)))));

        // record consent (full history, source, policy version, proof hash; audited)
        await ledger.GrantAsync(customerId, ConsentPurpose.AdTargeting, new ConsentCapture(ConsentSources.Web, "privacy-v3", ConsentLedger.ComputeProofHash(formJson)));
        await ledger.TurnOffPersonalisedAdsAsync(customerId, new ConsentCapture(ConsentSources.App));

        // before any upload / audience sync / message
        var allowed = await gate.FilterAsync(customerIds, ConsentPurpose.AdTargeting, Channel.Meta);   // also needs third-party + cross-border consent
        var hashed = PlatformHasher.Hash(MatchField.Email, email, HashingProfile.Meta);

        // data-subject requests
        string json = await dsr.ExportJsonAsync(customerId);
        ErasureResult erased = await dsr.EraseAsync(customerId);

        // ad copy
        AdCopyReview review = reviewer.Review("全网最低价，品质最 佳！");   // findings with spans, category, severity, rewrite
        #endregion
        await Task.CompletedTask;
    }
}
