using BenchmarkDotNet.Attributes;
using Rtser.Audio;

namespace Rtser.Benchmarks;

/// <summary>Why 16-bit PCM bypasses NAudio's sample provider: the same 3 s, 16 kHz mono conversion both ways.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _wav = [];
    private ReadOnlyMemory<byte> _data;
    private WavLayout _layout;

    [GlobalSetup]
    public void Setup()
    {
        _wav = WavWriter.Pcm16(Clips.Speechlike(3.0, 16000), 16000);
        _layout = WavParser.Parse(_wav, WavDecoderOptions.Default);
        _data = _wav.AsMemory(_layout.DataOffset, _layout.DataLength);
    }

    [Benchmark(Baseline = true)]
    public int Pcm16Simd() => WavDecoder.Pcm16ToMono(_data.Span, 1).Length;

    [Benchmark]
    public int Pcm16NAudioSampleProvider() => WavDecoder.ToMonoWithNAudio(_data, _layout).Length;
}
