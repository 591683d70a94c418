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
    /// <summary>Reserved by the specification: a TC string carrying it is rejected, and it cannot be encoded.</summary>
    Undefined = 3,
}

/// <summary>One publisher restriction: a purpose, a restriction type and the vendors it applies to.</summary>
/// <param name="PurposeId">The purpose (1–24).</param>
/// <param name="RestrictionType">The restriction.</param>
/// <param name="Vendors">The vendor ids, ascending.</param>
public sealed record TcfPublisherRestriction(int PurposeId, TcfRestrictionType RestrictionType, IReadOnlyList<int> Vendors)
{
    /// <summary>The vendor ids, ascending (kept as ranges; compared by value).</summary>
    public IReadOnlyList<int> Vendors { get; init => field = TcfIdSet.From(value); } = TcfIdSet.From(Vendors);
}

/// <summary>
/// A decoded IAB TCF v2 (v2.2) transparency and consent string: the core segment and the optional
/// disclosed-vendors, allowed-vendors and publisher-purposes segments. Property names follow the
/// official <c>@iabtcf/core</c> model. Id sets are ascending lists of distinct ids, kept as ranges (a range
/// of 65 535 vendors costs what one id does). Two values are equal when every field is: id sets and
/// restrictions compare by content, so two decodes of one string are equal and hash alike.
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
    public IReadOnlyList<int> SpecialFeatureOptins { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Purposes consented (1–24).</summary>
    public IReadOnlyList<int> PurposeConsents { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Purposes whose legitimate interest was disclosed and not objected to (1–24).</summary>
    public IReadOnlyList<int> PurposeLegitimateInterests { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Vendors with consent.</summary>
    public IReadOnlyList<int> VendorConsents { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Vendors whose legitimate interest was established.</summary>
    public IReadOnlyList<int> VendorLegitimateInterests { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Publisher restrictions, in the string's order (compared by value, element by element).</summary>
    public IReadOnlyList<TcfPublisherRestriction> PublisherRestrictions { get; init => field = TcfValueList<TcfPublisherRestriction>.From(value); } = TcfValueList<TcfPublisherRestriction>.Empty;
    /// <summary>Vendors disclosed to the user (disclosed-vendors segment; empty when absent).</summary>
    public IReadOnlyList<int> VendorsDisclosed { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Vendors the publisher allows (allowed-vendors segment, TCF v2.0/2.1 only; empty when absent).</summary>
    public IReadOnlyList<int> VendorsAllowed { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Whether the string carries a publisher-purposes segment.</summary>
    public bool HasPublisherSegment { get; init; }
    /// <summary>Purposes the publisher has consent for (publisher segment).</summary>
    public IReadOnlyList<int> PublisherConsents { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Purposes the publisher relies on legitimate interest for (publisher segment).</summary>
    public IReadOnlyList<int> PublisherLegitimateInterests { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Number of publisher custom purposes.</summary>
    public int NumCustomPurposes { get; init; }
    /// <summary>Custom purposes consented.</summary>
    public IReadOnlyList<int> PublisherCustomConsents { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;
    /// <summary>Custom purposes under legitimate interest.</summary>
    public IReadOnlyList<int> PublisherCustomLegitimateInterests { get; init => field = TcfIdSet.From(value); } = TcfIdSet.Empty;

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
        if (sorted is TcfIdSet set)
        {
            return set.Contains(id);
        }
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

    /// <summary>Highest purpose id of the TCF v2 model (purpose fields are 24-bit fields).</summary>
    private const int MaxPurposeId = 24;

    /// <summary>
    /// Decodes and validates a TC string. Time and memory are linear in the string's length: range entries stay
    /// ranges (a range of 65 535 vendors costs what one id does), whatever the ranges cover.
    /// </summary>
    /// <param name="tcString">The TC string.</param>
    /// <exception cref="TcStringFormatException">The string is malformed or invalid; <see cref="TcStringFormatException.Field"/> names the field.</exception>
    public static TcString Decode(string tcString)
    {
        if (string.IsNullOrWhiteSpace(tcString))
        {
            throw new TcStringFormatException("tcString", "the string is empty.");
        }
        var segments = tcString.Trim().Split('.');
        var core = new BitReader(FromBase64Url(segments[0], "core"), "version");
        var version = core.Int(6);
        if (version != 2)
        {
            throw new TcStringFormatException("version", "only version 2 is supported.");
        }
        var result = new TcString
        {
            Version = version,
            Created = FromDeciseconds(core.At("created").Long(36)),
            LastUpdated = FromDeciseconds(core.At("lastUpdated").Long(36)),
            CmpId = core.At("cmpId").Int(12),
            CmpVersion = core.At("cmpVersion").Int(12),
            ConsentScreen = core.At("consentScreen").Int(6),
            ConsentLanguage = core.At("consentLanguage").Letters(),
            VendorListVersion = core.At("vendorListVersion").Int(12),
            PolicyVersion = core.At("policyVersion").Int(6),
            IsServiceSpecific = core.At("isServiceSpecific").Bool(),
            UseNonStandardTexts = core.At("useNonStandardTexts").Bool(),
            SpecialFeatureOptins = core.At("specialFeatureOptins").Flags(12),
            PurposeConsents = core.At("purposeConsents").Flags(MaxPurposeId),
            PurposeLegitimateInterests = core.At("purposeLegitimateInterests").Flags(MaxPurposeId),
            PurposeOneTreatment = core.At("purposeOneTreatment").Bool(),
            PublisherCountryCode = core.At("publisherCountryCode").Letters(),
            VendorConsents = ReadVendors(ref core, "vendorConsents"),
            VendorLegitimateInterests = ReadVendors(ref core, "vendorLegitimateInterests"),
            PublisherRestrictions = ReadRestrictions(ref core),
        };
        var seen = 0;
        for (var i = 1; i < segments.Length; i++)
        {
            var reader = new BitReader(FromBase64Url(segments[i], "segmentType"), "segmentType");
            var type = reader.Int(3);
            if ((seen & (1 << type)) != 0)
            {
                throw new TcStringFormatException("segmentType", "a segment type appears twice.");
            }
            seen |= 1 << type;
            switch (type)
            {
                case SegmentDisclosedVendors:
                    result = result with { VendorsDisclosed = ReadVendors(ref reader, "vendorsDisclosed") };
                    break;
                case SegmentAllowedVendors:
                    result = result with { VendorsAllowed = ReadVendors(ref reader, "vendorsAllowed") };
                    break;
                case SegmentPublisherTc:
                    var consents = reader.At("publisherConsents").Flags(MaxPurposeId);
                    var interests = reader.At("publisherLegitimateInterests").Flags(MaxPurposeId);
                    var custom = reader.At("numCustomPurposes").Int(6);
                    result = result with
                    {
                        HasPublisherSegment = true,
                        PublisherConsents = consents,
                        PublisherLegitimateInterests = interests,
                        NumCustomPurposes = custom,
                        PublisherCustomConsents = reader.At("publisherCustomConsents").Flags(custom),
                        PublisherCustomLegitimateInterests = reader.At("publisherCustomLegitimateInterests").Flags(custom),
                    };
                    break;
                default:
                    throw new TcStringFormatException("segmentType", "the segment type is not one of the specification's (1 disclosed vendors, 2 allowed vendors, 3 publisher TC).");
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
            if (r.PurposeId is < 1 or > MaxPurposeId)
            {
                throw new TcStringFormatException("publisherRestrictions.purposeId", $"a purpose id is outside 1-{MaxPurposeId}.");
            }
            if (r.RestrictionType is < TcfRestrictionType.NotAllowed or > TcfRestrictionType.RequireLegitimateInterest)
            {
                throw new TcStringFormatException("publisherRestrictions.restrictionType", "restriction type 3 is reserved by the specification.");
            }
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

    /// <summary>A vendor section: maximum vendor id, encoding type, then a bit field or range entries.</summary>
    private static TcfIdSet ReadVendors(ref BitReader reader, string field)
    {
        var maxVendorId = reader.At(field).Int(16);
        var isRange = reader.Bool();
        if (!isRange)
        {
            return reader.Flags(maxVendorId);
        }
        var vendors = ReadRanges(ref reader, field);
        if (vendors.RangeCount > 0 && vendors[^1] > maxVendorId)
        {
            throw new TcStringFormatException(field, "a range entry exceeds the declared maximum vendor id.");
        }
        return vendors;
    }

    /// <summary>
    /// Range entries (12-bit count, then single ids or inclusive start-end pairs of 16-bit vendor ids), kept as
    /// ranges: memory and time grow with the number of entries read from the string, not with the ids covered.
    /// </summary>
    private static TcfIdSet ReadRanges(ref BitReader reader, string field)
    {
        var entries = reader.At(field).Int(12);
        var ranges = new List<(int, int)>(Math.Min(entries, reader.RemainingBits / 17 + 1));
        for (var i = 0; i < entries; i++)
        {
            var isRange = reader.Bool();
            var start = reader.Int(16);
            var end = isRange ? reader.Int(16) : start;
            if (start < 1)
            {
                throw new TcStringFormatException(field, "a vendor id of a range entry is 0; vendor ids start at 1.");
            }
            if (end < start)
            {
                throw new TcStringFormatException(field, "a range entry ends before it starts.");
            }
            ranges.Add((start, end));
        }
        return TcfIdSet.FromRanges(ranges);
    }

    private static TcfValueList<TcfPublisherRestriction> ReadRestrictions(ref BitReader reader)
    {
        var count = reader.At("numPubRestrictions").Int(12);
        // Each restriction takes at least 20 bits: never reserve more than the string can hold.
        var list = new List<TcfPublisherRestriction>(Math.Min(count, reader.RemainingBits / 20 + 1));
        for (var i = 0; i < count; i++)
        {
            var purpose = reader.At("publisherRestrictions.purposeId").Int(6);
            if (purpose is < 1 or > MaxPurposeId)
            {
                throw new TcStringFormatException("publisherRestrictions.purposeId", $"a purpose id is outside 1-{MaxPurposeId}.");
            }
            var type = reader.At("publisherRestrictions.restrictionType").Int(2);
            if (type > (int)TcfRestrictionType.RequireLegitimateInterest)
            {
                throw new TcStringFormatException("publisherRestrictions.restrictionType", "restriction type 3 is reserved by the specification.");
            }
            list.Add(new TcfPublisherRestriction(purpose, (TcfRestrictionType)type, ReadRanges(ref reader, "publisherRestrictions.vendors")));
        }
        return new TcfValueList<TcfPublisherRestriction>([.. list]);
    }

    private static void WriteVendors(BitWriter writer, IReadOnlyList<int> vendors)
    {
        var max = vendors.Count == 0 ? 0 : TcfIdSet.From(vendors)[^1];
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

    private static List<(int Start, int End)> ToRanges(IReadOnlyList<int> ids) => [.. TcfIdSet.From(ids).Ranges];

    private static DateTimeOffset FromDeciseconds(long deciseconds) => DateTimeOffset.UnixEpoch.AddMilliseconds(deciseconds * 100);

    private static long ToDeciseconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 100;

    private static byte[] FromBase64Url(string segment, string name)
    {
        if (segment.Length == 0)
        {
            throw new TcStringFormatException(name, "the segment is empty.");
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
                _ => throw new TcStringFormatException(name, "the segment contains a character outside base64url."),
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

    private ref struct BitReader(byte[] data, string field)
    {
        private readonly byte[] _data = data;
        private int _position;

        /// <summary>The field being read, named in the error when the data ends early.</summary>
        private string _field = field;

        public readonly int RemainingBits => _data.Length * 8 - _position;

        /// <summary>Names the field read next; returns this reader.</summary>
        [System.Diagnostics.CodeAnalysis.UnscopedRef]
        public ref BitReader At(string name)
        {
            _field = name;
            return ref this;
        }

        public long Long(int width)
        {
            if (_position + width > _data.Length * 8)
            {
                throw new TcStringFormatException(_field, "the string ends before the field was read.");
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
                throw new TcStringFormatException(_field, "a two-letter code is outside A-Z.");
            }
            return string.Concat((char)('A' + a), (char)('A' + b));
        }

        /// <summary>A bit field of <paramref name="count"/> bits for ids 1..count, as ranges of consecutive set bits.</summary>
        public TcfIdSet Flags(int count)
        {
            if (_position + count > _data.Length * 8)
            {
                throw new TcStringFormatException(_field, "the string ends before the field was read.");
            }
            List<(int, int)>? ranges = null;
            var start = 0;
            for (var id = 1; id <= count; id++)
            {
                if (Bool())
                {
                    if (start == 0)
                    {
                        start = id;
                    }
                }
                else if (start != 0)
                {
                    (ranges ??= []).Add((start, id - 1));
                    start = 0;
                }
            }
            if (start != 0)
            {
                (ranges ??= []).Add((start, count));
            }
            return ranges is null ? TcfIdSet.Empty : TcfIdSet.FromRanges(ranges);
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
