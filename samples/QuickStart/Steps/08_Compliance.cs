using Marketing.Sdk;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Compliance.Audit;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Storage;

namespace QuickStart;

internal sealed record ComplianceReport(
    ConsentRates Rates,
    IReadOnlyList<AdCopyReview> CopyReviews,
    PersonalDataExport Export,
    int ExportBytes,
    ErasureResult Erasure,
    bool ProfileGoneAfterErasure,
    AuditVerification Audit);

/// <summary>
/// Step 8: staying lawful. Consent rates from the ledger the sign-up forms filled, the campaign copy
/// reviewed against the advertising-law lexicons before use, a data-subject access request (the
/// export document) and an erasure request for one customer across every store, and the
/// tamper-evident audit log verified end to end.
/// </summary>
internal static class ComplianceStep
{
    /// <summary>Copy the marketers drafted for the season campaign.</summary>
    public static readonly string[] DraftCopy =
    [
        "换季护肤套装，限时8折，会员再享满299减30",
        "全网最低价！国家级品质，效果第一，史上最强保湿",
        "New season skincare set — 20% off for members this week",
        "The best moisturiser ever, guaranteed results or your money back",
    ];

    public static async Task<ComplianceReport> RunAsync(QuickStartContext run)
    {
        run.Heading(8, "Compliance");

        var ledger = run.Get<ConsentLedger>();
        var rates = await ledger.ComputeRatesAsync(ProfileIds(run.Get<IProfileStore>()));
        run.Line($"Consent rates over {rates.Customers:N0} profiles (from the sign-up forms, each record with source, policy version and proof hash):");
        var rateTable = new Table("purpose", "granted", "rate");
        foreach (var purpose in IngestionStep.MessagingPurposes.Concat(IngestionStep.AdPurposes))
        {
            rateTable.Add(purpose.Value, rates.Granted.GetValueOrDefault(purpose), $"{rates.Rate(purpose):P1}");
        }
        rateTable.WriteTo(run.Out);
        run.Line();

        var reviewer = run.Get<AdCopyReviewer>();
        var reviews = DraftCopy.Select(reviewer.Review).ToList();
        run.Line("Campaign copy reviewed before use (Advertising Law absolute claims and platform policy terms):");
        var copyTable = new Table("copy", "verdict", "findings").Left(1, 2);
        foreach (var review in reviews)
        {
            copyTable.Add(review.Text, review.Passed ? "ok" : $"blocked ({review.MaxSeverity})",
                string.Join("; ", review.Findings.Select(f => string.IsNullOrEmpty(f.Suggestion) ? $"{f.Matched} (remove)" : $"{f.Matched} → {f.Suggestion}")));
        }
        copyTable.WriteTo(run.Out);
        run.Line();

        // The customer with the most events asks for a copy of their data, then for erasure.
        var events = await run.GetEventsAsync();
        var subject = events.Where(e => e.CustomerId is not null).GroupBy(e => e.CustomerId!.Value)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var dsr = run.Get<DataSubjectRequestService>();
        var access = await dsr.SubmitAsync(DataSubjectRequestKind.Access, subject);
        var export = await dsr.ExportAsync(subject, access.Id);
        var json = await dsr.ExportJsonAsync(subject, access.Id);
        var erasureRequest = await dsr.SubmitAsync(DataSubjectRequestKind.Erasure, subject);
        var erasure = await dsr.EraseAsync(subject, erasureRequest.Id);
        var gone = await run.Get<IProfileStore>().GetAsync(subject) is null;
        run.Line($"Access request: export of {System.Text.Encoding.UTF8.GetByteCount(json):N0} bytes — {export.Identities.Count} identities, "
            + $"{export.Events.Count} events, {export.Consents.Count} consent records, {export.AuditEntries.Count} audit entries");
        run.Line($"Erasure request: {erasure.Total:N0} records deleted in one transaction ({string.Join(", ", erasure.Store.DeletedRows.Where(r => r.Value > 0).Select(r => $"{r.Key} {r.Value}"))}"
            + $"{string.Concat(erasure.Components.Where(c => c.Value > 0).Select(c => $", {c.Key} {c.Value}"))}); profile gone: {(gone ? "yes" : "no")}");

        var audit = await run.Get<AuditLogVerifier>().VerifyAsync();
        run.Line($"Audit log: {audit.EntriesChecked:N0} entries, hash chain {(audit.Intact ? "intact" : $"broken at {audit.FirstBrokenSequence}")}");
        run.Line();
        return new ComplianceReport(rates, reviews, export, System.Text.Encoding.UTF8.GetByteCount(json), erasure, gone, audit);
    }

    private static async IAsyncEnumerable<CustomerId> ProfileIds(IProfileStore store)
    {
        await foreach (var p in store.StreamAsync())
        {
            yield return p.Id;
        }
    }
}
