using Rtser.Features.Mfcc;
using Rtser.Features.Modulation;
using Rtser.Features.Prosody;
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
        Prosody = new ProsodyExtractor(Config.Prosody);
    }

    public FeatureConfig Config { get; }

    public MfccExtractor Mfcc { get; }

    public ModulationSpectrumExtractor Modulation { get; }

    public ProsodyExtractor Prosody { get; }

    /// <summary>
    /// Features of 16 kHz mono samples in [-1, 1]. Without <paramref name="prosody"/> the prosody stream is skipped
    /// (left null), so models that do not read it do not pay for it.
    /// </summary>
    public SpeechFeatures Extract(ReadOnlySpan<float> samples16k, bool prosody = true)
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
        FeatureMatrix? pros = prosody ? Prosody.Compute(samples16k) : null;
        return new SpeechFeatures(
            samples16k.Length / (double)FeatureConfig.SampleRate,
            mfcc.ToMatrix(Mfcc.FrameShiftSeconds),
            speech,
            speechSeconds,
            ms,
            Modulation.UtteranceStatistics(ms),
            pros,
            pros is null ? null : Prosody.UtteranceStatistics(pros, speech));
    }

    /// <summary>
    /// Whether <see cref="ExtractWindows"/> can share frames between windows <paramref name="hop"/> samples apart:
    /// the hop is a whole number of MFCC shifts and MS envelope steps, and there are no deltas (whose edge
    /// padding depends on where a window ends).
    /// </summary>
    public bool CanShareFrames(int hop) =>
        hop > 0 && Config.Mfcc.DeltaOrder == 0 && hop % Mfcc.Options.FrameShift == 0 && hop % Modulation.Options.EnvelopeHop == 0;

    /// <summary>
    /// The features of <paramref name="count"/> windows of <paramref name="windowLength"/> samples starting every
    /// <paramref name="hop"/> samples from the start of <paramref name="span"/>, each equal bit for bit to
    /// <see cref="Extract"/> of that window: MFCC frames, frame levels and MS band envelopes depend only on their own
    /// frame's samples, so they are computed once over the span and sliced; what carries state from a window's
    /// start (speech decisions, the modulation filters and MS frames, statistics) is computed per window.
    /// Needs <see cref="CanShareFrames"/>. Prosody frames are shared too, except the few at each window's edges whose
    /// analysis reaches outside the window; those are recomputed from the window alone.
    /// </summary>
    public SpeechFeatures[] ExtractWindows(ReadOnlySpan<float> span, int windowLength, int hop, int count, bool prosody = true)
    {
        if (!CanShareFrames(hop))
        {
            throw new ArgumentException($"hop {hop} is not a whole number of MFCC shifts and MS envelope steps (or deltas are on)", nameof(hop));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowLength);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > 0 && ((long)(count - 1) * hop) + windowLength > span.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "the windows run past the span");
        }

        if (count == 0)
        {
            return [];
        }

        span = span[..(((count - 1) * hop) + windowLength)];
        int frames = Mfcc.FrameCount(span.Length);
        var mfcc = new FeatureBuffer(Mfcc.Width, Math.Max(1, frames));
        var levels = new FeatureBuffer(1, Math.Max(1, frames));
        Mfcc.CreateStream().Push(span, mfcc, levels);

        ModulationSpectrumOptions mo = Modulation.Options;
        int bands = mo.AcousticBands;
        int spanEnvelopes = span.Length < mo.FftSize ? 0 : 1 + ((span.Length - mo.FftSize) / mo.EnvelopeHop);
        var envelopes = new FeatureBuffer(bands, Math.Max(1, spanEnvelopes));
        Modulation.CreateStream().PushEnvelopesOnly(span, envelopes);

        FeatureMatrix? spanProsody = prosody ? Prosody.Compute(span) : null;
        int windowFrames = Mfcc.FrameCount(windowLength);
        int windowEnvelopes = windowLength < mo.FftSize ? 0 : 1 + ((windowLength - mo.FftSize) / mo.EnvelopeHop);
        int mfccHop = hop / Mfcc.Options.FrameShift;
        int envelopeHop = hop / mo.EnvelopeHop;
        int width = Mfcc.Width;
        var result = new SpeechFeatures[count];
        for (int k = 0; k < count; k++)
        {
            var windowMfcc = new float[windowFrames * width];
            mfcc.AsSpan().Slice(k * mfccHop * width, windowFrames * width).CopyTo(windowMfcc);
            var windowLevels = new FeatureBuffer(1, Math.Max(1, windowFrames));
            foreach (float level in levels.AsSpan().Slice(k * mfccHop, windowFrames))
            {
                windowLevels.AddRow()[0] = level;
            }

            bool[] speech = DecideSpeech(windowLevels);
            double speechSeconds = speech.Count(s => s) * Mfcc.FrameShiftSeconds;

            var msRows = new FeatureBuffer(Modulation.Width, Math.Max(1, Modulation.FrameCount(windowLength)));
            Modulation.CreateStream().PushEnvelopes(envelopes.AsSpan().Slice(k * envelopeHop * bands, windowEnvelopes * bands), msRows);
            FeatureMatrix ms = msRows.ToMatrix(Modulation.FrameShiftSeconds);
            FeatureMatrix? windowProsody = null;
            if (spanProsody is not null)
            {
                windowProsody = new FeatureMatrix(windowFrames, ProsodyExtractor.Width, Prosody.FrameShiftSeconds);
                spanProsody.Data.AsSpan(k * mfccHop * ProsodyExtractor.Width, windowFrames * ProsodyExtractor.Width).CopyTo(windowProsody.Data);
                ReadOnlySpan<float> window = span.Slice(k * hop, windowLength);
                for (int i = 0; i < windowFrames; i++)
                {
                    if (!Prosody.IsInterior(i, windowLength))
                    {
                        Prosody.ComputeFrame(window, i, windowProsody.Row(i));
                    }
                }
            }

            result[k] = new SpeechFeatures(
                windowLength / (double)FeatureConfig.SampleRate,
                new FeatureMatrix(windowMfcc, windowFrames, width, Mfcc.FrameShiftSeconds),
                speech,
                speechSeconds,
                ms,
                Modulation.UtteranceStatistics(ms),
                windowProsody,
                windowProsody is null ? null : Prosody.UtteranceStatistics(windowProsody, speech));
        }

        return result;
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
