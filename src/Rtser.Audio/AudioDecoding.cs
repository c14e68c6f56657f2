namespace Rtser.Audio;

/// <summary>
/// The one way from audio bytes to what the feature extractor reads: mono samples at 16 kHz. Uploads, the CLI, the
/// fuzzer and the perf tools all come through here, so they cannot drift apart in how they decode.
/// </summary>
public static class AudioDecoding
{
    /// <summary>A complete file held in memory as 16 kHz mono samples (Opus resampled packet by packet as it is decoded).</summary>
    public static float[] Decode16k(this IAudioDecoder decoder, ReadOnlyMemory<byte> input)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        return decoder.DecodeAt(input, Resampler.TargetRate).Samples;
    }

    /// <summary>The file at <paramref name="path"/> as 16 kHz mono samples.</summary>
    public static float[] Decode16kFile(this IAudioDecoder decoder, string path)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        return decoder.DecodeFileAt(path, Resampler.TargetRate).Samples;
    }
}
