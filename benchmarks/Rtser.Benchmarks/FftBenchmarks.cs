using BenchmarkDotNet.Attributes;
using Rtser.Features.Dsp;

namespace Rtser.Benchmarks;

/// <summary>Why we carry our own FFT: the 512-point power spectrum is the MFCC hot path (100 per second of audio).</summary>
[MemoryDiagnoser]
public class FftBenchmarks
{
    private readonly float[] _frame = new float[400];
    private readonly float[] _power = new float[257];
    private readonly float[] _re = new float[512];
    private readonly float[] _im = new float[512];
    private readonly float[] _nwavesOut = new float[257];
    private readonly RealFft _ours = new(512);
    private readonly NWaves.Transforms.RealFft _nwaves = new(512);
    private readonly float[] _padded = new float[512];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        for (int i = 0; i < _frame.Length; i++)
        {
            _frame[i] = (float)(rng.NextDouble() - 0.5);
        }

        _frame.CopyTo(_padded, 0);
    }

    [Benchmark(Baseline = true)]
    public float OursPowerSpectrum512()
    {
        _ours.PowerSpectrum(_frame, _power);
        return _power[10];
    }

    [Benchmark]
    public float NWavesPowerSpectrum512()
    {
        // NWaves' array API: zero-padded input in, normalised=false power out.
        _nwaves.PowerSpectrum(_padded, _nwavesOut, normalize: false);
        return _nwavesOut[10];
    }

    [Benchmark]
    public float NWavesDirect512()
    {
        _nwaves.Direct(_padded, _re, _im);
        return _re[10];
    }
}
