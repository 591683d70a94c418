using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Tcf;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Compliance.Tests;

public sealed class TcfTests
{
    public static TheoryData<string> Lines()
    {
        var data = new TheoryData<string>();
        foreach (var line in File.ReadLines(ReferenceFiles.Get("tcf", "tc_strings_decoded_by_iabtcf_core_1.5.6.jsonl")).Where(l => l.Length > 0))
        {
            data.Add(line);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Decodes_every_field_as_the_official_library_does(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var e = doc.RootElement;
        var tc = TcStringCodec.Decode(e.GetProperty("tcString").GetString()!);
        Assert.Equal(e.GetProperty("version").GetInt32(), tc.Version);
        Assert.Equal(DateTimeOffset.Parse(e.GetProperty("created").GetString()!), tc.Created);
        Assert.Equal(DateTimeOffset.Parse(e.GetProperty("lastUpdated").GetString()!), tc.LastUpdated);
        Assert.Equal(e.GetProperty("cmpId").GetInt32(), tc.CmpId);
        Assert.Equal(e.GetProperty("cmpVersion").GetInt32(), tc.CmpVersion);
        Assert.Equal(e.GetProperty("consentScreen").GetInt32(), tc.ConsentScreen);
        Assert.Equal(e.GetProperty("consentLanguage").GetString(), tc.ConsentLanguage);
        Assert.Equal(e.GetProperty("vendorListVersion").GetInt32(), tc.VendorListVersion);
        Assert.Equal(e.GetProperty("policyVersion").GetInt32(), tc.PolicyVersion);
        Assert.Equal(e.GetProperty("isServiceSpecific").GetBoolean(), tc.IsServiceSpecific);
        Assert.Equal(e.GetProperty("useNonStandardTexts").GetBoolean(), tc.UseNonStandardTexts);
        Assert.Equal(e.GetProperty("purposeOneTreatment").GetBoolean(), tc.PurposeOneTreatment);
        Assert.Equal(e.GetProperty("publisherCountryCode").GetString(), tc.PublisherCountryCode);
        Assert.Equal(Ints(e, "specialFeatureOptins"), tc.SpecialFeatureOptins);
        Assert.Equal(Ints(e, "purposeConsents"), tc.PurposeConsents);
        Assert.Equal(Ints(e, "purposeLegitimateInterests"), tc.PurposeLegitimateInterests);
        Assert.Equal(Ints(e, "vendorConsents"), tc.VendorConsents);
        Assert.Equal(Ints(e, "vendorLegitimateInterests"), tc.VendorLegitimateInterests);
        Assert.Equal(e.GetProperty("publisherRestrictions").EnumerateObject().Count(), tc.PublisherRestrictions.Count);
        Assert.Equal(Ints(e, "vendorsDisclosed"), tc.VendorsDisclosed);
        Assert.Equal(Ints(e, "vendorsAllowed"), tc.VendorsAllowed);
        Assert.Equal(Ints(e, "publisherConsents"), tc.PublisherConsents);
        Assert.Equal(Ints(e, "publisherLegitimateInterests"), tc.PublisherLegitimateInterests);
        Assert.Equal(e.GetProperty("numCustomPurposes").GetInt32(), tc.NumCustomPurposes);
        Assert.Equal(Ints(e, "publisherCustomConsents"), tc.PublisherCustomConsents);
        Assert.Equal(Ints(e, "publisherCustomLegitimateInterests"), tc.PublisherCustomLegitimateInterests);
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Official_strings_survive_encode_and_decode(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var tc = TcStringCodec.Decode(doc.RootElement.GetProperty("tcString").GetString()!);
        AssertSame(tc, TcStringCodec.Decode(TcStringCodec.Encode(tc)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA")] // a version 1 string
    [InlineData("CQNnaOAQNqtKAEsACBENCWFoAPIAAEPAAAqI")] // truncated core segment
    [InlineData("CQNnaOAQNqtKAEsACBENCWFoAPIAAEPAAAqIGMwBgABAAGAAQAAoBeYDGQAKACAA.$$$")]
    [InlineData("CQNnaOAQNqtKAEsACBENCWFoAPIAAEPAAAqIGMwBgABAAGAAQAAoBeYDGQAKACAA.eAAAAAAAAAAA.eAAAAAAAAAAA")] // publisher segment twice
    public void Invalid_strings_are_rejected(string value)
    {
        Assert.Throws<TcStringFormatException>(() => TcStringCodec.Decode(value));
        Assert.False(TcStringCodec.TryDecode(value, out _));
    }

    [Fact]
    public void Range_and_bit_field_encodings_decode_alike_and_restrictions_round_trip()
    {
        var sparse = new TcString
        {
            Created = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
            LastUpdated = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
            CmpId = 10, VendorListVersion = 100, PolicyVersion = 5, PublisherCountryCode = "CN", ConsentLanguage = "ZH",
            VendorConsents = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 2000],        // range encoding is shorter
            VendorLegitimateInterests = [1, 3, 5, 7],                       // bit field is shorter
            PublisherRestrictions = [new TcfPublisherRestriction(3, TcfRestrictionType.NotAllowed, [2, 3, 4, 9])],
        };
        var decoded = TcStringCodec.Decode(TcStringCodec.Encode(sparse));
        AssertSame(sparse, decoded);
        Assert.False(decoded.HasConsent(3, 2)); // restricted to not allowed
    }

    [Fact]
    public void Round_trip_property()
    {
        var ids = Gen.Choose(1, 600).ListOf().Select(l => (IReadOnlyList<int>)[.. l.Distinct().Order()]);
        var purposes = Gen.Choose(1, 24).ListOf().Select(l => (IReadOnlyList<int>)[.. l.Distinct().Order()]);
        var features = Gen.Choose(1, 12).ListOf().Select(l => (IReadOnlyList<int>)[.. l.Distinct().Order()]);
        var letters = Gen.Elements("AA", "EN", "FR", "DE", "ZH", "CN");
        var gen =
            from created in Gen.Choose(0, 2_000_000_000)
            from cmp in Gen.Choose(2, 4095)
            from gvl in Gen.Choose(1, 4095)
            from pc in purposes
            from pli in purposes
            from sf in features
            from vc in ids
            from vli in ids
            from disclosed in ids
            from lang in letters
            from cc in letters
            from custom in Gen.Choose(0, 10)
            from flags in Gen.Choose(0, 7)
            from restrictionVendors in ids
            select new TcString
            {
                Created = DateTimeOffset.UnixEpoch.AddSeconds(created),
                LastUpdated = DateTimeOffset.UnixEpoch.AddSeconds(created).AddMilliseconds(300),
                CmpId = cmp, CmpVersion = cmp % 7, ConsentScreen = cmp % 60, VendorListVersion = gvl, PolicyVersion = 4 + (flags % 2),
                ConsentLanguage = lang, PublisherCountryCode = cc,
                IsServiceSpecific = (flags & 1) != 0, UseNonStandardTexts = (flags & 2) != 0, PurposeOneTreatment = (flags & 4) != 0,
                PurposeConsents = pc, PurposeLegitimateInterests = pli, SpecialFeatureOptins = sf,
                VendorConsents = vc, VendorLegitimateInterests = vli, VendorsDisclosed = disclosed,
                PublisherRestrictions = restrictionVendors.Count == 0 ? [] : [new TcfPublisherRestriction(7, TcfRestrictionType.RequireConsent, restrictionVendors)],
                HasPublisherSegment = custom > 0,
                PublisherConsents = custom > 0 ? pc : [],
                PublisherLegitimateInterests = custom > 0 ? pli : [],
                NumCustomPurposes = custom,
                PublisherCustomConsents = [.. Enumerable.Range(1, custom).Where(i => i % 2 == 0)],
                PublisherCustomLegitimateInterests = [.. Enumerable.Range(1, custom).Where(i => i % 3 == 0)],
            };
        Prop.ForAll(gen.ToArbitrary(), tc =>
        {
            AssertSame(tc, TcStringCodec.Decode(TcStringCodec.Encode(tc)));
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task Mapping_records_ledger_purposes_with_the_string_as_proof()
    {
        await using var host = await Host.CreateAsync();
        var first = File.ReadLines(ReferenceFiles.Get("tcf", "tc_strings_decoded_by_iabtcf_core_1.5.6.jsonl")).First();
        var tcString = JsonDocument.Parse(first).RootElement.GetProperty("tcString").GetString()!;
        var customer = new CustomerId("c_tcf");
        // Purposes 1,2,3,4,7 consented; vendors 2,6,8,10,755,793.
        var stored = await TcfConsentMapping.Default.ApplyAsync(host.Get<ConsentLedger>(), customer, tcString, vendorId: 755);
        var current = await host.Get<ConsentLedger>().GetCurrentAsync(customer);
        Assert.True(current[ConsentPurpose.AdTargeting].Granted);
        Assert.True(current[ConsentPurpose.AdMeasurement].Granted);
        Assert.False(current[ConsentPurpose.Personalisation].Granted);
        Assert.False(current[ConsentPurpose.Analytics].Granted);
        Assert.All(stored, r => Assert.Equal(ConsentLedger.ComputeProofHash(tcString), r.ProofHash));
        Assert.All(stored, r => Assert.Equal(ConsentSources.Tcf, r.Source));
        Assert.False(TcfConsentMapping.Default.Map(TcStringCodec.Decode(tcString), vendorId: 7)[ConsentPurpose.AdTargeting]);
    }

    private static int[] Ints(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32())];

    private static void AssertSame(TcString expected, TcString actual)
    {
        Assert.Equal(expected.Created, actual.Created);
        Assert.Equal(expected.LastUpdated, actual.LastUpdated);
        Assert.Equal(expected.CmpId, actual.CmpId);
        Assert.Equal(expected.CmpVersion, actual.CmpVersion);
        Assert.Equal(expected.ConsentScreen, actual.ConsentScreen);
        Assert.Equal(expected.ConsentLanguage, actual.ConsentLanguage);
        Assert.Equal(expected.VendorListVersion, actual.VendorListVersion);
        Assert.Equal(expected.PolicyVersion, actual.PolicyVersion);
        Assert.Equal(expected.IsServiceSpecific, actual.IsServiceSpecific);
        Assert.Equal(expected.UseNonStandardTexts, actual.UseNonStandardTexts);
        Assert.Equal(expected.PurposeOneTreatment, actual.PurposeOneTreatment);
        Assert.Equal(expected.PublisherCountryCode, actual.PublisherCountryCode);
        Assert.Equal(expected.SpecialFeatureOptins, actual.SpecialFeatureOptins);
        Assert.Equal(expected.PurposeConsents, actual.PurposeConsents);
        Assert.Equal(expected.PurposeLegitimateInterests, actual.PurposeLegitimateInterests);
        Assert.Equal(expected.VendorConsents, actual.VendorConsents);
        Assert.Equal(expected.VendorLegitimateInterests, actual.VendorLegitimateInterests);
        Assert.Equal(expected.PublisherRestrictions.Count, actual.PublisherRestrictions.Count);
        for (var i = 0; i < expected.PublisherRestrictions.Count; i++)
        {
            Assert.Equal(expected.PublisherRestrictions[i].PurposeId, actual.PublisherRestrictions[i].PurposeId);
            Assert.Equal(expected.PublisherRestrictions[i].RestrictionType, actual.PublisherRestrictions[i].RestrictionType);
            Assert.Equal(expected.PublisherRestrictions[i].Vendors, actual.PublisherRestrictions[i].Vendors);
        }
        Assert.Equal(expected.VendorsDisclosed, actual.VendorsDisclosed);
        Assert.Equal(expected.VendorsAllowed, actual.VendorsAllowed);
        Assert.Equal(expected.HasPublisherSegment, actual.HasPublisherSegment);
        Assert.Equal(expected.PublisherConsents, actual.PublisherConsents);
        Assert.Equal(expected.PublisherLegitimateInterests, actual.PublisherLegitimateInterests);
        Assert.Equal(expected.NumCustomPurposes, actual.NumCustomPurposes);
        Assert.Equal(expected.PublisherCustomConsents, actual.PublisherCustomConsents);
        Assert.Equal(expected.PublisherCustomLegitimateInterests, actual.PublisherCustomLegitimateInterests);
    }
}

public sealed class TcfEqualityTests
{
    [Theory]
    [MemberData(nameof(TcfTests.Lines), MemberType = typeof(TcfTests))]
    public void Two_decodes_of_one_string_are_equal_and_hash_alike(string line)
    {
        var tcString = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("tcString").GetString()!;
        var a = TcStringCodec.Decode(tcString);
        var b = TcStringCodec.Decode(tcString);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(a, TcStringCodec.Decode(TcStringCodec.Encode(a)));
    }

    [Fact]
    public void Values_compare_by_content_not_by_list_instance()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        TcString Make(IReadOnlyList<int> vendors, int restrictedVendor) => new()
        {
            Created = at, LastUpdated = at, CmpId = 10, VendorListVersion = 100, PolicyVersion = 5,
            PurposeConsents = new List<int> { 1, 2, 3 },
            VendorConsents = vendors,
            PublisherRestrictions = new List<TcfPublisherRestriction> { new(2, TcfRestrictionType.NotAllowed, new[] { restrictedVendor, 9 }) },
        };
        var a = Make([5, 6, 7, 100], 4);
        var b = Make(new List<int> { 100, 7, 6, 5, 6 }, 4);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(a.PublisherRestrictions[0], b.PublisherRestrictions[0]);
        Assert.NotEqual(a, Make([5, 6, 7, 101], 4));
        Assert.NotEqual(a, Make([5, 6, 7, 100], 3));
        Assert.NotEqual(a, a with { PurposeConsents = [1, 2] });
    }
}
