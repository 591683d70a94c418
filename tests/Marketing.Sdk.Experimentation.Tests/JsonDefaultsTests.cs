namespace Marketing.Sdk.Experimentation.Tests;

public class JsonDefaultsTests
{
    [Fact]
    public void Omitted_properties_keep_their_documented_defaults()
    {
        var catalog = ExperimentCatalog.FromJson("""{ "experiments": [ { "key": "a", "variants": [ { "key": "x" }, { "key": "y" } ] } ] }""");
        var e = Assert.Single(catalog.Experiments);
        Assert.Equal((1.0, true, 1.0), (e.TrafficAllocation, e.Active, e.Variants[0].Weight));
        Assert.Empty(e.ForcedAssignments);
        Assert.Empty(catalog.Holdouts);
        Assert.Equal("x", e.Control);
    }
}
