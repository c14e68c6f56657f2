using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Rtser.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Rtser.Benchmarks.GateBenchmarks).Assembly).Run(args);
