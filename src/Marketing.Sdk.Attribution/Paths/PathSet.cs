namespace Marketing.Sdk.Attribution;

/// <summary>
/// A compact, immutable set of aggregated customer journeys: each distinct path (a sequence of
/// channel touches, optionally with campaigns and touch ages) is stored once with the number of
/// journeys that converted on it, their total conversion value and the number that did not
/// convert. Steps are stored column-wise (channel indexes in one array, path offsets in another),
/// so models scan millions of paths without per-path allocations.
/// </summary>
/// <remarks>Build one with <see cref="PathSetBuilder"/>, <see cref="PathBuilder"/> or <see cref="PathSetReader"/>.</remarks>
public sealed class PathSet
{
    private readonly Channel[] _channels;
    private readonly string[] _campaigns;
    private readonly int[] _offsets;
    private readonly int[] _steps;
    private readonly int[]? _stepCampaigns;
    private readonly double[]? _stepAges;
    private readonly double[] _conversions;
    private readonly double[] _values;
    private readonly double[] _nulls;

    internal PathSet(Channel[] channels, string[] campaigns, int[] offsets, int[] steps, int[]? stepCampaigns,
        double[]? stepAges, double[] conversions, double[] values, double[] nulls)
    {
        _channels = channels;
        _campaigns = campaigns;
        _offsets = offsets;
        _steps = steps;
        _stepCampaigns = stepCampaigns;
        _stepAges = stepAges;
        _conversions = conversions;
        _values = values;
        _nulls = nulls;
        for (var i = 0; i < conversions.Length; i++)
        {
            TotalConversions += conversions[i];
            TotalValue += values[i];
            TotalNulls += nulls[i];
        }
    }

    /// <summary>The channels that occur in the paths; a step's channel index points into this list.</summary>
    public IReadOnlyList<Channel> Channels => _channels;

    /// <summary>The campaign ids that occur in the paths; a step's campaign index points into this list.</summary>
    public IReadOnlyList<string> Campaigns => _campaigns;

    /// <summary>Number of distinct paths stored.</summary>
    public int Count => _conversions.Length;

    /// <summary>Total number of touches over the distinct paths (each distinct path counted once).</summary>
    public int StepCount => _steps.Length;

    /// <summary>Whether steps carry campaign indexes.</summary>
    public bool HasCampaigns => _stepCampaigns is not null;

    /// <summary>Whether steps carry their age before the end of the journey (needed by time decay in time units).</summary>
    public bool HasTouchAges => _stepAges is not null;

    /// <summary>Sum of conversions over all paths.</summary>
    public double TotalConversions { get; }

    /// <summary>Sum of conversion value over all paths.</summary>
    public double TotalValue { get; }

    /// <summary>Sum of non-converting journeys over all paths.</summary>
    public double TotalNulls { get; }

    /// <summary>The channel indexes of path <paramref name="index"/>, in time order.</summary>
    /// <param name="index">Path position, 0 ≤ index &lt; <see cref="Count"/>.</param>
    public ReadOnlySpan<int> GetSteps(int index) => _steps.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    /// <summary>The campaign index of each step of path <paramref name="index"/> (−1 for none); empty when <see cref="HasCampaigns"/> is false.</summary>
    /// <param name="index">Path position.</param>
    public ReadOnlySpan<int> GetCampaigns(int index) =>
        _stepCampaigns is null ? default : _stepCampaigns.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    /// <summary>The age of each step of path <paramref name="index"/> before the journey's end, in hours; empty when <see cref="HasTouchAges"/> is false.</summary>
    /// <param name="index">Path position.</param>
    public ReadOnlySpan<double> GetTouchAges(int index) =>
        _stepAges is null ? default : _stepAges.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    /// <summary>Conversions on path <paramref name="index"/>.</summary>
    /// <param name="index">Path position.</param>
    public double GetConversions(int index) => _conversions[index];

    /// <summary>Conversion value on path <paramref name="index"/>.</summary>
    /// <param name="index">Path position.</param>
    public double GetValue(int index) => _values[index];

    /// <summary>Non-converting journeys on path <paramref name="index"/>.</summary>
    /// <param name="index">Path position.</param>
    public double GetNulls(int index) => _nulls[index];

    /// <summary>The path <paramref name="index"/> as readable text, channels joined by <c> &gt; </c>.</summary>
    /// <param name="index">Path position.</param>
    public string Describe(int index)
    {
        var steps = GetSteps(index);
        var names = new string[steps.Length];
        for (var i = 0; i < steps.Length; i++)
        {
            names[i] = _channels[steps[i]].Value;
        }
        return string.Join(" > ", names);
    }

    internal ReadOnlySpan<int> Offsets => _offsets;

    internal ReadOnlySpan<int> AllSteps => _steps;

    internal ReadOnlySpan<double> AllConversions => _conversions;

    internal ReadOnlySpan<double> AllValues => _values;

    internal ReadOnlySpan<double> AllNulls => _nulls;

    internal int IndexOf(Channel channel) => Array.IndexOf(_channels, channel);

    /// <inheritdoc />
    public override string ToString() =>
        $"PathSet {{ Paths = {Count}, Channels = {_channels.Length}, Conversions = {TotalConversions}, Nulls = {TotalNulls} }}";
}
