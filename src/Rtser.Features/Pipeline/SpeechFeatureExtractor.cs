using Rtser.Features.Mfcc;
using Rtser.Features.Vad;

namespace Rtser.Features.Pipeline;

/// <summary>
/// The one feature implementation: the CLI's training export, the service and live mode all call this,
/// so a model is always fed the numbers it was trained on. Thread-safe; per-signal state lives in the calls.
/// </summary>
public sealed class SpeechFeatureExtractor
{
    private readonly MfccExtractor _mfcc;

    public SpeechFeatureExtractor(FeatureConfig? config = null)
    {
        Config = (config ?? new FeatureConfig()).Validate();
        _mfcc = new MfccExtractor(Config.Mfcc);
    }

    public FeatureConfig Config { get; }

    public MfccExtractor Mfcc => _mfcc;

    /// <summary>Features of 16 kHz mono samples in [-1, 1].</summary>
    public SpeechFeatures Extract(ReadOnlySpan<float> samples16k)
    {
        int frames = _mfcc.FrameCount(samples16k.Length);
        var mfcc = new FeatureBuffer(_mfcc.Width, Math.Max(1, frames));
        var levels = new FeatureBuffer(1, Math.Max(1, frames));
        MfccStream stream = _mfcc.CreateStream();
        stream.Push(samples16k, mfcc, levels);
        stream.Flush(mfcc);

        var speech = new List<bool>(levels.Rows);
        new SpeechActivityDetector(Config.SpeechActivity).Decide(levels, speech);
        double speechSeconds = speech.Count(s => s) * _mfcc.FrameShiftSeconds;
        return new SpeechFeatures(
            samples16k.Length / (double)FeatureConfig.SampleRate,
            mfcc.ToMatrix(_mfcc.FrameShiftSeconds),
            [.. speech],
            speechSeconds);
    }
}
