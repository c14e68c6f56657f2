using BenchmarkDotNet.Attributes;
using Rtser.Features.Mfcc;

namespace Rtser.Benchmarks;

/// <summary>Feature extraction of a 3 s clip at 16 kHz, single-threaded.</summary>
[MemoryDiagnoser]
public class FeatureBenchmarks
{
    private readonly MfccExtractor _mfcc = new();
    private float[] _clip = [];

    [GlobalSetup]
    public void Setup() => _clip = Clips.Speechlike(3.0, 16000);

    [Benchmark]
    public int Mfcc3s() => _mfcc.Compute(_clip).Frames;
}
