namespace Rtser.Audio;

/// <summary>One-call loading for the model: decode, mix to mono, resample to 16 kHz.</summary>
public static class AudioLoader
{
    private static readonly WavDecoder Decoder = new();

    public static float[] LoadMono16k(string path) => To16k(Decoder.DecodeFile(path));

    public static float[] LoadMono16k(Stream s) => To16k(Decoder.Decode(s));

    private static float[] To16k(DecodedAudio audio) => Resampler.Resample(audio).Samples;
}
