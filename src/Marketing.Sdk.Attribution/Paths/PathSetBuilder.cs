using System.Runtime.InteropServices;

namespace Marketing.Sdk.Attribution;

/// <summary>One touch of a journey: the channel, optionally the campaign and its age before the journey's end.</summary>
/// <param name="Channel">The channel of the touch.</param>
/// <param name="CampaignId">The campaign of the touch, if known.</param>
/// <param name="AgeHours">Hours between the touch and the conversion (or the end of a non-converting journey), if known.</param>
public readonly record struct Touch(Channel Channel, string? CampaignId = null, double? AgeHours = null);

/// <summary>
/// Accumulates journeys into a <see cref="PathSet"/>. Identical paths (same channels, campaigns
/// and ages) are stored once with their counts added up ("compact aggregation"). Not thread-safe.
/// </summary>
public sealed class PathSetBuilder
{
    private readonly List<Channel> _channels = [];
    private readonly Dictionary<Channel, int> _channelIndex = [];
    private readonly List<string> _campaigns = [];
    private readonly Dictionary<string, int> _campaignIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<int[], int> _paths = new(KeyComparer.Instance);
    private readonly List<int> _offsets = [0];
    private readonly List<int> _steps = [];
    private readonly List<int> _stepCampaigns = [];
    private readonly List<double> _stepAges = [];
    private readonly List<double> _conversions = [];
    private readonly List<double> _values = [];
    private readonly List<double> _nulls = [];
    private readonly List<int> _key = [];
    private bool _anyCampaign;
    private bool _allAges = true;

    /// <summary>Number of distinct paths so far.</summary>
    public int Count => _conversions.Count;

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
        _key.Clear();
        foreach (var c in channels)
        {
            _key.Add(AddChannel(c));
        }
        _allAges = false;
        Store(channels.Length, conversions, value, nulls, hasCampaigns: false, ages: default);
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
        _key.Clear();
        var hasCampaigns = false;
        var hasAges = true;
        for (var i = 0; i < touches.Count; i++)
        {
            _key.Add(AddChannel(touches[i].Channel));
            hasCampaigns |= touches[i].CampaignId is not null;
            hasAges &= touches[i].AgeHours is not null;
        }
        if (hasCampaigns)
        {
            _anyCampaign = true;
            for (var i = 0; i < touches.Count; i++)
            {
                _key.Add(touches[i].CampaignId is { } id ? CampaignIndex(id) : -1);
            }
        }
        double[]? ages = null;
        if (hasAges)
        {
            ages = new double[touches.Count];
            for (var i = 0; i < touches.Count; i++)
            {
                var age = touches[i].AgeHours!.Value;
                if (!double.IsFinite(age) || age < 0)
                {
                    throw new MarketingValidationException($"touches[{i}].ageHours", ValidationReason.OutOfRange, "Touch ages are finite and non-negative.");
                }
                ages[i] = age;
                var bits = BitConverter.DoubleToInt64Bits(age);
                _key.Add((int)bits);
                _key.Add((int)(bits >> 32));
            }
        }
        else
        {
            _allAges = false;
        }
        Store(touches.Count, conversions, value, nulls, hasCampaigns, ages);
        return this;
    }

    /// <summary>Builds the immutable set. The builder can keep being used afterwards.</summary>
    public PathSet Build()
    {
        var ages = _allAges && _conversions.Count > 0 ? _stepAges.ToArray() : null;
        return new PathSet(_channels.ToArray(), _campaigns.ToArray(), _offsets.ToArray(), _steps.ToArray(),
            _anyCampaign ? _stepCampaigns.ToArray() : null, ages, _conversions.ToArray(), _values.ToArray(), _nulls.ToArray());
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

    private void Store(int length, double conversions, double value, double nulls, bool hasCampaigns, double[]? ages)
    {
        // The key is: length, channel indexes, then a marker and campaign indexes, then age bits.
        _key.Insert(0, hasCampaigns ? -length : length);
        var keySpan = CollectionsMarshal.AsSpan(_key);
        var lookup = _paths.GetAlternateLookup<ReadOnlySpan<int>>();
        if (lookup.TryGetValue(keySpan, out var existing))
        {
            _conversions[existing] += conversions;
            _values[existing] += value;
            _nulls[existing] += nulls;
            return;
        }
        _paths.Add(keySpan.ToArray(), _conversions.Count);
        for (var i = 0; i < length; i++)
        {
            _steps.Add(keySpan[1 + i]);
            _stepCampaigns.Add(hasCampaigns ? keySpan[1 + length + i] : -1);
            _stepAges.Add(ages is null ? double.NaN : ages[i]);
        }
        _offsets.Add(_steps.Count);
        _conversions.Add(conversions);
        _values.Add(value);
        _nulls.Add(nulls);
    }

    private sealed class KeyComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<int> alternate) => Hash(alternate);

        public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<int> key)
        {
            var h = new HashCode();
            h.AddBytes(MemoryMarshal.AsBytes(key));
            return h.ToHashCode();
        }
    }
}
