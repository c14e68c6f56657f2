using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>
/// The window timeline (TimelineMode.Windows) shares per-frame work between overlapping windows (ExtractWindows); the result must equal
/// scoring every window alone, bit for bit, since live readings score windows one at a time.
/// </summary>
public sealed class SharedFramesTests : IDisposable
{
    private const int Rate = FeatureConfig.SampleRate;
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;
    private readonly EmotionPredictor _predictor;

    public SharedFramesTests()
    {
        _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _predictor = new EmotionPredictor(_extractor);
    }

    public void Dispose() => _registry.Dispose();

    [Fact]
    public void Windows_extracted_together_equal_each_window_extracted_alone()
    {
        float[] signal = Recording(12.3);
        const int Window = 2 * Rate, Hop = Rate / 2;
        int count = ((signal.Length - Window) / Hop) + 1;

        SpeechFeatures[] shared = _extractor.ExtractWindows(signal, Window, Hop, count);

        Assert.Equal(count, shared.Length);
        for (int k = 0; k < count; k++)
        {
            SpeechFeatures alone = _extractor.Extract(signal.AsSpan(k * Hop, Window));
            Assert.Equal(alone.DurationSeconds, shared[k].DurationSeconds);
            Assert.Equal(alone.SpeechSeconds, shared[k].SpeechSeconds);
            Assert.Equal(alone.Speech, shared[k].Speech);
            Assert.Equal((alone.Mfcc.Frames, alone.Mfcc.Width), (shared[k].Mfcc.Frames, shared[k].Mfcc.Width));
            Assert.Equal(alone.Mfcc.Data.AsSpan(0, alone.Mfcc.Frames * alone.Mfcc.Width), shared[k].Mfcc.Data.AsSpan(0, shared[k].Mfcc.Frames * shared[k].Mfcc.Width));
            Assert.Equal(alone.Modulation.Frames, shared[k].Modulation.Frames);
            Assert.Equal(alone.Modulation.Data.AsSpan(0, alone.Modulation.Frames * alone.Modulation.Width), shared[k].Modulation.Data.AsSpan(0, shared[k].Modulation.Frames * shared[k].Modulation.Width));
            Assert.Equal(alone.ModulationStatistics, shared[k].ModulationStatistics);
            Assert.Equal(alone.Prosody!.Frames, shared[k].Prosody!.Frames);
            Assert.Equal(alone.Prosody.Data, shared[k].Prosody!.Data);
            Assert.Equal(alone.ProsodyStatistics, shared[k].ProsodyStatistics);
        }
    }

    [Theory]
    [InlineData(9.7)]
    [InlineData(9.5)] // the last window on the hop grid too
    [InlineData(75.25)] // more windows than one shared block
    [InlineData(130)] // two full blocks and a short one
    [InlineData(9.7, "svm-emodb")] // reads prosody_stats: shared prosody frames, recomputed window edges
    [InlineData(75.25, "mlr-emodb")]
    public void The_timeline_equals_every_window_scored_alone(double seconds, string id = "cnn-rnn-emodb")
    {
        EmotionModel model = _registry.Get(id);
        float[] signal = Recording(seconds);
        var analyzer = new EmotionAnalyzer(_predictor, new TimelineOptions { Mode = TimelineMode.Windows });

        EmotionAnalysis a = analyzer.Analyze(model, signal);

        IReadOnlyList<(int Start, int Length)> windows = analyzer.Windows(signal.Length);
        Assert.Equal(windows.Count, a.Segments.Count);
        for (int i = 0; i < windows.Count; i++)
        {
            EmotionSegment alone = analyzer.Score(model, signal.AsSpan(windows[i].Start, windows[i].Length), windows[i].Start);
            EmotionSegment shared = a.Segments[i];

            // Batched windows (one ONNX Runtime run) round differently in the last float bits; the features are exact.
            Assert.Equal(alone with { Probabilities = shared.Probabilities, Confidence = shared.Confidence, Channel = shared.Channel }, shared);
            Assert.Equal(alone.Confidence, shared.Confidence, 1e-6);
            Assert.Equal(alone.Probabilities.Keys, shared.Probabilities.Keys);
            Assert.All(alone.Probabilities, kv => Assert.Equal(kv.Value, shared.Probabilities[kv.Key], 1e-6));
            Assert.Equal(alone.Channel?.Heard, shared.Channel?.Heard);
            Assert.Equal(alone.Channel?.Probabilities.Keys, shared.Channel?.Probabilities.Keys);
            Assert.All(alone.Channel?.Probabilities ?? new Dictionary<string, double>(), kv => Assert.Equal(kv.Value, shared.Channel!.Probabilities[kv.Key], 1e-6));
            Assert.Equal(alone.SpeechSeconds, shared.SpeechSeconds);
        }

        Assert.Equal(_extractor.MeasureSpeechSeconds(signal), a.Overall.SpeechSeconds);
    }

    /// <summary>
    /// The espeak clip again and again with a second of silence between, to <paramref name="seconds"/>: its 5.2 s
    /// period is off the 0.5 s hop, so the windows cut speech, pauses and their edges at ever different places.
    /// </summary>
    private static float[] Recording(double seconds)
    {
        float[] s = [.. new WavDecoder().Decode16kFile(TestPaths.EspeakWav), .. new float[Rate]];
        var result = new float[(int)(seconds * Rate)];
        int at = 0;
        while (at < result.Length)
        {
            int take = Math.Min(s.Length, result.Length - at);
            s.AsSpan(0, take).CopyTo(result.AsSpan(at));
            at += take;
        }

        return result;
    }
}
