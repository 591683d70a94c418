using System.Numerics;
using System.Runtime.InteropServices;

namespace Marketing.Sdk.Attribution;

/// <summary>One touch of a journey: the channel, optionally the campaign and its age before the journey's end.</summary>
/// <param name="Channel">The channel of the touch.</param>
/// <param name="CampaignId">The campaign of the touch, if known.</param>
/// <param name="AgeHours">Hours between the touch and the conversion (or the end of a non-converting journey), if known.</param>
public readonly record struct Touch(Channel Channel, string? CampaignId = null, double? AgeHours = null);

/// <summary>
/// Accumulates journeys into a <see cref="PathSet"/>. Identical paths (same channels, campaigns
/// and ages) are stored once with their counts added up ("compact aggregation"). Paths are hashed
/// as spans of channel indexes into an open-addressing table over the stored steps, so adding a
/// journey allocates nothing per path; <see cref="Add(ReadOnlySpan{int}, double, double, double)"/>
/// also skips the channel lookup, for bulk ingestion of millions of journeys. Not thread-safe.
/// </summary>
public sealed class PathSetBuilder
{
    private const byte CampaignFlag = 1;
    private const byte AgeFlag = 2;

    private readonly List<Channel> _channels = [];
    private readonly Dictionary<Channel, int> _channelIndex = [];
    private readonly List<string> _campaigns = [];
    private readonly Dictionary<string, int> _campaignIndex = new(StringComparer.Ordinal);
    private readonly List<int> _offsets = [0];
    private readonly List<int> _steps = [];

    // Created when the first path with campaigns (ages) arrives; earlier steps are back-filled with −1 (NaN).
    private List<int>? _stepCampaigns;
    private List<double>? _stepAges;

    // Conversions, value and non-conversions of each distinct path, side by side so merging touches one cache line.
    private Totals[] _totals = new Totals[16];
    private int _count;

    // Running totals over every path added, kept finite (see Store).
    private double _totalConversions;
    private double _totalValue;
    private double _totalNulls;

    // Open addressing with linear probing. A plain path of up to 7 touches on channels 0–255 is packed
    // into Slot.Key and compared in the table itself; any other path has Key 0 and is compared
    // against its stored steps. Slot.Tag is the hash with the path's flags in the two low bits.
    private Slot[] _table = new Slot[16];
    private int[] _scratchSteps = new int[16];
    private int[] _scratchCampaigns = new int[16];
    private double[] _scratchAges = new double[16];
    private bool _allAges = true;

    /// <summary>Number of distinct paths so far.</summary>
    public int Count => _count;

    /// <summary>Number of channels declared or seen so far; valid channel indexes are 0 to <c>ChannelCount − 1</c>.</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>Declares a channel up front (so it is part of the set even with no touches) and returns its index.</summary>
    /// <param name="channel">The channel.</param>
    public int AddChannel(Channel channel)
    {
        if (channel.Value is null)
        {
            throw new MarketingValidationException("channel", ValidationReason.Missing, "A channel is required.");
        }
        if (!_channelIndex.TryGetValue(channel, out var index))
        {
            index = _channels.Count;
            _channels.Add(channel);
            _channelIndex.Add(channel, index);
        }
        return index;
    }

    /// <summary>Adds a journey given by its channels.</summary>
    /// <param name="channels">The channels touched, in time order (at least one).</param>
    /// <param name="conversions">Conversions on this path (≥ 0).</param>
    /// <param name="value">Total conversion value (≥ 0).</param>
    /// <param name="nulls">Journeys on this path that did not convert (≥ 0).</param>
    public PathSetBuilder Add(ReadOnlySpan<Channel> channels, double conversions, double value = 0, double nulls = 0)
    {
        Validate(channels.Length, conversions, value, nulls);
        var steps = Scratch(ref _scratchSteps, channels.Length);
        for (var i = 0; i < channels.Length; i++)
        {
            steps[i] = AddChannel(channels[i]);
        }
        Store(steps, default, default, conversions, value, nulls);
        return this;
    }

    /// <summary>
    /// Adds a journey given by channel indexes, as returned by <see cref="AddChannel"/> (the fast
    /// path for bulk ingestion: declare the channels once, then add millions of journeys without a
    /// channel lookup or an allocation per journey).
    /// </summary>
    /// <param name="channelIndexes">The channel index of each touch, in time order (at least one; each 0 ≤ index &lt; <see cref="ChannelCount"/>).</param>
    /// <param name="conversions">Conversions on this path (≥ 0).</param>
    /// <param name="value">Total conversion value (≥ 0).</param>
    /// <param name="nulls">Journeys on this path that did not convert (≥ 0).</param>
    /// <exception cref="MarketingValidationException">An index is not a declared channel, or a count is negative.</exception>
    public PathSetBuilder Add(ReadOnlySpan<int> channelIndexes, double conversions, double value = 0, double nulls = 0)
    {
        Validate(channelIndexes.Length, conversions, value, nulls);
        var channelCount = (uint)_channels.Count;
        for (var i = 0; i < channelIndexes.Length; i++)
        {
            if ((uint)channelIndexes[i] >= channelCount)
            {
                throw new MarketingValidationException($"channelIndexes[{i}]", ValidationReason.OutOfRange, "A channel index refers to a channel declared with AddChannel.");
            }
        }
        Store(channelIndexes, default, default, conversions, value, nulls);
        return this;
    }

    /// <summary>Adds a journey given by its touches (channel, optional campaign, optional age).</summary>
    /// <param name="touches">The touches, in time order (at least one).</param>
    /// <param name="conversions">Conversions on this path (≥ 0).</param>
    /// <param name="value">Total conversion value (≥ 0).</param>
    /// <param name="nulls">Journeys on this path that did not convert (≥ 0).</param>
    public PathSetBuilder Add(IReadOnlyList<Touch> touches, double conversions, double value = 0, double nulls = 0)
    {
        ArgumentNullException.ThrowIfNull(touches);
        Validate(touches.Count, conversions, value, nulls);
        var n = touches.Count;
        var steps = Scratch(ref _scratchSteps, n);
        var hasCampaigns = false;
        var hasAges = true;
        for (var i = 0; i < n; i++)
        {
            steps[i] = AddChannel(touches[i].Channel);
            hasCampaigns |= touches[i].CampaignId is not null;
            hasAges &= touches[i].AgeHours is not null;
        }
        Span<int> campaigns = default;
        if (hasCampaigns)
        {
            campaigns = Scratch(ref _scratchCampaigns, n);
            for (var i = 0; i < n; i++)
            {
                campaigns[i] = touches[i].CampaignId is { } id ? CampaignIndex(id) : -1;
            }
        }
        Span<double> ages = default;
        if (hasAges)
        {
            ages = Scratch(ref _scratchAges, n);
            for (var i = 0; i < n; i++)
            {
                var age = touches[i].AgeHours!.Value;
                if (!double.IsFinite(age) || age < 0)
                {
                    throw new MarketingValidationException($"touches[{i}].ageHours", ValidationReason.OutOfRange, "Touch ages are finite and non-negative.");
                }
                ages[i] = age;
            }
        }
        Store(steps, campaigns, ages, conversions, value, nulls);
        return this;
    }

    /// <summary>Builds the immutable set. The builder can keep being used afterwards.</summary>
    public PathSet Build()
    {
        var ages = _allAges && _count > 0 ? _stepAges!.ToArray() : null;
        var conversions = new double[_count];
        var values = new double[_count];
        var nulls = new double[_count];
        for (var p = 0; p < _count; p++)
        {
            conversions[p] = _totals[p].Conversions;
            values[p] = _totals[p].Value;
            nulls[p] = _totals[p].Nulls;
        }
        return new PathSet(_channels.ToArray(), _campaigns.ToArray(), _offsets.ToArray(), _steps.ToArray(),
            _stepCampaigns?.ToArray(), ages, conversions, values, nulls);
    }

    private static Span<T> Scratch<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        }
        return buffer.AsSpan(0, length);
    }

    private int CampaignIndex(string id)
    {
        if (!_campaignIndex.TryGetValue(id, out var index))
        {
            index = _campaigns.Count;
            _campaigns.Add(id);
            _campaignIndex.Add(id, index);
        }
        return index;
    }

    private static void Validate(int length, double conversions, double value, double nulls)
    {
        if (length == 0)
        {
            throw new MarketingValidationException("path", ValidationReason.Missing, "A path has at least one touch.");
        }
        if (!(conversions >= 0) || !double.IsFinite(conversions))
        {
            throw new MarketingValidationException("conversions", ValidationReason.Negative, "Conversions are finite and non-negative.");
        }
        if (!(value >= 0) || !double.IsFinite(value))
        {
            throw new MarketingValidationException("value", ValidationReason.Negative, "Conversion value is finite and non-negative.");
        }
        if (!(nulls >= 0) || !double.IsFinite(nulls))
        {
            throw new MarketingValidationException("nulls", ValidationReason.Negative, "Non-conversions are finite and non-negative.");
        }
    }

    /// <summary>Adds the counts to the stored path equal to this one, or stores it as a new distinct path.</summary>
    /// <param name="steps">Channel indexes.</param>
    /// <param name="campaigns">Campaign index per step (−1 for none), or empty when the path has no campaigns.</param>
    /// <param name="ages">Age per step, or empty when the path has no ages.</param>
    /// <param name="conversions">Conversions to add.</param>
    /// <param name="value">Conversion value to add.</param>
    /// <param name="nulls">Non-conversions to add.</param>
    private void Store(ReadOnlySpan<int> steps, ReadOnlySpan<int> campaigns, ReadOnlySpan<double> ages,
        double conversions, double value, double nulls)
    {
        // Every per-path sum is bounded by the set's total, so a finite total keeps every stored
        // number finite (two paths of 1e308 conversions would otherwise add up to infinity).
        var totalConversions = _totalConversions + conversions;
        var totalValue = _totalValue + value;
        var totalNulls = _totalNulls + nulls;
        if (!double.IsFinite(totalConversions))
        {
            throw new MarketingValidationException("conversions", ValidationReason.OutOfRange, "The conversions of the path set add up to more than the largest finite number.");
        }
        if (!double.IsFinite(totalValue))
        {
            throw new MarketingValidationException("value", ValidationReason.OutOfRange, "The conversion value of the path set adds up to more than the largest finite number.");
        }
        if (!double.IsFinite(totalNulls))
        {
            throw new MarketingValidationException("nulls", ValidationReason.OutOfRange, "The non-conversions of the path set add up to more than the largest finite number.");
        }
        _totalConversions = totalConversions;
        _totalValue = totalValue;
        _totalNulls = totalNulls;
        var flags = (campaigns.IsEmpty ? 0 : CampaignFlag) | (ages.IsEmpty ? 0 : AgeFlag);
        var packed = flags == 0 ? Pack(steps) : 0;
        var hash = packed != 0 ? Mix(packed) : Hash(steps, campaigns, ages, (byte)flags);
        var tag = (int)(((uint)hash & ~3u) | (uint)flags);
        var table = _table;
        var mask = table.Length - 1;
        var slot = (int)((uint)tag >> 2) & mask;
        while (table[slot].Index != 0)
        {
            ref var entry = ref table[slot];
            if (packed != 0 ? entry.Key == packed : entry.Key == 0 && entry.Tag == tag && SamePath(entry.Index - 1, steps, campaigns, ages))
            {
                ref var totals = ref _totals[entry.Index - 1];
                totals.Conversions += conversions;
                totals.Value += value;
                totals.Nulls += nulls;
                return;
            }
            slot = (slot + 1) & mask;
        }

        var index = _count;
        var before = _steps.Count;
        _steps.AddRange(steps);
        if (!campaigns.IsEmpty && _stepCampaigns is null)
        {
            _stepCampaigns = new List<int>(Math.Max(16, before * 2));
            CollectionsMarshal.SetCount(_stepCampaigns, before);
            CollectionsMarshal.AsSpan(_stepCampaigns).Fill(-1);
        }
        if (_stepCampaigns is not null)
        {
            if (campaigns.IsEmpty)
            {
                CollectionsMarshal.SetCount(_stepCampaigns, _steps.Count);
                CollectionsMarshal.AsSpan(_stepCampaigns)[before..].Fill(-1);
            }
            else
            {
                _stepCampaigns.AddRange(campaigns);
            }
        }
        if (ages.IsEmpty)
        {
            _allAges = false;
        }
        if (!ages.IsEmpty && _stepAges is null)
        {
            _stepAges = new List<double>(Math.Max(16, before * 2));
            CollectionsMarshal.SetCount(_stepAges, before);
            CollectionsMarshal.AsSpan(_stepAges).Fill(double.NaN);
        }
        if (_stepAges is not null)
        {
            if (ages.IsEmpty)
            {
                CollectionsMarshal.SetCount(_stepAges, _steps.Count);
                CollectionsMarshal.AsSpan(_stepAges)[before..].Fill(double.NaN);
            }
            else
            {
                _stepAges.AddRange(ages);
            }
        }
        _offsets.Add(_steps.Count);
        if (index == _totals.Length)
        {
            Array.Resize(ref _totals, index * 2);
        }
        _totals[index] = new Totals { Conversions = conversions, Value = value, Nulls = nulls };
        _count = index + 1;
        table[slot] = new Slot { Key = packed, Tag = tag, Index = index + 1 };
        // Keep the load factor at or below 0.7 so probe runs stay short.
        if ((long)_count * 10 > (long)table.Length * 7)
        {
            Grow();
        }
    }

    private bool SamePath(int p, ReadOnlySpan<int> steps, ReadOnlySpan<int> campaigns, ReadOnlySpan<double> ages)
    {
        var offsets = CollectionsMarshal.AsSpan(_offsets);
        var start = offsets[p];
        var length = offsets[p + 1] - start;
        return length == steps.Length && CollectionsMarshal.AsSpan(_steps).Slice(start, length).SequenceEqual(steps)
            && (campaigns.IsEmpty || CollectionsMarshal.AsSpan(_stepCampaigns).Slice(start, length).SequenceEqual(campaigns))
            && (ages.IsEmpty || SameBits(CollectionsMarshal.AsSpan(_stepAges).Slice(start, length), ages));
    }

    private void Grow()
    {
        if (_table.Length >= 1 << 30)
        {
            throw new AttributionException("Too many distinct paths for one path set.");
        }
        var table = new Slot[_table.Length * 2];
        var mask = table.Length - 1;
        foreach (var entry in _table)
        {
            if (entry.Index == 0)
            {
                continue;
            }
            var slot = (int)((uint)entry.Tag >> 2) & mask;
            while (table[slot].Index != 0)
            {
                slot = (slot + 1) & mask;
            }
            table[slot] = entry;
        }
        _table = table;
    }

    /// <summary>A path of 1–7 touches on channels 0–255 as length + one byte per touch; 0 when it does not fit.</summary>
    internal static ulong Pack(ReadOnlySpan<int> steps)
    {
        if (steps.Length > 7)
        {
            return 0;
        }
        var key = (ulong)steps.Length;
        for (var i = 0; i < steps.Length; i++)
        {
            if ((uint)steps[i] > 255)
            {
                return 0;
            }
            key |= (ulong)(uint)steps[i] << (8 * (i + 1));
        }
        return key;
    }

    private static ulong Mix(ulong key)
    {
        key ^= key >> 33;
        key *= 0xFF51AFD7ED558CCDUL;
        key ^= key >> 33;
        key *= 0xC4CEB9FE1A85EC53UL;
        key ^= key >> 33;
        return key;
    }

    private static bool SameBits(ReadOnlySpan<double> a, ReadOnlySpan<double> b) =>
        MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));

    /// <summary>A fast non-cryptographic hash of the path (multiply–rotate per step, then a 64-bit finaliser).</summary>
    internal static ulong Hash(ReadOnlySpan<int> steps, ReadOnlySpan<int> campaigns, ReadOnlySpan<double> ages, byte flags)
    {
        const ulong K = 0x9E3779B97F4A7C15UL;
        var h = ((ulong)steps.Length << 8 | flags) * K;
        foreach (var s in steps)
        {
            h = BitOperations.RotateLeft((h ^ (uint)s) * K, 31);
        }
        foreach (var c in campaigns)
        {
            h = BitOperations.RotateLeft((h ^ (uint)c) * K, 31);
        }
        foreach (var a in ages)
        {
            h = BitOperations.RotateLeft((h ^ (ulong)BitConverter.DoubleToInt64Bits(a)) * K, 31);
        }
        return Mix(h);
    }

    private struct Slot
    {
        public ulong Key;
        public int Tag;
        public int Index;
    }

    private struct Totals
    {
        public double Conversions;
        public double Value;
        public double Nulls;
    }
}
