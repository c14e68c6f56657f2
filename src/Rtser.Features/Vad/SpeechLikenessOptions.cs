namespace Rtser.Features.Vad;

/// <summary>
/// Thresholds of <see cref="SpeechLikeness"/>. Not part of <see cref="Pipeline.FeatureConfig"/>: it decides whether a
/// window is scored at all and changes no number a model sees, so model cards neither carry nor compare it.
/// </summary>
public sealed record SpeechLikenessOptions
{
    /// <summary>Off: only the energy detector decides what is speech (the behaviour before the check).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Lowest median change of the coarse spectral shape (see <see cref="SpeechLikenessMeasures.SpectralChange"/>).</summary>
    public double MinSpectralChange { get; init; } = 2.0;

    /// <summary>Fewest effective acoustic bands carrying the syllabic modulation.</summary>
    public double MinModulatedBands { get; init; } = 2.5;

    /// <summary>Highest periodicity of the level's rises and falls.</summary>
    public double MaxPeriodicity { get; init; } = 0.75;

    /// <summary>Cepstral coefficients (from c1) that make the coarse spectral shape.</summary>
    public int ShapeCoefficients { get; init; } = 4;

    /// <summary>Lag of the spectral change in MFCC frames (10: 100 ms, about a phone or two).</summary>
    public int ChangeLagFrames { get; init; } = 10;

    /// <summary>Frames more than this below the window's loudest (dB) count as pauses.</summary>
    public double LoudRangeDb { get; init; } = 30;

    /// <summary>
    /// Share of a window's frames (by level) taken as its noise floor: speech pauses between words and in stop
    /// closures, so in a window with speech at least this share of frames holds only the background, whatever its
    /// level; in steady noise without speech it sits a dB or two below the loudest frames.
    /// </summary>
    public double NoiseFloorQuantile { get; init; } = 0.1;

    /// <summary>
    /// Most the noise floor's frames may scatter about their mean coarse shape (median distance, as the spectral
    /// change measures it) for the floor to be taken for steady noise. The 25 ms frames of steady noise scatter by
    /// about 1-1.5 (white, pink, babble-like and modulated noise, and the pauses of speech at 0-10 dB SNR), quiet
    /// music by 2.8-3.3, reverberant tails and four-talker babble of real speech by 4-9.
    /// </summary>
    public double MaxFloorSpread { get; init; } = 2;

    /// <summary>How far above the noise floor (dB) a frame must rise to count as possible speech (see <see cref="SpeechLikeness.RisingSeconds"/>).</summary>
    public double NoiseMarginDb { get; init; } = 6;

    /// <summary>Modulation bands centred in this range (Hz) count as syllabic.</summary>
    public double SyllabicLowHz { get; init; } = 3;

    public double SyllabicHighHz { get; init; } = 9;

    /// <summary>Frames over which the level's change is taken for the rhythm.</summary>
    public int RhythmStepFrames { get; init; } = 3;

    /// <summary>Shortest and longest rhythm period looked for, in MFCC frames (0.15-1 s).</summary>
    public int MinRhythmLagFrames { get; init; } = 15;

    public int MaxRhythmLagFrames { get; init; } = 100;

    public SpeechLikenessOptions Validate()
    {
        if (MinSpectralChange < 0 || MinModulatedBands < 0 || MaxPeriodicity is < 0 or > 1)
        {
            throw new ArgumentException($"MinSpectralChange {MinSpectralChange} and MinModulatedBands {MinModulatedBands} must be >= 0, MaxPeriodicity {MaxPeriodicity} 0..1.");
        }

        if (ShapeCoefficients < 1 || ChangeLagFrames < 1 || RhythmStepFrames < 1 || LoudRangeDb <= 0)
        {
            throw new ArgumentException($"ShapeCoefficients {ShapeCoefficients}, ChangeLagFrames {ChangeLagFrames} and RhythmStepFrames {RhythmStepFrames} must be >= 1, LoudRangeDb {LoudRangeDb} > 0.");
        }

        if (MinRhythmLagFrames < 1 || MaxRhythmLagFrames < MinRhythmLagFrames)
        {
            throw new ArgumentException($"MinRhythmLagFrames {MinRhythmLagFrames} must be >= 1 and at most MaxRhythmLagFrames {MaxRhythmLagFrames}.");
        }

        if (NoiseFloorQuantile is < 0 or > 1 || NoiseMarginDb < 0 || MaxFloorSpread < 0)
        {
            throw new ArgumentException($"NoiseFloorQuantile {NoiseFloorQuantile} must be 0..1, NoiseMarginDb {NoiseMarginDb} and MaxFloorSpread {MaxFloorSpread} >= 0.");
        }

        if (SyllabicLowHz <= 0 || SyllabicHighHz < SyllabicLowHz)
        {
            throw new ArgumentException($"SyllabicLowHz {SyllabicLowHz} must be > 0 and at most SyllabicHighHz {SyllabicHighHz}.");
        }

        return this;
    }
}
