using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

public sealed class AnalyzerTests : IDisposable
{
    private const int Rate = FeatureConfig.SampleRate;
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;
    private readonly EmotionPredictor _predictor;

    public AnalyzerTests()
    {
        _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _predictor = new EmotionPredictor(_extractor);
    }

    public void Dispose() => _registry.Dispose();

    [Theory]
    [InlineData(0, new[] { 0 })]
    [InlineData(32000, new[] { 0 })]
    [InlineData(40000, new[] { 0, 8000 })]
    [InlineData(44000, new[] { 0, 8000, 12000 })]
    [InlineData(48000, new[] { 0, 8000, 16000 })]
    public void Windows_are_hop_spaced_full_length_and_the_last_ends_at_the_end(int samples, int[] starts)
    {
        var windows = new EmotionAnalyzer(_predictor).Windows(samples);

        Assert.Equal(starts, windows.Select(w => w.Start));
        Assert.All(windows, w => Assert.Equal(Math.Min(samples, 32000), w.Length));
        Assert.Equal(samples, windows[^1].Start + windows[^1].Length);
    }

    [Fact]
    public void A_clip_no_longer_than_one_window_gets_exactly_the_single_clip_prediction()
    {
        EmotionModel model = _registry.Get("cnn-rnn-emodb");
        float[] clip = Speech()[..(2 * Rate)];

        EmotionAnalysis a = new EmotionAnalyzer(_predictor).Analyze(model, clip);
        EmotionPrediction single = _predictor.Predict(model, clip);

        Assert.Equal(single, a.Overall with { Probabilities = single.Probabilities, Channel = single.Channel });
        Assert.Equal(single.Probabilities, a.Overall.Probabilities);
        Assert.Equal(single.Channel!.Heard, a.Overall.Channel!.Heard);
        Assert.Equal(single.Channel.Probabilities, a.Overall.Channel.Probabilities);
        EmotionSegment segment = Assert.Single(a.Segments);
        Assert.Equal((0.0, 2.0), (segment.Start, segment.End));
    }

    [Fact]
    public void Speech_between_long_silences_is_one_segment_with_a_margin_of_silence_and_decides_the_overall_label_alone()
    {
        EmotionModel model = _registry.Get("cnn-rnn-emodb");
        float[] speech = Speech();
        float[] signal = [.. new float[6 * Rate], .. speech, .. new float[6 * Rate]];
        double end = 6 + (speech.Length / (double)Rate);

        var analyzer = new EmotionAnalyzer(_predictor);
        double margin = analyzer.MarginFor(model); // the silence this model's training clips kept

        EmotionAnalysis a = analyzer.Analyze(model, signal);

        Assert.Equal(3, a.Segments.Count);
        Assert.All(new[] { a.Segments[0], a.Segments[2] }, s =>
        {
            Assert.Equal(EmotionPrediction.NoSpeech, s.Label);
            Assert.Empty(s.Probabilities);
        });
        EmotionSegment spoken = a.Segments[1];
        Assert.InRange(spoken.Start, 6 - margin - 0.1, 6 - margin + 0.1); // the margin before the speech the detector found (its onset a few frames in)
        Assert.InRange(spoken.End, end - 0.3 + margin, end - 0.05 + margin); // the clip's words end 0.35 s before it; the detector's 0.2 s hangover, then the margin
        EmotionPrediction alone = _predictor.Predict(model, signal.AsSpan((int)Math.Round(spoken.Start * Rate), (int)Math.Round((spoken.End - spoken.Start) * Rate)));
        Assert.Equal(alone.Probabilities, a.Overall.Probabilities);
        Assert.Equal(alone.Label, a.Overall.Label);
        Assert.Equal(signal.Length / (double)Rate, a.Overall.DurationSeconds, 6);
        Assert.InRange(a.Overall.SpeechSeconds, 0.5 * speech.Length / Rate, speech.Length / (double)Rate + 0.3);
    }

    [Fact]
    public void Speech_between_long_silences_is_labelled_only_where_it_is_in_the_window_timeline()
    {
        EmotionModel model = _registry.Get("cnn-rnn-emodb");
        float[] speech = Speech();
        float[] signal = [.. new float[6 * Rate], .. speech, .. new float[6 * Rate]];

        EmotionAnalysis a = new EmotionAnalyzer(_predictor, new TimelineOptions { Mode = TimelineMode.Windows }).Analyze(model, signal);

        Assert.All(a.Segments.Where(s => s.End <= 5.5 || s.Start >= 6 + (speech.Length / (double)Rate) + 0.5), s =>
        {
            Assert.Equal(EmotionPrediction.NoSpeech, s.Label);
            Assert.Empty(s.Probabilities);
        });
        var spoken = a.Segments.Where(s => s.Label != EmotionPrediction.NoSpeech).ToList();
        Assert.True(spoken.Count >= 4);
        Assert.All(spoken, s => Assert.Equal(1.0, s.Probabilities.Values.Sum(), 4));
        Assert.Equal(new EmotionAnalyzer(_predictor).Analyze(model, signal).Overall.Probabilities, a.Overall.Probabilities);
    }

    [Fact]
    public void Long_silence_gets_no_speech_overall_in_every_segment_and_in_every_window()
    {
        EmotionAnalysis a = new EmotionAnalyzer(_predictor).Analyze(_registry.Get("svm-emodb"), new float[10 * Rate]);
        EmotionAnalysis w = new EmotionAnalyzer(_predictor).Analyze(_registry.Get("svm-emodb"), new float[10 * Rate], timeline: TimelineMode.Windows);

        Assert.Equal(EmotionPrediction.NoSpeech, a.Overall.Label);
        Assert.Equal(0, a.Overall.SpeechSeconds);
        Assert.Empty(a.Overall.Probabilities);
        Assert.Equal([(0.0, 8.0), (8.0, 10.0)], a.Segments.Select(s => (s.Start, s.End))); // cut at the longest segment
        Assert.All(a.Segments, s => Assert.Equal(EmotionPrediction.NoSpeech, s.Label));
        Assert.Equal(17, w.Segments.Count);
        Assert.All(w.Segments, s => Assert.Equal(EmotionPrediction.NoSpeech, s.Label));
        Assert.Equal(EmotionPrediction.NoSpeech, w.Overall.Label);
    }

    [Fact]
    public void A_cancelled_request_stops_between_windows()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.Throws<OperationCanceledException>(() =>
            new EmotionAnalyzer(_predictor).Analyze(_registry.Get("cnn-rnn-emodb"), new float[60 * Rate], cancel.Token));
    }

    [Fact]
    public void Measuring_speech_alone_agrees_with_full_extraction() =>
        Assert.Equal(_extractor.Extract(Speech()).SpeechSeconds, _extractor.MeasureSpeechSeconds(Speech()), 9);

    [Fact]
    public void Options_outside_their_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmotionAnalyzer(_predictor, new TimelineOptions { WindowSeconds = 0.1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmotionAnalyzer(_predictor, new TimelineOptions { HopSeconds = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmotionAnalyzer(_predictor, new TimelineOptions { WindowSeconds = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmotionAnalyzer(_predictor, new TimelineOptions { MaxSegmentSeconds = 100 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmotionAnalyzer(_predictor, new TimelineOptions { MinPauseSeconds = -1 }));
    }

    private static float[] Speech() => new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
}
