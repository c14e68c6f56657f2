using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>Recordings built from known speech and silence, read segment by segment.</summary>
public sealed class SegmentAnalysisTests : IDisposable
{
    private const int Rate = FeatureConfig.SampleRate;
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;
    private readonly EmotionPredictor _predictor;
    private readonly EmotionAnalyzer _analyzer;

    public SegmentAnalysisTests()
    {
        _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _predictor = new EmotionPredictor(_extractor);
        _analyzer = new EmotionAnalyzer(_predictor);
    }

    public void Dispose() => _registry.Dispose();

    private static float[] Espeak() => new WavDecoder().Decode16kFile(TestPaths.EspeakWav);

    private static float[] Silence(double seconds) => new float[(int)(seconds * Rate)];

    [Fact]
    public void The_espeak_clip_alone_is_one_segment()
    {
        float[] clip = Espeak();

        EmotionSegment only = Assert.Single(_analyzer.Analyze(_registry.Get("mlr-ravdess"), clip).Segments);

        Assert.Equal((0.0, clip.Length / (double)Rate), (only.Start, only.End));
    }

    [Fact]
    public void Two_utterances_with_a_second_and_a_half_of_silence_between_are_two_segments_cut_inside_the_silence_each_scored_whole()
    {
        EmotionModel model = _registry.Get("cnn-rnn-ravdess");
        float[] one = Espeak();
        float[] signal = [.. one, .. Silence(1.5), .. one];

        EmotionAnalysis a = _analyzer.Analyze(model, signal);

        Assert.Equal(2, a.Segments.Count);
        double cut = a.Segments[0].End;
        Assert.InRange(cut, one.Length / (double)Rate, (one.Length / (double)Rate) + 1.5);
        Assert.Equal((0.0, cut, signal.Length / (double)Rate), (a.Segments[0].Start, a.Segments[1].Start, a.Segments[1].End));
        foreach (EmotionSegment s in a.Segments)
        {
            EmotionPrediction alone = _predictor.Predict(model, signal.AsSpan((int)Math.Round(s.Start * Rate), (int)Math.Round((s.End - s.Start) * Rate)));
            Assert.Equal(alone.Label, s.Label);
            Assert.All(alone.Probabilities, kv => Assert.Equal(kv.Value, s.Probabilities[kv.Key], 1e-6));
        }
    }

    [Fact]
    public void The_overall_reading_is_the_mean_of_the_segments_weighted_by_their_speech()
    {
        EmotionModel model = _registry.Get("cnn-rnn-ravdess");
        float[] one = Espeak();
        float[] signal = [.. one, .. Silence(1.5), .. one[..(one.Length / 2)], .. Silence(2.5), .. NonSpeechSignals.Beep(3), .. Silence(1)];

        EmotionAnalysis a = _analyzer.Analyze(model, signal);

        var spoken = a.Segments.Where(s => s.Label != EmotionPrediction.NoSpeech).ToList();
        Assert.Equal(2, spoken.Count);
        Assert.Contains(a.Segments, s => s.Label == EmotionPrediction.NoSpeech);
        Assert.NotEqual(spoken[0].SpeechSeconds, spoken[1].SpeechSeconds);
        double total = spoken[0].SpeechSeconds + spoken[1].SpeechSeconds;
        foreach (string label in model.Labels)
        {
            double expected = ((spoken[0].SpeechSeconds * spoken[0].Probabilities[label]) + (spoken[1].SpeechSeconds * spoken[1].Probabilities[label])) / total;
            Assert.Equal(expected, a.Overall.Probabilities[label], 12);
        }

        Assert.Equal(a.Overall.Probabilities.MaxBy(kv => kv.Value).Key, a.Overall.Label);
    }

    [Fact]
    public void Twenty_seconds_of_speech_without_pauses_gives_segments_no_longer_than_the_longest_segment()
    {
        // Corpus-like speech without pauses: the espeak clip's words, its silences left out, back to back.
        float[] one = Espeak();
        float[] words = [.. one.Chunk(160).Where(f => f.Max(Math.Abs) > 0.02).SelectMany(f => f)];
        float[] signal = [.. Enumerable.Repeat(words, (20 * Rate / words.Length) + 1).SelectMany(w => w).Take(20 * Rate)];

        EmotionAnalysis a = _analyzer.Analyze(_registry.Get("mlr-ravdess"), signal);

        Assert.True(a.Segments.Count >= 3, $"{a.Segments.Count} segments");
        Assert.All(a.Segments, s => Assert.InRange(s.End - s.Start, 0.5, _analyzer.Options.MaxSegmentSeconds));
        Assert.All(a.Segments, s => Assert.NotEqual(EmotionPrediction.NoSpeech, s.Label));
        Assert.Equal(20.0, a.Segments[^1].End);
    }

    [Fact]
    public void A_short_blip_of_speech_between_long_silences_makes_no_sub_second_segment()
    {
        float[] one = Espeak();
        float[] blip = one[(Rate / 2)..(Rate * 8 / 10)];
        float[] signal = [.. one, .. Silence(4), .. blip, .. Silence(4), .. one];

        EmotionAnalysis a = _analyzer.Analyze(_registry.Get("mlr-ravdess"), signal);

        Assert.All(a.Segments, s => Assert.True(s.End - s.Start >= _analyzer.Options.MinSegmentSeconds, $"{s.Start}-{s.End}"));
        Assert.Contains(a.Segments, s => s.Start > one.Length / (double)Rate && s.End < (one.Length / (double)Rate) + 8.3);
    }

    [Fact]
    public void A_short_blip_between_short_pauses_joins_the_next_utterance()
    {
        float[] one = Espeak();
        float[] blip = one[(Rate / 2)..(Rate * 8 / 10)];
        float[] signal = [.. one, .. Silence(0.7), .. blip, .. Silence(0.7), .. one];

        EmotionAnalysis a = _analyzer.Analyze(_registry.Get("mlr-ravdess"), signal);

        Assert.Equal(2, a.Segments.Count);
        Assert.InRange(a.Segments[0].End, one.Length / (double)Rate, (one.Length / (double)Rate) + 0.7);
    }

    [Theory]
    [InlineData("silence")]
    [InlineData("beep")]
    [InlineData("sweep")]
    public void Silence_and_tones_are_no_speech_overall_and_in_every_segment(string kind)
    {
        float[] signal = kind switch
        {
            "silence" => Silence(20),
            "beep" => NonSpeechSignals.Beep(20, 0.5),
            _ => [.. NonSpeechSignals.Sweep(200, 3000, true, 6, 10), .. NonSpeechSignals.Sweep(300, 2000, false, 5, 10)],
        };

        EmotionAnalysis a = _analyzer.Analyze(_registry.Get("cnn-rnn-emodb"), signal);

        Assert.Equal(EmotionPrediction.NoSpeech, a.Overall.Label);
        Assert.Empty(a.Overall.Probabilities);
        Assert.True(a.Segments.Count >= 3);
        Assert.All(a.Segments, s => Assert.Equal(EmotionPrediction.NoSpeech, s.Label));
    }

    [Fact]
    public void The_window_timeline_shows_windows_and_keeps_the_overall_reading_of_the_segments()
    {
        EmotionModel model = _registry.Get("cnn-rnn-ravdess");
        float[] one = Espeak();
        float[] signal = [.. one, .. Silence(1.5), .. one];

        EmotionAnalysis segments = _analyzer.Analyze(model, signal);
        EmotionAnalysis windows = _analyzer.Analyze(model, signal, timeline: TimelineMode.Windows);
        EmotionAnalysis configured = new EmotionAnalyzer(_predictor, new TimelineOptions { Mode = TimelineMode.Windows }).Analyze(model, signal);

        Assert.Equal(_analyzer.Windows(signal.Length).Select(w => (w.Start / (double)Rate, (w.Start + w.Length) / (double)Rate)), windows.Segments.Select(s => (s.Start, s.End)));
        Assert.Equal(segments.Overall, windows.Overall with { Probabilities = segments.Overall.Probabilities });
        Assert.Equal(segments.Overall.Probabilities, windows.Overall.Probabilities);
        Assert.Equal(windows.Segments.Select(s => (s.Start, s.End, s.Label)), configured.Segments.Select(s => (s.Start, s.End, s.Label)));
        Assert.Equal(2, _analyzer.Analyze(model, signal, timeline: TimelineMode.Segments).Segments.Count);
    }
}
