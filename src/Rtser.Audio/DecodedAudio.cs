namespace Rtser.Audio;

/// <summary>Decoded audio, already mixed to mono.</summary>
/// <param name="Samples">Mono samples in [-1, 1].</param>
/// <param name="SampleRate">Sample rate of <paramref name="Samples"/> in Hz (not resampled).</param>
/// <param name="SourceChannels">Channel count of the source before mixing.</param>
/// <param name="SourceBitsPerSample">Container bits per sample of the source.</param>
/// <param name="SourceEncoding">Human-readable source encoding, e.g. "PCM" or "WAVE_FORMAT_EXTENSIBLE (IEEE float)".</param>
public sealed record DecodedAudio(float[] Samples, int SampleRate, int SourceChannels, int SourceBitsPerSample, string SourceEncoding)
{
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);
}
