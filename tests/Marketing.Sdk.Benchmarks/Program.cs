using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- --filter '*'
// One area: --filter '*IdentityResolution*'. Quick smoke run: add --job dry.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
