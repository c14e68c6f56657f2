using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Rtser.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
