using Marketing.Sdk.Attribution;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Attribution.Tests;

internal static class TestData
{
    private static PathSet? _pathData;

    public static PathSet PathData()
    {
        if (_pathData is null)
        {
            using var reader = new StreamReader(ReferenceFiles.Get("channelattribution", "PathData.csv"));
            _pathData = PathSetReader.ReadAsync(reader).GetAwaiter().GetResult();
        }
        return _pathData;
    }

    /// <summary>Random journeys over <paramref name="channels"/> channels.</summary>
    public static PathSet Random(int seed, int channels, int paths, int maxLength = 5, bool withNulls = true)
    {
        var random = new Random(seed);
        var builder = new PathSetBuilder();
        var names = Enumerable.Range(0, channels).Select(i => new Channel("ch" + i)).ToArray();
        foreach (var n in names)
        {
            builder.AddChannel(n);
        }
        for (var p = 0; p < paths; p++)
        {
            var len = random.Next(1, maxLength + 1);
            var path = new Channel[len];
            for (var i = 0; i < len; i++)
            {
                path[i] = names[random.Next(channels)];
            }
            var conv = random.Next(0, 4);
            var nulls = withNulls ? random.Next(0, 4) : 0;
            if (conv + nulls == 0)
            {
                conv = 1;
            }
            builder.Add(path, conv, conv * Math.Round(random.NextDouble() * 100, 2), nulls);
        }
        return builder.Build();
    }

    public static void AssertSums(AttributionResult r, double tolerance = 1e-7)
    {
        var conv = r.Channels.Sum(c => c.Conversions);
        var value = r.Channels.Sum(c => c.Value);
        Assert.True(Math.Abs(conv - r.TotalConversions) <= tolerance * Math.Max(1, r.TotalConversions), $"{r.Model}: conversions {conv} vs {r.TotalConversions}");
        Assert.True(Math.Abs(value - r.TotalValue) <= tolerance * Math.Max(1, r.TotalValue), $"{r.Model}: value {value} vs {r.TotalValue}");
    }
}
