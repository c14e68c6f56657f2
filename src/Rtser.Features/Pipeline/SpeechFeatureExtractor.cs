using Rtser.Features.Mfcc;
using Rtser.Features.Modulation;
using Rtser.Features.Vad;

namespace Rtser.Features.Pipeline;

/// <summary>
/// The one feature implementation: the CLI's training export, the service and live mode all call this,
/// so a model is always fed the numbers it was trained on. Thread-safe; per-signal state lives in the calls.
/// </summary>
public sealed class SpeechFeatureExtractor
{
    public SpeechFeatureExtractor(FeatureConfig? config = null)
    {
        Config = (config ?? new FeatureConfig()).Validate();
        Mfcc = new MfccExtractor(Config.Mfcc);
        Modulation = new ModulationSpectrumExtractor(Config.Modulation);
    }

    public FeatureConfig Config { get; }

    public MfccExtractor Mfcc { get; }

    public ModulationSpectrumExtractor Modulation { get; }

    /// <summary>Features of 16 kHz mono samples in [-1, 1].</summary>
    public SpeechFeatures Extract(ReadOnlySpan<float> samples16k)
    {
        int frames = Mfcc.FrameCount(samples16k.Length);
        var mfcc = new FeatureBuffer(Mfcc.Width, Math.Max(1, frames));
        var levels = new FeatureBuffer(1, Math.Max(1, frames));
        MfccStream stream = Mfcc.CreateStream();
        stream.Push(samples16k, mfcc, levels);
        stream.Flush(mfcc);

        bool[] speech = DecideSpeech(levels);
        double speechSeconds = speech.Count(s => s) * Mfcc.FrameShiftSeconds;

        FeatureMatrix ms = Modulation.Compute(samples16k);
        return new SpeechFeatures(
            samples16k.Length / (double)FeatureConfig.SampleRate,
            mfcc.ToMatrix(Mfcc.FrameShiftSeconds),
            speech,
            speechSeconds,
            ms,
            Modulation.UtteranceStatistics(ms));
    }

    /// <summary>
    /// Seconds of speech in a whole signal, decided exactly as <see cref="Extract"/> decides it (the frame
    /// levels come from the same MFCC framing) but without the modulation spectrum, for long audio whose
    /// features are taken window by window.
    /// </summary>
    public double MeasureSpeechSeconds(ReadOnlySpan<float> samples16k)
    {
        int frames = Mfcc.FrameCount(samples16k.Length);
        var mfcc = new FeatureBuffer(Mfcc.Width, Math.Max(1, frames));
        var levels = new FeatureBuffer(1, Math.Max(1, frames));
        Mfcc.CreateStream().Push(samples16k, mfcc, levels);
        return DecideSpeech(levels).Count(s => s) * Mfcc.FrameShiftSeconds;
    }

    private bool[] DecideSpeech(FeatureBuffer levels)
    {
        var speech = new List<bool>(levels.Rows);
        new SpeechActivityDetector(Config.SpeechActivity).Decide(levels, speech);
        return [.. speech];
    }
}
