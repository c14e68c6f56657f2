namespace Rtser.Audio;

/// <summary>Limits enforced by <see cref="WavDecoder"/>; anything outside them is an <see cref="AudioFormatException"/>.</summary>
public sealed class WavDecoderOptions
{
    /// <summary>Hard ceiling for <see cref="MaxChannels"/>: WAVE_FORMAT_EXTENSIBLE layouts stop well before this.</summary>
    public const int ChannelLimit = 64;

    public static WavDecoderOptions Default { get; } = new();

    public int MaxChannels { get; init; } = ChannelLimit;

    public int MinSampleRate { get; init; } = 8000;

    public int MaxSampleRate { get; init; } = 192000;

    /// <summary>Longest audio accepted, measured on the sample frames actually present.</summary>
    public double MaxDurationSeconds { get; init; } = 600;

    /// <summary>Most bytes read from an input stream; the whole file is held in memory while decoding.</summary>
    public long MaxInputBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Refuse a file whose data chunk declares a real size larger than what is present, i.e. a cut-off upload.
    /// Off by default so files from streaming writers and partial recordings still decode; the service turns it on.
    /// Placeholder sizes (0x7FFF0000 and up) are accepted either way.
    /// </summary>
    public bool RejectTruncatedData { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the options themselves make no sense.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxChannels, ChannelLimit);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSampleRate, Resampler.MinRate);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSampleRate, MinSampleRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSampleRate, Resampler.MaxRate);
        if (!double.IsFinite(MaxDurationSeconds) || MaxDurationSeconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDurationSeconds), MaxDurationSeconds, "must be a positive number of seconds");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInputBytes, 12);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInputBytes, (long)Array.MaxLength);
    }
}
