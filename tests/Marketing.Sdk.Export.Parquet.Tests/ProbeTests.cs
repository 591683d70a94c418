using Xunit.Abstractions;

namespace Marketing.Sdk.Export.Parquet.Tests;

public sealed class ProbeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Probe()
    {
        await using var host = await ExportHarness.CreateAsync("sqlite");
        await host.Segments.DefineAsync(Segmentation.SegmentDefinition.Parse("buyers", "exists(purchase)"));
        await ShopData.TrackAsync(host, 0, 5, 8, 1);
        await host.Segments.EvaluateAsync("buyers");
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var result = await host.Exporter.ExportAsync();
        foreach (var f in result.Written) { output.WriteLine($"{f.Path} {f.Rows}"); }
        foreach (var kind in new[] { "events", "profiles", "identities", "attribution_paths", "segment_memberships" })
        {
            output.WriteLine("## " + kind);
            foreach (var r in host.Query($"DESCRIBE SELECT * FROM {{{kind}}}")) { output.WriteLine(string.Join(" | ", r)); }
            var file = host.Files(kind).First();
            foreach (var r in host.Query($"SELECT name, type, converted_type, logical_type, repetition_type FROM parquet_schema('{host.Directory}/{file}')")) { output.WriteLine(string.Join(" | ", r)); }
        }
    }
}
