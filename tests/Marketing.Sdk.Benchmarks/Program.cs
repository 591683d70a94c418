using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- --filter '*'
// One area: --filter '*IdentityResolution*'. Quick smoke run: add --job dry.
// Where the real-time path's time goes (an instrumented run, not BenchmarkDotNet):
//   dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- realtime-profile [events] [sqlite|postgresql|inmemory]
// The generous build timeout keeps runs working on small, busy machines.
// Five segments from the store against DuckDB over Parquet, time and peak memory per method in its own process:
//   dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- store-segments [customers] [sqlite|postgresql]
if (args.Length > 0 && args[0] == "store-segments")
{
    await Marketing.Sdk.Benchmarks.Segmentation.StoreSegmentProfile.RunAsync(args);
    return;
}
if (args.Length > 0 && args[0] == "realtime-profile")
{
    await Marketing.Sdk.Benchmarks.Core.RealTimeProfile.RunAsync(args);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
    .Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(15)));
