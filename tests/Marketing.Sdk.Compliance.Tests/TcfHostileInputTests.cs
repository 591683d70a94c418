using System.Text;
using Marketing.Sdk.Compliance.Tcf;

namespace Marketing.Sdk.Compliance.Tests;

/// <summary>
/// TC strings built bit by bit to the limits of the format: decoding is bounded by the string's length (memory
/// measured as bytes allocated by the decoding thread), and reserved or out-of-range fields are refused by name.
/// </summary>
public sealed class TcfHostileInputTests
{
    /// <summary>Writes TC string fields MSB first and encodes them as base64url.</summary>
    private sealed class Bits
    {
        private readonly List<bool> _bits = [];

        public Bits Add(long value, int width)
        {
            for (var i = width - 1; i >= 0; i--)
            {
                _bits.Add(((value >> i) & 1) == 1);
            }
            return this;
        }

        public override string ToString()
        {
            const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            var sb = new StringBuilder();
            for (var i = 0; i < _bits.Count; i += 6)
            {
                var v = 0;
                for (var k = 0; k < 6; k++)
                {
                    v = (v << 1) | (i + k < _bits.Count && _bits[i + k] ? 1 : 0);
                }
                sb.Append(Alphabet[v]);
            }
            return sb.ToString();
        }
    }

    /// <summary>The core fields up to and including the publisher country code; purposes 1-24 consented.</summary>
    private static Bits Core() => new Bits()
        .Add(2, 6).Add(17_000_000_000, 36).Add(17_000_000_000, 36).Add(10, 12).Add(1, 12).Add(1, 6)
        .Add(4, 6).Add(13, 6) // EN
        .Add(100, 12).Add(5, 6).Add(0, 1).Add(0, 1).Add(0, 12)
        .Add(0xFFFFFF, 24).Add(0, 24).Add(0, 1)
        .Add(3, 6).Add(4, 6); // DE

    private static Bits EmptyVendors(Bits b) => b.Add(0, 16).Add(0, 1);

    /// <summary>Bytes the current thread allocates while <paramref name="action"/> runs.</summary>
    private static long Allocated(Action action)
    {
        action(); // loads and initialises every type on the path first
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Decoding_4095_vendor_ranges_of_65535_ids_costs_what_the_string_costs()
    {
        var b = Core().Add(65535, 16).Add(1, 1).Add(4095, 12);
        for (var i = 0; i < 4095; i++)
        {
            b.Add(1, 1).Add(1, 16).Add(65535, 16);
        }
        var tcString = EmptyVendors(b).Add(0, 12).ToString();
        Assert.InRange(tcString.Length, 22_000, 23_000);

        TcString? tc = null;
        var bytes = Allocated(() => tc = TcStringCodec.Decode(tcString));

        // Linear in the input: a few bytes per character of the string, however many ids the ranges cover
        // (expanding them into a set allocated megabytes and took seconds).
        Assert.True(bytes < 16L * tcString.Length, $"allocated {bytes} bytes for {tcString.Length} characters");
        Assert.Equal(65535, tc!.VendorConsents.Count);
        Assert.Equal(1, tc.VendorConsents[0]);
        Assert.Equal(40_000, tc.VendorConsents[39_999]);
        Assert.Equal(65535, tc.VendorConsents[^1]);
        Assert.True(tc.HasConsent(1, 65535));
        Assert.False(tc.HasConsent(1, 0));
    }

    [Fact]
    public void Decoding_512_publisher_restrictions_over_every_vendor_is_bounded_by_the_string()
    {
        var b = EmptyVendors(EmptyVendors(Core())).Add(512, 12);
        for (var i = 0; i < 512; i++)
        {
            b.Add(i % 24 + 1, 6).Add(i % 3, 2).Add(1, 12).Add(1, 1).Add(1, 16).Add(65535, 16);
        }
        var tcString = b.ToString();
        Assert.InRange(tcString.Length, 4_000, 5_000);

        TcString? tc = null;
        var bytes = Allocated(() => tc = TcStringCodec.Decode(tcString));

        // Each restriction expanded into a 65 535-id set allocated 1.4 GB for this 4.5 KB string.
        Assert.True(bytes < 64L * tcString.Length, $"allocated {bytes} bytes for {tcString.Length} characters");
        Assert.Equal(512, tc!.PublisherRestrictions.Count);
        Assert.All(tc.PublisherRestrictions, r => Assert.Equal(65535, r.Vendors.Count));
        Assert.Equal(TcfRestrictionType.RequireLegitimateInterest, tc.PublisherRestrictions[2].RestrictionType);
    }

    [Fact]
    public void Overlapping_and_unordered_ranges_decode_to_the_ids_they_cover()
    {
        var b = Core().Add(30, 16).Add(1, 1).Add(4, 12)
            .Add(1, 1).Add(10, 16).Add(20, 16)
            .Add(0, 1).Add(3, 16)
            .Add(1, 1).Add(15, 16).Add(25, 16)
            .Add(0, 1).Add(26, 16);
        var tc = TcStringCodec.Decode(EmptyVendors(b).Add(0, 12).ToString());
        Assert.Equal([3, .. Enumerable.Range(10, 17)], tc.VendorConsents);
        Assert.True(tc.HasConsent(2, 26));
        Assert.False(tc.HasConsent(2, 27));
        Assert.False(tc.HasConsent(2, 9));
    }

    public static TheoryData<int, int, string> BadRestrictions() => new()
    {
        { 1, 3, "publisherRestrictions.restrictionType" }, // type 3 is reserved
        { 0, 0, "publisherRestrictions.purposeId" },
        { 25, 1, "publisherRestrictions.purposeId" },
        { 63, 2, "publisherRestrictions.purposeId" },
    };

    [Theory]
    [MemberData(nameof(BadRestrictions))]
    public void Reserved_restriction_types_and_purposes_outside_1_to_24_are_refused_by_field(int purpose, int type, string field)
    {
        var tcString = EmptyVendors(EmptyVendors(Core())).Add(1, 12).Add(purpose, 6).Add(type, 2).Add(1, 12).Add(0, 1).Add(7, 16).ToString();
        var ex = Assert.Throws<TcStringFormatException>(() => TcStringCodec.Decode(tcString));
        Assert.Equal(field, ex.Field);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        Assert.False(TcStringCodec.TryDecode(tcString, out _));
    }

    [Fact]
    public void Reserved_restriction_types_and_purposes_outside_1_to_24_cannot_be_encoded()
    {
        var valid = TcStringCodec.Decode(EmptyVendors(EmptyVendors(Core())).Add(0, 12).ToString());
        var type3 = valid with { PublisherRestrictions = [new TcfPublisherRestriction(1, TcfRestrictionType.Undefined, [7])] };
        Assert.Equal("publisherRestrictions.restrictionType", Assert.Throws<TcStringFormatException>(() => TcStringCodec.Encode(type3)).Field);
        var purpose0 = valid with { PublisherRestrictions = [new TcfPublisherRestriction(0, TcfRestrictionType.NotAllowed, [7])] };
        Assert.Equal("publisherRestrictions.purposeId", Assert.Throws<TcStringFormatException>(() => TcStringCodec.Encode(purpose0)).Field);
    }

    [Fact]
    public void A_string_that_ends_inside_a_range_entry_names_the_section()
    {
        var tcString = Core().Add(100, 16).Add(1, 1).Add(4095, 12).Add(1, 1).Add(1, 16).ToString();
        Assert.Equal("vendorConsents", Assert.Throws<TcStringFormatException>(() => TcStringCodec.Decode(tcString)).Field);
    }

    [Fact]
    public void A_range_beyond_the_declared_maximum_vendor_id_is_refused()
    {
        var tcString = EmptyVendors(Core().Add(10, 16).Add(1, 1).Add(1, 12).Add(1, 1).Add(5, 16).Add(11, 16)).Add(0, 12).ToString();
        Assert.Equal("vendorConsents", Assert.Throws<TcStringFormatException>(() => TcStringCodec.Decode(tcString)).Field);
    }
}
