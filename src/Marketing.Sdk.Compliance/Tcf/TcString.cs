using System.Text;

namespace Marketing.Sdk.Compliance.Tcf;

/// <summary>The restriction a publisher puts on a purpose for some vendors (TCF v2 publisher restrictions).</summary>
public enum TcfRestrictionType
{
    /// <summary>The purpose is not allowed for the vendors.</summary>
    NotAllowed = 0,
    /// <summary>The vendors must ask for consent.</summary>
    RequireConsent = 1,
    /// <summary>The vendors must rely on legitimate interest.</summary>
    RequireLegitimateInterest = 2,
    /// <summary>Reserved by the specification.</summary>
    Undefined = 3,
}

/// <summary>One publisher restriction: a purpose, a restriction type and the vendors it applies to.</summary>
/// <param name="PurposeId">The purpose (1–24).</param>
/// <param name="RestrictionType">The restriction.</param>
/// <param name="Vendors">The vendor ids, ascending.</param>
public sealed record TcfPublisherRestriction(int PurposeId, TcfRestrictionType RestrictionType, IReadOnlyList<int> Vendors);

/// <summary>
/// A decoded IAB TCF v2 (v2.2) transparency and consent string: the core segment and the optional
/// disclosed-vendors, allowed-vendors and publisher-purposes segments. Property names follow the
/// official <c>@iabtcf/core</c> model. Id sets are ascending lists.
/// </summary>
public sealed record TcString
{
    /// <summary>Encoding version (2).</summary>
    public int Version { get; init; } = 2;
    /// <summary>When the string was first created (decisecond precision).</summary>
    public DateTimeOffset Created { get; init; }
    /// <summary>When the string was last updated (decisecond precision).</summary>
    public DateTimeOffset LastUpdated { get; init; }
    /// <summary>The consent management platform's id.</summary>
    public int CmpId { get; init; }
    /// <summary>The CMP's version.</summary>
    public int CmpVersion { get; init; }
    /// <summary>The CMP screen where consent was given.</summary>
    public int ConsentScreen { get; init; }
    /// <summary>Two-letter upper-case ISO 639-1 language of the consent UI.</summary>
    public string ConsentLanguage { get; init; } = "EN";
    /// <summary>The global vendor list version used.</summary>
    public int VendorListVersion { get; init; }
    /// <summary>The TCF policy version (4 or later for TCF v2.2).</summary>
    public int PolicyVersion { get; init; }
    /// <summary>Whether the signals apply only to the service that created them.</summary>
    public bool IsServiceSpecific { get; init; }
    /// <summary>Whether the CMP used non-standard texts.</summary>
    public bool UseNonStandardTexts { get; init; }
    /// <summary>Whether purpose 1 was not disclosed (special treatment for some countries).</summary>
    public bool PurposeOneTreatment { get; init; }
    /// <summary>Two-letter upper-case country code of the publisher.</summary>
    public string PublisherCountryCode { get; init; } = "AA";
    /// <summary>Special features opted in (1–12).</summary>
    public IReadOnlyList<int> SpecialFeatureOptins { get; init; } = [];
    /// <summary>Purposes consented (1–24).</summary>
    public IReadOnlyList<int> PurposeConsents { get; init; } = [];
    /// <summary>Purposes whose legitimate interest was disclosed and not objected to (1–24).</summary>
    public IReadOnlyList<int> PurposeLegitimateInterests { get; init; } = [];
    /// <summary>Vendors with consent.</summary>
    public IReadOnlyList<int> VendorConsents { get; init; } = [];
    /// <summary>Vendors whose legitimate interest was established.</summary>
    public IReadOnlyList<int> VendorLegitimateInterests { get; init; } = [];
    /// <summary>Publisher restrictions, by purpose then restriction type.</summary>
    public IReadOnlyList<TcfPublisherRestriction> PublisherRestrictions { get; init; } = [];
    /// <summary>Vendors disclosed to the user (disclosed-vendors segment; empty when absent).</summary>
    public IReadOnlyList<int> VendorsDisclosed { get; init; } = [];
    /// <summary>Vendors the publisher allows (allowed-vendors segment, TCF v2.0/2.1 only; empty when absent).</summary>
    public IReadOnlyList<int> VendorsAllowed { get; init; } = [];
    /// <summary>Whether the string carries a publisher-purposes segment.</summary>
    public bool HasPublisherSegment { get; init; }
    /// <summary>Purposes the publisher has consent for (publisher segment).</summary>
    public IReadOnlyList<int> PublisherConsents { get; init; } = [];
    /// <summary>Purposes the publisher relies on legitimate interest for (publisher segment).</summary>
    public IReadOnlyList<int> PublisherLegitimateInterests { get; init; } = [];
    /// <summary>Number of publisher custom purposes.</summary>
    public int NumCustomPurposes { get; init; }
    /// <summary>Custom purposes consented.</summary>
    public IReadOnlyList<int> PublisherCustomConsents { get; init; } = [];
    /// <summary>Custom purposes under legitimate interest.</summary>
    public IReadOnlyList<int> PublisherCustomLegitimateInterests { get; init; } = [];

    /// <summary>Whether the vendor has consent and the purpose is consented (and not restricted to "not allowed" or legitimate interest for that vendor).</summary>
    /// <param name="purposeId">The TCF purpose.</param>
    /// <param name="vendorId">The vendor, or <see langword="null"/> to check the purpose only.</param>
    public bool HasConsent(int purposeId, int? vendorId = null)
    {
        if (!Contains(PurposeConsents, purposeId))
        {
            return false;
        }
        if (vendorId is not { } v)
        {
            return true;
        }
        if (!Contains(VendorConsents, v))
        {
            return false;
        }
        return !PublisherRestrictions.Any(r => r.PurposeId == purposeId
            && r.RestrictionType is TcfRestrictionType.NotAllowed or TcfRestrictionType.RequireLegitimateInterest
            && Contains(r.Vendors, v));
    }

    /// <summary>Describes the string without consent details.</summary>
    public override string ToString() => $"TcString {{ Version = {Version}, CmpId = {CmpId}, PolicyVersion = {PolicyVersion}, VendorListVersion = {VendorListVersion}, LastUpdated = {LastUpdated:O} }}";

    private static bool Contains(IReadOnlyList<int> sorted, int id)
    {
        int lo = 0, hi = sorted.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] == id)
            {
                return true;
            }
            if (sorted[mid] < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return false;
    }
}

/// <summary>
/// Decodes, validates and encodes IAB TCF v2 TC strings (the "IAB Europe Transparency &amp; Consent
/// Framework — Consent string and vendor list formats v2" specification): base64url segments joined
/// by '.', the core segment first, then optional segments tagged by a 3-bit type.
/// </summary>
public static class TcStringCodec
{
    private const int SegmentDisclosedVendors = 1;
    private const int SegmentAllowedVendors = 2;
    private const int SegmentPublisherTc = 3;

    /// <summary>Decodes and validates a TC string.</summary>
    /// <param name="tcString">The TC string.</param>
    /// <exception cref="TcStringFormatException">The string is malformed or invalid.</exception>
    public static TcString Decode(string tcString)
    {
        if (string.IsNullOrWhiteSpace(tcString))
        {
            throw new TcStringFormatException("The TC string is empty.");
        }
        var segments = tcString.Trim().Split('.');
        var core = new BitReader(FromBase64Url(segments[0], "core"));
        var version = core.Int(6);
        if (version != 2)
        {
            throw new TcStringFormatException($"Unsupported TC string version {version}; only version 2 is supported.");
        }
        var result = new TcString
        {
            Version = version,
            Created = FromDeciseconds(core.Long(36)),
            LastUpdated = FromDeciseconds(core.Long(36)),
            CmpId = core.Int(12),
            CmpVersion = core.Int(12),
            ConsentScreen = core.Int(6),
            ConsentLanguage = core.Letters(),
            VendorListVersion = core.Int(12),
            PolicyVersion = core.Int(6),
            IsServiceSpecific = core.Bool(),
            UseNonStandardTexts = core.Bool(),
            SpecialFeatureOptins = core.Flags(12),
            PurposeConsents = core.Flags(24),
            PurposeLegitimateInterests = core.Flags(24),
            PurposeOneTreatment = core.Bool(),
            PublisherCountryCode = core.Letters(),
            VendorConsents = ReadVendors(ref core, "vendor consents"),
            VendorLegitimateInterests = ReadVendors(ref core, "vendor legitimate interests"),
            PublisherRestrictions = ReadRestrictions(ref core),
        };
        var seen = new HashSet<int>();
        for (var i = 1; i < segments.Length; i++)
        {
            var reader = new BitReader(FromBase64Url(segments[i], "segment " + i));
            var type = reader.Int(3);
            if (!seen.Add(type))
            {
                throw new TcStringFormatException($"Segment type {type} appears twice.");
            }
            switch (type)
            {
                case SegmentDisclosedVendors:
                    result = result with { VendorsDisclosed = ReadVendors(ref reader, "disclosed vendors") };
                    break;
                case SegmentAllowedVendors:
                    result = result with { VendorsAllowed = ReadVendors(ref reader, "allowed vendors") };
                    break;
                case SegmentPublisherTc:
                    var consents = reader.Flags(24);
                    var interests = reader.Flags(24);
                    var custom = reader.Int(6);
                    result = result with
                    {
                        HasPublisherSegment = true,
                        PublisherConsents = consents,
                        PublisherLegitimateInterests = interests,
                        NumCustomPurposes = custom,
                        PublisherCustomConsents = reader.Flags(custom),
                        PublisherCustomLegitimateInterests = reader.Flags(custom),
                    };
                    break;
                default:
                    throw new TcStringFormatException($"Unknown segment type {type}.");
            }
        }
        return result;
    }

    /// <summary>Decodes a TC string, returning <see langword="false"/> instead of throwing when it is invalid.</summary>
    /// <param name="tcString">The TC string.</param>
    /// <param name="result">The decoded string, when valid.</param>
    public static bool TryDecode(string? tcString, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TcString? result)
    {
        try
        {
            result = tcString is null ? null : Decode(tcString);
            return result is not null;
        }
        catch (TcStringFormatException)
        {
            result = null;
            return false;
        }
    }

    /// <summary>Encodes a TC string (vendor sections in whichever of bit field or range encoding is shorter, as the official libraries do).</summary>
    /// <param name="value">The content.</param>
    public static string Encode(TcString value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var core = new BitWriter();
        core.Write(value.Version, 6);
        core.Write(ToDeciseconds(value.Created), 36);
        core.Write(ToDeciseconds(value.LastUpdated), 36);
        core.Write(value.CmpId, 12);
        core.Write(value.CmpVersion, 12);
        core.Write(value.ConsentScreen, 6);
        core.Letters(value.ConsentLanguage);
        core.Write(value.VendorListVersion, 12);
        core.Write(value.PolicyVersion, 6);
        core.Write(value.IsServiceSpecific ? 1 : 0, 1);
        core.Write(value.UseNonStandardTexts ? 1 : 0, 1);
        core.Flags(value.SpecialFeatureOptins, 12);
        core.Flags(value.PurposeConsents, 24);
        core.Flags(value.PurposeLegitimateInterests, 24);
        core.Write(value.PurposeOneTreatment ? 1 : 0, 1);
        core.Letters(value.PublisherCountryCode);
        WriteVendors(core, value.VendorConsents);
        WriteVendors(core, value.VendorLegitimateInterests);
        core.Write(value.PublisherRestrictions.Count, 12);
        foreach (var r in value.PublisherRestrictions)
        {
            core.Write(r.PurposeId, 6);
            core.Write((int)r.RestrictionType, 2);
            WriteRanges(core, r.Vendors);
        }
        var sb = new StringBuilder(core.ToBase64Url());
        if (value.VendorsDisclosed.Count > 0)
        {
            var w = new BitWriter();
            w.Write(SegmentDisclosedVendors, 3);
            WriteVendors(w, value.VendorsDisclosed);
            sb.Append('.').Append(w.ToBase64Url());
        }
        if (value.VendorsAllowed.Count > 0)
        {
            var w = new BitWriter();
            w.Write(SegmentAllowedVendors, 3);
            WriteVendors(w, value.VendorsAllowed);
            sb.Append('.').Append(w.ToBase64Url());
        }
        if (value.HasPublisherSegment)
        {
            var w = new BitWriter();
            w.Write(SegmentPublisherTc, 3);
            w.Flags(value.PublisherConsents, 24);
            w.Flags(value.PublisherLegitimateInterests, 24);
            w.Write(value.NumCustomPurposes, 6);
            w.Flags(value.PublisherCustomConsents, value.NumCustomPurposes);
            w.Flags(value.PublisherCustomLegitimateInterests, value.NumCustomPurposes);
            sb.Append('.').Append(w.ToBase64Url());
        }
        return sb.ToString();
    }

    private static List<int> ReadVendors(ref BitReader reader, string section)
    {
        var maxVendorId = reader.Int(16);
        var isRange = reader.Bool();
        if (!isRange)
        {
            return reader.Flags(maxVendorId);
        }
        var vendors = ReadRanges(ref reader, section);
        if (vendors.Count > 0 && vendors[^1] > maxVendorId)
        {
            throw new TcStringFormatException($"The {section} range exceeds the declared maximum vendor id.");
        }
        return vendors;
    }

    private static List<int> ReadRanges(ref BitReader reader, string section)
    {
        var entries = reader.Int(12);
        var ids = new SortedSet<int>();
        for (var i = 0; i < entries; i++)
        {
            var isRange = reader.Bool();
            var start = reader.Int(16);
            var end = isRange ? reader.Int(16) : start;
            if (start < 1 || end < start)
            {
                throw new TcStringFormatException($"The {section} contain an invalid range.");
            }
            for (var id = start; id <= end; id++)
            {
                ids.Add(id);
            }
        }
        return [.. ids];
    }

    private static List<TcfPublisherRestriction> ReadRestrictions(ref BitReader reader)
    {
        var count = reader.Int(12);
        var list = new List<TcfPublisherRestriction>(count);
        for (var i = 0; i < count; i++)
        {
            var purpose = reader.Int(6);
            var type = (TcfRestrictionType)reader.Int(2);
            list.Add(new TcfPublisherRestriction(purpose, type, ReadRanges(ref reader, "publisher restrictions")));
        }
        return list;
    }

    private static void WriteVendors(BitWriter writer, IReadOnlyList<int> vendors)
    {
        var max = vendors.Count == 0 ? 0 : vendors.Max();
        writer.Write(max, 16);
        var ranges = ToRanges(vendors);
        var rangeBits = 12 + ranges.Sum(r => r.Start == r.End ? 17 : 33);
        if (rangeBits < max)
        {
            writer.Write(1, 1);
            WriteRanges(writer, vendors);
        }
        else
        {
            writer.Write(0, 1);
            writer.Flags(vendors, max);
        }
    }

    private static void WriteRanges(BitWriter writer, IReadOnlyList<int> ids)
    {
        var ranges = ToRanges(ids);
        writer.Write(ranges.Count, 12);
        foreach (var (start, end) in ranges)
        {
            writer.Write(start == end ? 0 : 1, 1);
            writer.Write(start, 16);
            if (start != end)
            {
                writer.Write(end, 16);
            }
        }
    }

    private static List<(int Start, int End)> ToRanges(IReadOnlyList<int> ids)
    {
        var sorted = ids.Distinct().Order().ToList();
        var ranges = new List<(int, int)>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }
            ranges.Add((sorted[i], sorted[j]));
            i = j + 1;
        }
        return ranges;
    }

    private static DateTimeOffset FromDeciseconds(long deciseconds) => DateTimeOffset.UnixEpoch.AddMilliseconds(deciseconds * 100);

    private static long ToDeciseconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 100;

    private static byte[] FromBase64Url(string segment, string name)
    {
        if (segment.Length == 0)
        {
            throw new TcStringFormatException($"The {name} segment is empty.");
        }
        var bits = new byte[(segment.Length * 6 + 7) / 8];
        var bit = 0;
        foreach (var c in segment)
        {
            int v = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a' + 26,
                >= '0' and <= '9' => c - '0' + 52,
                '-' or '+' => 62,
                '_' or '/' => 63,
                _ => throw new TcStringFormatException($"The {name} segment contains a character outside base64url."),
            };
            for (var k = 5; k >= 0; k--, bit++)
            {
                if (((v >> k) & 1) != 0)
                {
                    bits[bit >> 3] |= (byte)(0x80 >> (bit & 7));
                }
            }
        }
        return bits;
    }

    private ref struct BitReader(byte[] data)
    {
        private readonly byte[] _data = data;
        private int _position;

        public long Long(int width)
        {
            if (_position + width > _data.Length * 8)
            {
                throw new TcStringFormatException("The TC string ends before all fields were read.");
            }
            long value = 0;
            for (var i = 0; i < width; i++, _position++)
            {
                value = (value << 1) | (uint)((_data[_position >> 3] >> (7 - (_position & 7))) & 1);
            }
            return value;
        }

        public int Int(int width) => (int)Long(width);

        public bool Bool() => Long(1) == 1;

        public string Letters()
        {
            var a = Int(6);
            var b = Int(6);
            if (a > 25 || b > 25)
            {
                throw new TcStringFormatException("A two-letter code is outside A-Z.");
            }
            return string.Concat((char)('A' + a), (char)('A' + b));
        }

        public List<int> Flags(int count)
        {
            var list = new List<int>();
            for (var i = 1; i <= count; i++)
            {
                if (Bool())
                {
                    list.Add(i);
                }
            }
            return list;
        }
    }

    private sealed class BitWriter
    {
        private readonly List<bool> _bits = [];

        public void Write(long value, int width)
        {
            if (value < 0 || (width < 63 && value >= 1L << width))
            {
                throw new TcStringFormatException($"A value does not fit in {width} bits.");
            }
            for (var i = width - 1; i >= 0; i--)
            {
                _bits.Add(((value >> i) & 1) == 1);
            }
        }

        public void Letters(string code)
        {
            if (code.Length != 2 || !char.IsAsciiLetterUpper(code[0]) || !char.IsAsciiLetterUpper(code[1]))
            {
                throw new TcStringFormatException("Two-letter codes are upper-case A-Z.");
            }
            Write(code[0] - 'A', 6);
            Write(code[1] - 'A', 6);
        }

        public void Flags(IReadOnlyList<int> ids, int count)
        {
            var set = ids.ToHashSet();
            if (set.Any(i => i < 1 || i > count))
            {
                throw new TcStringFormatException($"An id is outside 1..{count}.");
            }
            for (var i = 1; i <= count; i++)
            {
                _bits.Add(set.Contains(i));
            }
        }

        public string ToBase64Url()
        {
            const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            var sb = new StringBuilder((_bits.Count + 5) / 6);
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
}
