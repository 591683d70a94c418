using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Experimentation.Hashing;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

public class AssignmentTests
{
    private static readonly ExperimentDefinition Subject = new()
    {
        Key = "welcome_email_subject",
        Variants = [new() { Key = "control", Weight = 50 }, new() { Key = "emoji", Weight = 30 }, new() { Key = "question", Weight = 20 }],
    };

    [Theory]
    // Published MurmurHash3_x86_32 test vectors (SMHasher; as collected in the widely used vector list).
    [InlineData("", 0u, 0u)]
    [InlineData("", 1u, 0x514E28B7u)]
    [InlineData("", 0xFFFFFFFFu, 0x81F16F39u)]
    [InlineData("a", 0x9747B28Cu, 0x7FA09EA6u)]
    [InlineData("aa", 0x9747B28Cu, 0x5D211726u)]
    [InlineData("aaa", 0x9747B28Cu, 0x283E0130u)]
    [InlineData("aaaa", 0x9747B28Cu, 0x5A97808Au)]
    [InlineData("abc", 0x9747B28Cu, 0xC84A62DDu)]
    [InlineData("abcd", 0x9747B28Cu, 0xF0478627u)]
    [InlineData("Hello, world!", 0x9747B28Cu, 0x24884CBAu)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x9747B28Cu, 0x2FA826CDu)]
    // The mmh3 Python package's README: mmh3.hash("foo") == -156908512.
    [InlineData("foo", 0u, 4138058784u)]
    public void MurmurHash3_matches_published_vectors(string text, uint seed, uint expected) =>
        Assert.Equal(expected, MurmurHash3.Hash32(Encoding.UTF8.GetBytes(text), seed));

    [Fact]
    public void MurmurHash3_matches_binary_vectors()
    {
        Assert.Equal(0x2362F9DEu, MurmurHash3.Hash32([0, 0, 0, 0], 0));
        Assert.Equal(0x76293B50u, MurmurHash3.Hash32([0xFF, 0xFF, 0xFF, 0xFF], 0));
        Assert.Equal(0xF55B516Bu, MurmurHash3.Hash32([0x21, 0x43, 0x65, 0x87], 0));
    }

    [Theory]
    // From Reference/murmur_golden.py (an independent Python implementation of the same rule).
    [InlineData("user-1", "emoji", 0.7951373970136046)]
    [InlineData("user-2", "control", 0.4387743689585477)]
    [InlineData("user-3", "control", 0.19544800906442106)]
    [InlineData("member:10086", "control", 0.2550321214366704)]
    [InlineData("设备-42", "question", 0.920689141843468)]
    [InlineData("", "emoji", 0.5033506085164845)]
    public void Bucketing_is_stable_across_implementations_and_processes(string unit, string variant, double u)
    {
        Assert.Equal(u, MurmurHash3.UnitInterval(Subject.Key, unit, ExperimentAssigner.VariantSeed));
        Assert.Equal(variant, new ExperimentAssigner([Subject]).Assign(Subject.Key, unit).Variant);
    }

    [Fact]
    public void Long_unit_ids_use_the_pooled_buffer_and_hash_the_same_way()
    {
        var unit = new string('x', 300);
        Assert.Equal(0.95904321805574, MurmurHash3.UnitInterval(Subject.Key, unit, 0));
        Assert.Equal("question", new ExperimentAssigner([Subject]).Assign(Subject.Key, unit).Variant);
    }

    [Fact]
    public void One_million_ids_split_within_chi_square_bounds()
    {
        var assigner = new ExperimentAssigner([Subject]);
        var counts = new long[3];
        var buckets = new long[1000];
        for (var i = 0; i < 1_000_000; i++)
        {
            var id = "customer-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var v = assigner.Assign(Subject.Key, id).Variant;
            counts[v == "control" ? 0 : v == "emoji" ? 1 : 2]++;
            buckets[(int)(MurmurHash3.UnitInterval(Subject.Key, id, 0) * 1000)]++;
        }
        var split = SampleRatioTest.Check(counts, [50.0, 30.0, 20.0]);
        Assert.True(split.PValue > 0.001, $"split {string.Join("/", counts)} p = {split.PValue}");
        var uniform = SampleRatioTest.Check(buckets, Enumerable.Repeat(1.0, 1000).ToArray());
        Assert.True(uniform.PValue > 0.001, $"1000-bucket uniformity p = {uniform.PValue}");
    }

    [Fact]
    public void Experiments_with_different_salts_assign_independently()
    {
        var a = Subject with { Key = "exp_a", Variants = [new() { Key = "a0" }, new() { Key = "a1" }] };
        var b = Subject with { Key = "exp_b", Variants = [new() { Key = "b0" }, new() { Key = "b1" }] };
        var assigner = new ExperimentAssigner([a, b]);
        var table = new long[2, 2];
        for (var i = 0; i < 200_000; i++)
        {
            var id = "u" + i;
            table[assigner.Assign("exp_a", id).Variant == "a0" ? 0 : 1, assigner.Assign("exp_b", id).Variant == "b0" ? 0 : 1]++;
        }
        // Pearson's test of independence on the 2×2 table (1 degree of freedom).
        double n = 200_000, chi = 0;
        for (var r = 0; r < 2; r++)
        {
            for (var c = 0; c < 2; c++)
            {
                var expected = (table[r, 0] + table[r, 1]) * (double)(table[0, c] + table[1, c]) / n;
                chi += (table[r, c] - expected) * (table[r, c] - expected) / expected;
            }
        }
        Assert.True(ChiSquare.UpperTail(chi, 1) > 0.001, $"χ² = {chi}");
    }

    [Fact]
    public void Assignment_is_deterministic_and_traffic_increases_only_add_units() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.Choose(1, 99)), Arb.From(Gen.Choose(1, 99)), (id, t1, t2) =>
        {
            var unit = "unit-" + id;
            var (low, high) = (Math.Min(t1, t2) / 100.0, Math.Max(t1, t2) / 100.0);
            var lowAssigner = new ExperimentAssigner([Subject with { TrafficAllocation = low }]);
            var highAssigner = new ExperimentAssigner([Subject with { TrafficAllocation = high }]);
            var first = lowAssigner.Assign(Subject.Key, unit);
            var again = new ExperimentAssigner([Subject with { TrafficAllocation = low }]).Assign(Subject.Key, unit);
            var wider = highAssigner.Assign(Subject.Key, unit);
            return first == again && (!first.IsInExperiment || wider.Variant == first.Variant);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Experiments_in_one_layer_are_mutually_exclusive() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), id =>
        {
            var unit = "unit-" + id;
            var assigner = LayeredAssigner();
            var inA = assigner.Assign("hero_banner", unit).IsInExperiment;
            var inB = assigner.Assign("checkout_button", unit).IsInExperiment;
            return !(inA && inB);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Layer_slices_receive_their_share()
    {
        var assigner = LayeredAssigner();
        int a = 0, b = 0, neither = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var x = assigner.Assign("hero_banner", "u" + i);
            var y = assigner.Assign("checkout_button", "u" + i);
            if (x.IsInExperiment) { a++; }
            else if (y.IsInExperiment) { b++; }
            else
            {
                neither++;
                Assert.Equal(AssignmentReason.OutsideLayerRange, x.Reason);
            }
        }
        // Expected 40 % / 30 % / 30 %; 5 binomial standard deviations ≈ 775 units.
        Assert.InRange(a, 40_000 - 775, 40_000 + 775);
        Assert.InRange(b, 30_000 - 725, 30_000 + 725);
        Assert.InRange(neither, 30_000 - 725, 30_000 + 725);
    }

    [Fact]
    public void Holdout_excludes_its_fraction_and_only_covered_experiments()
    {
        var other = Subject with { Key = "other" };
        var holdout = new HoldoutDefinition { Key = "q3_holdout", Fraction = 0.1, Experiments = [Subject.Key] };
        var assigner = new ExperimentAssigner([Subject, other], [holdout]);
        var held = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var r = assigner.Assign(Subject.Key, "u" + i);
            if (r.Reason == AssignmentReason.Holdout)
            {
                held++;
                Assert.Null(r.Variant);
            }
            Assert.NotEqual(AssignmentReason.Holdout, assigner.Assign("other", "u" + i).Reason);
        }
        Assert.InRange(held, 5000 - 335, 5000 + 335);
    }

    [Fact]
    public void Forced_assignment_wins_over_holdout_traffic_and_inactivity()
    {
        var forced = Subject with { Active = false, TrafficAllocation = 0, ForcedAssignments = new Dictionary<string, string> { ["qa-1"] = "question" } };
        var assigner = new ExperimentAssigner([forced], [new HoldoutDefinition { Key = "all", Fraction = 0.99 }]);
        Assert.Equal(new Assignment(Subject.Key, "question", AssignmentReason.Forced), assigner.Assign(Subject.Key, "qa-1"));
        Assert.Equal(AssignmentReason.Inactive, assigner.Assign(Subject.Key, "someone").Reason);
    }

    [Fact]
    public void Zero_traffic_assigns_nobody_and_zero_weight_variants_get_no_units()
    {
        var assigner = new ExperimentAssigner([
            Subject with { Key = "off", TrafficAllocation = 0 },
            Subject with { Key = "ramp", Variants = [new() { Key = "control" }, new() { Key = "paused", Weight = 0 }, new() { Key = "b" }] },
        ]);
        for (var i = 0; i < 5000; i++)
        {
            Assert.Equal(AssignmentReason.NotInTraffic, assigner.Assign("off", "u" + i).Reason);
            Assert.NotEqual("paused", assigner.Assign("ramp", "u" + i).Variant);
        }
    }

    [Fact]
    public void Unknown_experiment_is_a_typed_error()
    {
        var ex = Assert.Throws<ExperimentNotFoundException>(() => new ExperimentAssigner([Subject]).Assign("nope", "u"));
        Assert.Equal("nope", ex.ExperimentKey);
    }

    [Fact]
    public void Invalid_definitions_are_rejected_with_the_field()
    {
        MarketingValidationException Reject(params ExperimentDefinition[] defs) =>
            Assert.Throws<MarketingValidationException>(() => new ExperimentAssigner(defs));

        var empty = Reject(new ExperimentDefinition { Key = "x" });
        Assert.Equal(("experiments[0].variants", ValidationReason.Missing), (empty.Field, empty.Reason));
        Assert.Equal(ValidationReason.Inconsistent, Reject(Subject, Subject).Reason);
        Assert.Equal(ValidationReason.OutOfRange, Reject(Subject with { Variants = [new() { Key = "a", Weight = -1 }] }).Reason);
        Assert.Equal(ValidationReason.OutOfRange, Reject(Subject with { TrafficAllocation = 1.5 }).Reason);
        Assert.Equal(ValidationReason.Inconsistent, Reject(Subject with { ForcedAssignments = new Dictionary<string, string> { ["q"] = "zzz" } }).Reason);
        Assert.Equal(ValidationReason.Missing, Reject(Subject with { Layer = "l" }).Reason);
        var overlap = Reject(
            Subject with { Key = "a", Layer = "l", LayerRange = new(0, 0.6) },
            Subject with { Key = "b", Layer = "l", LayerRange = new(0.5, 1) });
        Assert.Equal(ValidationReason.Inconsistent, overlap.Reason);
        Assert.Contains("overlap", overlap.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_round_trips_through_source_generated_json()
    {
        const string json = """
            {
              // comments and trailing commas are accepted
              "experiments": [
                { "key": "hero_banner", "variants": [ { "key": "control" }, { "key": "video", "weight": 2 } ],
                  "layer": "home", "layerRange": { "start": 0, "end": 0.5 }, "trafficAllocation": 0.8,
                  "forcedAssignments": { "qa-user": "video" }, "plannedSampleSizePerVariant": 5000, "minimumDetectableEffect": 0.05 },
              ],
              "holdouts": [ { "key": "global", "fraction": 0.05 } ]
            }
            """;
        var catalog = ExperimentCatalog.FromJson(json);
        var e = Assert.Single(catalog.Experiments);
        Assert.Equal(("hero_banner", 2.0, "home", 0.8, 5000L), (e.Key, e.Variants[1].Weight, e.Layer, e.TrafficAllocation, e.PlannedSampleSizePerVariant!.Value));
        Assert.Equal("video", e.ForcedAssignments["qa-user"]);
        Assert.Equal(0.05, Assert.Single(catalog.Holdouts).Fraction);
        var again = ExperimentCatalog.FromJson(catalog.ToJson());
        Assert.Equal(catalog.ToJson(), again.ToJson());
        Assert.DoesNotContain("qa-user", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_catalog_json_is_a_validation_error()
    {
        Assert.Equal(ValidationReason.InvalidFormat, Assert.Throws<MarketingValidationException>(() => ExperimentCatalog.FromJson("{ \"experiments\": 3 }")).Reason);
        Assert.Equal(ValidationReason.Missing, Assert.Throws<MarketingValidationException>(() => ExperimentCatalog.FromJson("""{ "experiments": [ { "key": "a", "variants": [] } ] }""")).Reason);
    }

    private static ExperimentAssigner LayeredAssigner() => new([
        Subject with { Key = "hero_banner", Layer = "home_page", LayerRange = new(0, 0.4) },
        Subject with { Key = "checkout_button", Layer = "home_page", LayerRange = new(0.4, 0.7) },
    ]);
}
