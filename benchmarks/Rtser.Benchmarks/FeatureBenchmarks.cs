using BenchmarkDotNet.Attributes;
using Rtser.Audio;
using Rtser.Features.Mfcc;
using Rtser.Features.Modulation;
using Rtser.Features.Pipeline;

namespace Rtser.Benchmarks;

/// <summary>
/// The foundation's hot paths on one 3 s clip, single-threaded: decoding a 48 kHz 16-bit WAV (what a
/// browser upload becomes) with resampling to 16 kHz, each feature family, and the whole pipeline.
/// </summary>
[MemoryDiagnoser]
public class FeatureBenchmarks
{
    private readonly MfccExtractor _mfcc = new();
    private readonly ModulationSpectrumExtractor _ms = new();
    private readonly SpeechFeatureExtractor _pipeline = new();
    private readonly WavDecoder _decoder = new();
    private float[] _clip = [];
    private byte[] _wav48k = [];
    private byte[] _wav16k = [];

    [GlobalSetup]
    public void Setup()
    {
        _clip = Clips.Speechlike(3.0, 16000);
        _wav48k = WavWriter.Pcm16(Clips.Speechlike(3.0, 48000), 48000);
        _wav16k = WavWriter.Pcm16(_clip, 16000);
    }

    [Benchmark]
    public int DecodeWav16k() => _decoder.Decode(_wav16k).Samples.Length;

    [Benchmark]
    public int DecodeAndResampleWav48k()
    {
        DecodedAudio audio = _decoder.Decode(_wav48k);
        return Resampler.ToRate(audio.Samples, audio.SampleRate).Length;
    }

    [Benchmark]
    public int Mfcc3s() => _mfcc.Compute(_clip).Frames;

    [Benchmark]
    public int ModulationSpectrum3s() => _ms.Compute(_clip).Frames;

    /// <summary>MFCC, speech activity, MS frames and MS statistics: everything a model is fed.</summary>
    [Benchmark]
    public int AllFeatures3s() => _pipeline.Extract(_clip).Mfcc.Frames;
}
