namespace Rtser.Features.Vad;

/// <summary>
/// A cheap, causal energy detector on the MFCC frames (25 ms every 10 ms). A frame is a speech candidate when
/// it is above an absolute floor and well above the quietest frame of the last couple of seconds: speech comes
/// in syllables with stop closures and pauses between them, so its level swings by 15-40 dB within a second,
/// while silence, hum and steady noise of any level barely move. Onset needs a few candidates in a row so
/// clicks do not count; a hangover keeps weak consonants inside speech. Thresholds were checked on EmoDB,
/// RAVDESS (quiet actors peak near -45 dBFS) and generated noise (see SpeechActivityTests).
/// </summary>
public sealed record SpeechActivityOptions
{
    /// <summary>Frames quieter than this (RMS, dB re full scale) are never speech.</summary>
    public double MinEnergyDbfs { get; init; } = -60;

    /// <summary>How far above the running minimum a frame must be.</summary>
    public double MarginDb { get; init; } = 12;

    /// <summary>Length of the running-minimum window in frames (2 s).</summary>
    public int FloorWindowFrames { get; init; } = 200;

    /// <summary>Consecutive candidate frames needed to start speech.</summary>
    public int OnsetFrames { get; init; } = 3;

    /// <summary>Frames that stay speech after the last candidate.</summary>
    public int HangoverFrames { get; init; } = 20;

    /// <summary>Less speech than this in a clip or window means "no speech".</summary>
    public double MinSpeechSeconds { get; init; } = 0.25;

    public SpeechActivityOptions Validate()
    {
        if (MinEnergyDbfs is > 0 or < -120)
        {
            throw new ArgumentException($"MinEnergyDbfs {MinEnergyDbfs} must be -120..0.");
        }

        if (MarginDb is < 0 or > 60)
        {
            throw new ArgumentException($"MarginDb {MarginDb} must be 0..60.");
        }

        if (FloorWindowFrames < 1 || OnsetFrames < 1 || HangoverFrames < 0)
        {
            throw new ArgumentException($"FloorWindowFrames {FloorWindowFrames} and OnsetFrames {OnsetFrames} must be >= 1, HangoverFrames {HangoverFrames} >= 0.");
        }

        if (MinSpeechSeconds < 0)
        {
            throw new ArgumentException($"MinSpeechSeconds {MinSpeechSeconds} must be >= 0.");
        }

        return this;
    }
}
