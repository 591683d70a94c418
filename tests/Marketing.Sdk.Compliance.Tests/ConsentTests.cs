using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Tcf;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class ConsentTests
{
    private static readonly CustomerId Alice = new("c_alice");
    private static readonly CustomerId Bob = new("c_bob");
    private static readonly ConsentCapture Web = new(ConsentSources.Web, "privacy-v3", ConsentLedger.ComputeProofHash("form-123"));

    [Fact]
    public async Task Ledger_keeps_full_history_and_current_state()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        await ledger.GrantAsync(Alice, ConsentPurpose.Email, Web);
        host.Time.Advance(TimeSpan.FromHours(1));
        await ledger.WithdrawAsync(Alice, ConsentPurpose.Email, Web with { Source = ConsentSources.App });
        host.Time.Advance(TimeSpan.FromHours(1));
        await ledger.GrantAsync(Alice, ConsentPurpose.Email, Web with { Source = ConsentSources.Questionnaire, PolicyVersion = "privacy-v4" });

        var history = await ledger.GetHistoryAsync(Alice).ToListAsync();
        Assert.Equal([true, false, true], history.Select(r => r.Granted));
        Assert.Equal([ConsentSources.Web, ConsentSources.App, ConsentSources.Questionnaire], history.Select(r => r.Source));
        Assert.All(history, r => Assert.Equal(64, r.ProofHash!.Length));
        var current = await ledger.GetCurrentAsync(Alice);
        Assert.True(current[ConsentPurpose.Email].Granted);
        Assert.Equal("privacy-v4", current[ConsentPurpose.Email].PolicyVersion);

        var audit = await host.Get<IAuditLogStore>().ReadAsync().ToListAsync();
        Assert.Equal(["consent.granted", "consent.withdrawn", "consent.granted"], audit.Select(a => a.Record.Action));
        Assert.All(audit, a => Assert.Equal(Alice, a.Record.Subject));
    }

    [Fact]
    public async Task Gate_denies_by_default_without_a_record()
    {
        await using var host = await Host.CreateAsync();
        var decision = await host.Get<IConsentGate>().CheckAsync(Alice, ConsentPurpose.AdTargeting);
        Assert.False(decision.Allowed);
        Assert.Equal(ConsentDecisionReason.NoRecord, decision.Reason);
        Assert.Contains("default deny", decision.Explanation);
    }

    [Fact]
    public async Task Gate_allows_a_granted_purpose_and_withdrawal_wins()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        var gate = host.Get<IConsentGate>();
        await ledger.GrantAsync(Alice, ConsentPurpose.AdMeasurement, Web);
        Assert.Equal(ConsentDecisionReason.Granted, (await gate.CheckAsync(Alice, ConsentPurpose.AdMeasurement)).Reason);

        host.Time.Advance(TimeSpan.FromMinutes(5));
        await ledger.WithdrawAsync(Alice, ConsentPurpose.AdMeasurement, Web);
        var denied = await gate.CheckAsync(Alice, ConsentPurpose.AdMeasurement);
        Assert.False(denied.Allowed);
        Assert.Equal(ConsentDecisionReason.Withdrawn, denied.Reason);
    }

    [Fact]
    public async Task A_grant_and_a_withdrawal_at_the_same_instant_count_as_withdrawn()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        var at = host.Time.GetUtcNow();
        await ledger.WithdrawAsync(Alice, ConsentPurpose.Sms, Web with { At = at });
        await ledger.GrantAsync(Alice, ConsentPurpose.Sms, Web with { At = at });
        Assert.False((await host.Get<IConsentGate>().CheckAsync(Alice, ConsentPurpose.Sms)).Allowed);
    }

    /// <summary>A store that answers only the per-customer reads, so the gate goes through the interface's default batched read.</summary>
    private sealed class PerCustomerStore(IConsentStore inner) : IConsentStore
    {
        public ValueTask<ConsentRecord> AppendAsync(ConsentRecord record, CancellationToken cancellationToken = default) => inner.AppendAsync(record, cancellationToken);
        public ValueTask<IReadOnlyDictionary<ConsentPurpose, ConsentRecord>> GetCurrentAsync(CustomerId customerId, CancellationToken cancellationToken = default) => inner.GetCurrentAsync(customerId, cancellationToken);
        public IAsyncEnumerable<ConsentRecord> ReadHistoryAsync(CustomerId customerId, ConsentPurpose? purpose = null, CancellationToken cancellationToken = default) => inner.ReadHistoryAsync(customerId, purpose, cancellationToken);
        public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default) => inner.ReassignAsync(source, target, cancellationToken);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Batched_gate_decides_exactly_as_per_customer_reads(bool sqlite)
    {
        await using var host = await Host.CreateAsync(sqlite);
        var ledger = host.Get<ConsentLedger>();
        var at = host.Time.GetUtcNow();
        var meta = new[] { ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer };
        var ids = Enumerable.Range(0, 9).Select(i => new CustomerId($"c_gate{i}")).ToArray();
        await ledger.RecordAsync(ids[0], meta, true, Web);                                        // granted
        await ledger.RecordAsync(ids[1], meta, true, Web);
        await ledger.WithdrawAsync(ids[1], ConsentPurpose.AdMeasurement, Web with { At = at.AddMinutes(1) }); // withdrawn later
        await ledger.WithdrawAsync(ids[2], ConsentPurpose.AdMeasurement, Web with { At = at });  // withdrawal and grant at one instant
        await ledger.RecordAsync(ids[2], meta, true, Web with { At = at, Source = ConsentSources.App });
        await ledger.RecordAsync(ids[3], [ConsentPurpose.AdMeasurement, ConsentPurpose.CrossBorderTransfer], true, Web); // separate consent never given
        await ledger.RecordAsync(ids[4], meta, true, Web);                                        // tie on a separate consent
        await ledger.WithdrawAsync(ids[4], ConsentPurpose.ThirdPartySharing, Web);
        await ledger.RecordAsync(ids[5], meta, true, Web);                                        // restricted
        await ledger.RecordAsync(ids[5], [ConsentLedger.RestrictionPurpose], true, new ConsentCapture(ConsentSources.DataSubjectRequest));
        await ledger.RecordAsync(ids[6], meta, true, Web);                                        // restriction lifted at its own instant
        await ledger.RecordAsync(ids[6], [ConsentLedger.RestrictionPurpose], false, new ConsentCapture(ConsentSources.DataSubjectRequest, At: at.AddMinutes(2)));
        await ledger.RecordAsync(ids[6], [ConsentLedger.RestrictionPurpose], true, new ConsentCapture(ConsentSources.DataSubjectRequest, At: at.AddMinutes(2)));
        await ledger.RecordAsync(ids[7], [ConsentPurpose.Email], true, Web);                      // no record for the purpose
        // ids[8]: nothing at all.

        var batched = host.Get<IConsentGate>();
        var perCustomer = new ConsentGate(new PerCustomerStore(host.Get<IConsentStore>()), host.Get<Microsoft.Extensions.Options.IOptions<ComplianceOptions>>());
        var input = ids.Concat(ids.Reverse()).ToArray();
        foreach (var (purpose, destination) in new (ConsentPurpose, Channel?)[] { (ConsentPurpose.AdMeasurement, Channel.Meta), (ConsentPurpose.AdMeasurement, null), (ConsentPurpose.Email, Channel.Meta) })
        {
            var expected = await perCustomer.FilterAsync(input, purpose, destination);
            var actual = await batched.FilterAsync(input, purpose, destination);
            Assert.Equal(expected.Allowed, actual.Allowed);
            Assert.Equal(expected.Denied, actual.Denied);
            foreach (var id in ids)
            {
                Assert.Equal(await perCustomer.CheckAsync(id, purpose, destination), await batched.CheckAsync(id, purpose, destination));
            }
        }
        var toMeta = await batched.FilterAsync(input, ConsentPurpose.AdMeasurement, Channel.Meta);
        Assert.Equal([ids[0]], toMeta.Allowed);
        Assert.Equal(
            [ConsentDecisionReason.Withdrawn, ConsentDecisionReason.Withdrawn, ConsentDecisionReason.SeparateConsentMissing, ConsentDecisionReason.SeparateConsentMissing,
             ConsentDecisionReason.Restricted, ConsentDecisionReason.Restricted, ConsentDecisionReason.NoRecord, ConsentDecisionReason.NoRecord],
            toMeta.Denied.Select(d => d.Reason));
        Assert.Contains("(source app)", toMeta.Denied[1].Explanation);
    }

    [Fact]
    public async Task Third_party_and_cross_border_destinations_need_separate_consent()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        var gate = host.Get<IConsentGate>();
        await ledger.GrantAsync(Alice, ConsentPurpose.AdTargeting, Web);

        Assert.True((await gate.CheckAsync(Alice, ConsentPurpose.AdTargeting)).Allowed);
        var douyin = await gate.CheckAsync(Alice, ConsentPurpose.AdTargeting, Channel.Douyin);
        Assert.Equal(ConsentDecisionReason.SeparateConsentMissing, douyin.Reason);
        Assert.Equal(ConsentPurpose.ThirdPartySharing, douyin.DecidingPurpose);

        await ledger.GrantAsync(Alice, ConsentPurpose.ThirdPartySharing, Web);
        Assert.True((await gate.CheckAsync(Alice, ConsentPurpose.AdTargeting, Channel.Douyin)).Allowed);
        var meta = await gate.CheckAsync(Alice, ConsentPurpose.AdTargeting, Channel.Meta);
        Assert.Equal(ConsentPurpose.CrossBorderTransfer, meta.DecidingPurpose);

        await ledger.GrantAsync(Alice, ConsentPurpose.CrossBorderTransfer, Web);
        Assert.True((await gate.CheckAsync(Alice, ConsentPurpose.AdTargeting, Channel.Meta)).Allowed);
    }

    [Fact]
    public async Task Sensitive_purposes_need_the_separate_sensitive_data_consent()
    {
        await using var host = await Host.CreateAsync(configure: c => c.Configure(o => o.SensitiveDataPurposes.Add(new ConsentPurpose("health_recommendations"))));
        var ledger = host.Get<ConsentLedger>();
        var gate = host.Get<IConsentGate>();
        var health = new ConsentPurpose("health_recommendations");
        await ledger.GrantAsync(Alice, health, Web);
        await ledger.GrantAsync(Alice, ConsentPurpose.Personalisation, Web);
        var decision = await gate.CheckAsync(Alice, health);
        Assert.False(decision.Allowed);
        Assert.Equal(ConsentPurpose.SensitiveData, decision.DecidingPurpose);
        await ledger.GrantAsync(Alice, ConsentPurpose.SensitiveData, Web);
        Assert.True((await gate.CheckAsync(Alice, health)).Allowed);
    }

    [Fact]
    public async Task Purposes_allowed_without_consent_are_still_denied_after_withdrawal()
    {
        await using var host = await Host.CreateAsync(configure: c => c.AllowWithoutConsent(ConsentPurpose.Analytics));
        var gate = host.Get<IConsentGate>();
        var allowed = await gate.CheckAsync(Alice, ConsentPurpose.Analytics);
        Assert.Equal(ConsentDecisionReason.NotRequired, allowed.Reason);
        await host.Get<ConsentLedger>().WithdrawAsync(Alice, ConsentPurpose.Analytics, Web);
        Assert.False((await gate.CheckAsync(Alice, ConsentPurpose.Analytics)).Allowed);
    }

    [Fact]
    public async Task Separate_consent_purposes_cannot_be_waived()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var host = await Host.CreateAsync(configure: c => c.AllowWithoutConsent(ConsentPurpose.ThirdPartySharing));
            _ = host.Get<Microsoft.Extensions.Options.IOptions<ComplianceOptions>>().Value;
        });
        Assert.Contains("third_party_sharing", ex.Message);
    }

    [Fact]
    public async Task Personalised_ads_switch_withdraws_every_ad_purpose()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        await ledger.RecordAsync(Alice, [ConsentPurpose.AdTargeting, ConsentPurpose.AdMeasurement, ConsentPurpose.Email], true, Web);
        host.Time.Advance(TimeSpan.FromMinutes(1));
        var withdrawn = await ledger.TurnOffPersonalisedAdsAsync(Alice, new ConsentCapture(ConsentSources.App));
        Assert.Equal(2, withdrawn.Count);
        var gate = host.Get<IConsentGate>();
        Assert.False((await gate.CheckAsync(Alice, ConsentPurpose.AdTargeting)).Allowed);
        Assert.False((await gate.CheckAsync(Alice, ConsentPurpose.AdMeasurement)).Allowed);
        Assert.True((await gate.CheckAsync(Alice, ConsentPurpose.Email)).Allowed);
    }

    [Fact]
    public async Task Filter_splits_customers_in_input_order()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        var carol = new CustomerId("c_carol");
        await ledger.GrantAsync(Alice, ConsentPurpose.AdTargeting, Web);
        await ledger.GrantAsync(carol, ConsentPurpose.AdTargeting, Web);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await ledger.WithdrawAsync(carol, ConsentPurpose.AdTargeting, Web);
        var result = await host.Get<IConsentGate>().FilterAsync([carol, Alice, Bob, Alice], ConsentPurpose.AdTargeting);
        Assert.Equal([Alice], result.Allowed);
        Assert.Equal([carol, Bob], result.Denied.Select(d => d.CustomerId));
        Assert.Equal([ConsentDecisionReason.Withdrawn, ConsentDecisionReason.NoRecord], result.Denied.Select(d => d.Reason));
    }

    [Fact]
    public async Task Consent_rates_are_computed_per_purpose()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        await ledger.GrantAsync(Alice, ConsentPurpose.Email, Web);
        await ledger.WithdrawAsync(Bob, ConsentPurpose.Email, Web);
        var rates = await ledger.ComputeRatesAsync(new[] { Alice, Bob, new CustomerId("c_x"), new CustomerId("c_y") }.ToAsyncEnumerable());
        Assert.Equal(4, rates.Customers);
        Assert.Equal(0.25, rates.Rate(ConsentPurpose.Email));
        Assert.Equal(1, rates.Withdrawn[ConsentPurpose.Email]);
    }

    [Fact]
    public async Task Consent_mode_signals_follow_the_ledger()
    {
        await using var host = await Host.CreateAsync();
        var ledger = host.Get<ConsentLedger>();
        var provider = host.Get<ConsentModeSignalProvider>();
        Assert.Equal(new ConsentModeSignals(ConsentModeStatus.Denied, ConsentModeStatus.Denied, ConsentModeStatus.Denied, ConsentModeStatus.Denied), await provider.GetSignalsAsync(Alice));

        await ledger.RecordAsync(Alice, [ConsentPurpose.AdTargeting, ConsentPurpose.Analytics], true, Web);
        var partial = await provider.GetSignalsAsync(Alice);
        Assert.Equal(ConsentModeStatus.Granted, partial.AdStorage);
        Assert.Equal(ConsentModeStatus.Granted, partial.AnalyticsStorage);
        Assert.Equal(ConsentModeStatus.Denied, partial.AdPersonalization); // Google is a third party abroad
        await ledger.RecordAsync(Alice, [ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer, ConsentPurpose.AdMeasurement], true, Web);
        var full = (await provider.GetSignalsAsync(Alice)).ToParameters();
        Assert.All(full.Values, v => Assert.Equal("granted", v));
        Assert.Equal(["ad_personalization", "ad_storage", "ad_user_data", "analytics_storage"], full.Keys.Order());
    }

    [Fact]
    public async Task Ledger_keeps_the_profile_consent_summary_in_step()
    {
        await using var host = await Host.CreateAsync();
        var profiles = host.Get<IProfileStore>();
        await profiles.SaveAsync(new CustomerProfile { Id = Alice });
        await host.Get<ConsentLedger>().GrantAsync(Alice, ConsentPurpose.Sms, Web);
        Assert.True((await profiles.GetAsync(Alice))!.HasConsent(ConsentPurpose.Sms));
    }
}
