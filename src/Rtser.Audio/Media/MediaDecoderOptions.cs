namespace Rtser.Audio;

/// <summary>Limits and ffmpeg settings for <see cref="MediaDecoder"/>; bad input over a limit raises <see cref="AudioFormatException"/>.</summary>
public sealed class MediaDecoderOptions
{
    public static MediaDecoderOptions Default { get; } = new();

    /// <summary>Longest audio accepted, in every format (the same default as <see cref="WavDecoderOptions"/>).</summary>
    public double MaxDurationSeconds { get; init; } = WavDecoderOptions.Default.MaxDurationSeconds;

    /// <summary>Most bytes read from an input; the whole file is held in memory while decoding.</summary>
    public long MaxInputBytes { get; init; } = WavDecoderOptions.Default.MaxInputBytes;

    /// <summary>
    /// WAV only: refuse a data chunk cut short of its declared size (<see cref="WavDecoderOptions.RejectTruncatedData"/>).
    /// Truncated WebM and Ogg are always refused.
    /// </summary>
    public bool RejectTruncatedData { get; init; }

    /// <summary>Whether formats other than WAV, WebM/Opus and Ogg/Opus are handed to an ffmpeg executable.</summary>
    public bool UseFfmpeg { get; init; } = true;

    /// <summary>The ffmpeg executable; when null, "ffmpeg" is looked for on PATH.</summary>
    public string? FfmpegPath { get; init; }

    /// <summary>
    /// Where an MP4 that ffmpeg must read from a file (moov atom last) is written for the run, in a folder created
    /// owner-only; null: the system's temporary folder. A service gives it a folder of its own so that
    /// <see cref="MediaDecoder.DeleteLeftoverFiles"/> can remove what a killed process left.
    /// </summary>
    public string? TempDirectory { get; init; }

    /// <summary>How long one ffmpeg run may take before it is killed.</summary>
    public TimeSpan FfmpegTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the options themselves make no sense.</summary>
    public void Validate()
    {
        if (!double.IsFinite(MaxDurationSeconds) || MaxDurationSeconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDurationSeconds), MaxDurationSeconds, "must be a positive number of seconds");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInputBytes, 12);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInputBytes, (long)Array.MaxLength);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FfmpegTimeout, TimeSpan.Zero);
    }

    internal WavDecoderOptions ToWavOptions() => new() { MaxDurationSeconds = MaxDurationSeconds, MaxInputBytes = MaxInputBytes, RejectTruncatedData = RejectTruncatedData };
}
