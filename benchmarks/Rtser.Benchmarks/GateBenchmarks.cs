using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using Rtser.Api;
using Rtser.Api.Analysis;

namespace Rtser.Benchmarks;

/// <summary>
/// What the inference gate adds to an upload: one enter and exit with a free slot, and 16 callers taking turns at
/// 2 slots and a budget that fits 3 of them (the gate's queue and wake-ups, per enter and exit).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class GateBenchmarks
{
    private InferenceGate _gate = null!;

    [GlobalSetup]
    public void Setup() => _gate = new InferenceGate(Options.Create(new RtserOptions
    {
        MaxConcurrentAnalyses = 2,
        MaxQueuedAnalyses = 64,
        MaxDurationSeconds = 10,
        MaxAudioSecondsInFlight = 30,
    }));

    [Benchmark(Baseline = true)]
    public async Task EnterExit()
    {
        using IDisposable? slot = await _gate.EnterAsync(5, default);
    }

    [Benchmark(OperationsPerInvoke = 16 * 50)]
    public async Task EnterExitContended()
    {
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 50; i++)
            {
                using IDisposable? slot = await _gate.EnterAsync(10, default);
            }
        })));
    }
}
