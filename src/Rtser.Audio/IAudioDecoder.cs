namespace Rtser.Audio;

/// <summary>Decodes a complete audio file to mono float samples.</summary>
/// <remarks>Implementations throw <see cref="AudioFormatException"/> and nothing else for bad input.</remarks>
public interface IAudioDecoder
{
    /// <summary>Reads <paramref name="input"/> from its current position to the end and decodes it.</summary>
    DecodedAudio Decode(Stream input);

    /// <summary>Decodes a complete file held in memory.</summary>
    DecodedAudio Decode(ReadOnlyMemory<byte> input);

    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    DecodedAudio DecodeFile(string path);

    /// <summary>Decodes <paramref name="input"/> and resamples it to <paramref name="sampleRate"/>.</summary>
    DecodedAudio DecodeAt(ReadOnlyMemory<byte> input, int sampleRate) => Resampler.Resample(Decode(input), sampleRate);

    /// <summary>Decodes the file at <paramref name="path"/> and resamples it to <paramref name="sampleRate"/>.</summary>
    DecodedAudio DecodeFileAt(string path, int sampleRate) => Resampler.Resample(DecodeFile(path), sampleRate);

    /// <summary>
    /// The most seconds of audio decoding <paramref name="input"/> may yield, from its headers without decoding, so a
    /// caller can budget memory before it decodes; infinity when the decoder cannot tell.
    /// </summary>
    double MaxSeconds(ReadOnlyMemory<byte> input) => double.PositiveInfinity;
}
