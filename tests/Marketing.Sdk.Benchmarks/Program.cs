using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- --filter '*'
// One area: --filter '*IdentityResolution*'. Quick smoke run: add --job dry.
// The generous build timeout keeps runs working on small, busy machines.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
    .Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(15)));
