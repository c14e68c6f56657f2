using Rtser.Features.Pipeline;

namespace Rtser.Inference;

/// <summary>One window of the emotion timeline; <c>no_speech</c> windows carry no probabilities.</summary>
public sealed record EmotionSegment(
    double Start,
    double End,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities);

/// <summary>The overall reading of a recording and its timeline.</summary>
public sealed record EmotionAnalysis(EmotionPrediction Overall, IReadOnlyList<EmotionSegment> Segments);

/// <summary>
/// Slides windows over a recording, scores each with the same predictor a single clip gets, and takes the
/// overall label from the windows that hold speech only, so pauses neither dilute nor decide it.
/// </summary>
public sealed class EmotionAnalyzer
{
    private readonly EmotionPredictor _predictor;

    public EmotionAnalyzer(EmotionPredictor predictor, TimelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        _predictor = predictor;
        Options = (options ?? new TimelineOptions()).Validate();
    }

    public TimelineOptions Options { get; }

    /// <summary>Window boundaries in samples: hop-spaced, every window full length, the last one ending at the end.</summary>
    public IReadOnlyList<(int Start, int Length)> Windows(int samples)
    {
        int window = (int)Math.Round(Options.WindowSeconds * FeatureConfig.SampleRate);
        int hop = (int)Math.Round(Options.HopSeconds * FeatureConfig.SampleRate);
        if (samples <= window)
        {
            return [(0, samples)];
        }

        var windows = new List<(int, int)>();
        int start = 0;
        for (; start + window <= samples; start += hop)
        {
            windows.Add((start, window));
        }

        if (start - hop + window < samples)
        {
            windows.Add((samples - window, window));
        }

        return windows;
    }

    /// <summary>The timeline and overall label of 16 kHz mono samples; checks <paramref name="cancel"/> between windows.</summary>
    public EmotionAnalysis Analyze(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        IReadOnlyList<(int Start, int Length)> windows = Windows(samples16k.Length);
        var segments = new List<EmotionSegment>(windows.Count);
        var sum = new double[model.Labels.Count];
        int speechWindows = 0;
        EmotionPrediction? only = null;
        foreach ((int start, int length) in windows)
        {
            cancel.ThrowIfCancellationRequested();
            EmotionPrediction p = _predictor.Predict(model, samples16k.Slice(start, length));
            only ??= p;
            segments.Add(new EmotionSegment(
                start / (double)FeatureConfig.SampleRate,
                (start + length) / (double)FeatureConfig.SampleRate,
                p.Label,
                p.Confidence,
                p.Probabilities));
            if (p.Label != EmotionPrediction.NoSpeech)
            {
                speechWindows++;
                for (int i = 0; i < sum.Length; i++)
                {
                    sum[i] += p.Probabilities[model.Labels[i]];
                }
            }
        }

        if (windows.Count == 1)
        {
            return new EmotionAnalysis(only!, segments);
        }

        double duration = samples16k.Length / (double)FeatureConfig.SampleRate;
        double speechSeconds = _predictor.Extractor.MeasureSpeechSeconds(samples16k);
        if (speechWindows == 0)
        {
            return new EmotionAnalysis(
                new EmotionPrediction(model.Id, EmotionPrediction.NoSpeech, 0, new Dictionary<string, double>(), duration, speechSeconds),
                segments);
        }

        var probabilities = new Dictionary<string, double>(sum.Length, StringComparer.Ordinal);
        int best = 0;
        for (int i = 0; i < sum.Length; i++)
        {
            probabilities[model.Labels[i]] = sum[i] / speechWindows;
            best = sum[i] > sum[best] ? i : best;
        }

        var overall = new EmotionPrediction(model.Id, model.Labels[best], sum[best] / speechWindows, probabilities, duration, speechSeconds);
        return new EmotionAnalysis(overall, segments);
    }
}
