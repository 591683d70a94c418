using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Compliance.Tcf;

/// <summary>
/// Maps TCF purposes to ledger purposes: a ledger purpose is granted when every TCF purpose it
/// needs has consent (and, with a vendor id, the vendor has consent and no publisher restriction
/// forbids it). Defaults: ad targeting ← purposes 1, 3, 4; ad measurement ← 1, 7; personalisation
/// ← 1, 5, 6; analytics ← 1, 8, 9. Purpose 1 (store and access information) is part of each.
/// </summary>
public sealed class TcfConsentMapping
{
    /// <summary>The default mapping.</summary>
    public static TcfConsentMapping Default { get; } = new(new Dictionary<ConsentPurpose, IReadOnlyList<int>>
    {
        [ConsentPurpose.AdTargeting] = [1, 3, 4],
        [ConsentPurpose.AdMeasurement] = [1, 7],
        [ConsentPurpose.Personalisation] = [1, 5, 6],
        [ConsentPurpose.Analytics] = [1, 8, 9],
    });

    /// <summary>Creates a mapping.</summary>
    /// <param name="purposes">For each ledger purpose, the TCF purposes (1–11) that must all have consent.</param>
    public TcfConsentMapping(IReadOnlyDictionary<ConsentPurpose, IReadOnlyList<int>> purposes)
    {
        ArgumentNullException.ThrowIfNull(purposes);
        if (purposes.Values.Any(l => l.Count == 0 || l.Any(p => p is < 1 or > 24)))
        {
            throw new ArgumentException("Each ledger purpose needs TCF purposes between 1 and 24.", nameof(purposes));
        }
        Purposes = purposes;
    }

    /// <summary>For each ledger purpose, the TCF purposes it needs.</summary>
    public IReadOnlyDictionary<ConsentPurpose, IReadOnlyList<int>> Purposes { get; }

    /// <summary>The ledger state a TC string implies, per mapped purpose.</summary>
    /// <param name="tcString">The decoded string.</param>
    /// <param name="vendorId">Your vendor id in the global vendor list, or <see langword="null"/> for purposes only.</param>
    public IReadOnlyDictionary<ConsentPurpose, bool> Map(TcString tcString, int? vendorId = null)
    {
        ArgumentNullException.ThrowIfNull(tcString);
        return Purposes.ToDictionary(kv => kv.Key, kv => kv.Value.All(p => tcString.HasConsent(p, vendorId)));
    }

    /// <summary>
    /// Decodes a TC string and records the implied grants and withdrawals in the ledger (source
    /// <see cref="ConsentSources.Tcf"/>, the policy and vendor list version as policy version, the
    /// SHA-256 of the TC string as proof, the string's last-updated instant as decision time).
    /// </summary>
    /// <param name="ledger">The consent ledger.</param>
    /// <param name="customerId">The customer.</param>
    /// <param name="tcString">The encoded TC string.</param>
    /// <param name="vendorId">Your vendor id, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored records.</returns>
    public async ValueTask<IReadOnlyList<ConsentRecord>> ApplyAsync(ConsentLedger ledger, CustomerId customerId, string tcString, int? vendorId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var decoded = TcStringCodec.Decode(tcString);
        var capture = new ConsentCapture(ConsentSources.Tcf, $"tcf-policy-{decoded.PolicyVersion}/gvl-{decoded.VendorListVersion}", ConsentLedger.ComputeProofHash(tcString), decoded.LastUpdated);
        var stored = new List<ConsentRecord>();
        var map = Map(decoded, vendorId);
        var granted = map.Where(kv => kv.Value).Select(kv => kv.Key).OrderBy(p => p.Value, StringComparer.Ordinal).ToList();
        var withdrawn = map.Where(kv => !kv.Value).Select(kv => kv.Key).OrderBy(p => p.Value, StringComparer.Ordinal).ToList();
        if (granted.Count > 0)
        {
            stored.AddRange(await ledger.RecordAsync(customerId, granted, true, capture, cancellationToken).ConfigureAwait(false));
        }
        if (withdrawn.Count > 0)
        {
            stored.AddRange(await ledger.RecordAsync(customerId, withdrawn, false, capture, cancellationToken).ConfigureAwait(false));
        }
        return stored;
    }
}
