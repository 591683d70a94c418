using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Experimentation.Hashing;

namespace Marketing.Sdk.Benchmarks.Experimentation;

/// <summary>Bucketing 1 000 unit ids: MurmurHash3 (what the assigner uses) against a SHA-256 baseline.</summary>
[MemoryDiagnoser]
public class BucketingBenchmarks
{
    private const string Salt = "welcome_email_subject";
    private string[] _ids = [];
    private ExperimentAssigner _assigner = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ids = Enumerable.Range(0, 1000).Select(i => "customer-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        _assigner = new ExperimentAssigner([
            new ExperimentDefinition
            {
                Key = Salt,
                Variants = [new() { Key = "control", Weight = 50 }, new() { Key = "emoji", Weight = 30 }, new() { Key = "question", Weight = 20 }],
                TrafficAllocation = 0.9,
            },
        ]);
    }

    /// <summary>SHA-256 of salt + unit id, first 8 bytes as the bucket point (a common bucketing recipe).</summary>
    [Benchmark(Baseline = true)]
    public double Sha256Bucketing()
    {
        double sum = 0;
        Span<byte> hash = stackalloc byte[32];
        foreach (var id in _ids)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(Salt + ":" + id), hash);
            sum += BitConverter.ToUInt64(hash) / 18446744073709551616.0;
        }
        return sum;
    }

    /// <summary>MurmurHash3 x86-32 over the stack-encoded UTF-8 bytes.</summary>
    [Benchmark]
    public double MurmurBucketing()
    {
        double sum = 0;
        foreach (var id in _ids)
        {
            sum += MurmurHash3.UnitInterval(Salt, id, 0);
        }
        return sum;
    }

    /// <summary>The full assignment (traffic hash + variant hash + weights).</summary>
    [Benchmark]
    public int FullAssignment()
    {
        var assigned = 0;
        foreach (var id in _ids)
        {
            assigned += _assigner.Assign(Salt, id).IsInExperiment ? 1 : 0;
        }
        return assigned;
    }
}
