using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

public sealed class EmotionStreamTests : IDisposable
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _models;
    private readonly EmotionAnalyzer _analyzer;

    public EmotionStreamTests()
    {
        _models = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _analyzer = new EmotionAnalyzer(new EmotionPredictor(_extractor));
    }

    public void Dispose() => _models.Dispose();

    /// <summary>The espeak clip repeated to the length asked for.</summary>
    private static float[] Speech(double seconds)
    {
        float[] one = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[] all = new float[(int)Math.Round(seconds * 16000)];
        for (int at = 0; at < all.Length; at += one.Length)
        {
            one.AsSpan(0, Math.Min(one.Length, all.Length - at)).CopyTo(all.AsSpan(at));
        }

        return all;
    }

    /// <summary>The espeak clip, a pause of 0.8 s, the clip, 5 s of silence, and again, to the length asked for.</summary>
    private static float[] WithPauses(double seconds)
    {
        float[] one = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[] period = [.. one, .. new float[12800], .. one, .. new float[80000]];
        return [.. Enumerable.Repeat(period, (int)(seconds * 16000 / period.Length) + 1).SelectMany(p => p).Take((int)(seconds * 16000))];
    }

    private static (List<EmotionSegment> Readings, EmotionSegment? Last, EmotionAnalysis Summary) Run(EmotionStream stream, float[] audio, int chunk)
    {
        var readings = new List<EmotionSegment>();
        foreach (float[] c in audio.Chunk(chunk))
        {
            readings.AddRange(stream.Push(c));
        }

        (EmotionSegment? last, EmotionAnalysis summary) = stream.Finish();
        return (readings, last, summary);
    }

    [Theory]
    [InlineData(1.3)]
    [InlineData(2.0)]
    [InlineData(3.7)]
    [InlineData(6.0)]
    [InlineData(21.0)] // cut at the longest segment
    [InlineData(30.0, true)] // utterances, pauses and long silences
    public void A_stream_fed_in_chunks_summarises_as_the_upload_of_the_same_audio_reads(double seconds, bool pauses = false)
    {
        EmotionModel model = _models.Get("cnn-rnn-emodb");
        float[] audio = pauses ? WithPauses(seconds) : Speech(seconds);

        EmotionAnalysis live = Run(new EmotionStream(_analyzer, model), audio, 777).Summary;
        EmotionAnalysis upload = _analyzer.Analyze(model, audio);

        Assert.Equal(upload.Overall.Label, live.Overall.Label);
        // Uploads score their windows in batches, a stream one at a time: equal up to float rounding.
        Assert.Equal(upload.Overall.Probabilities.Keys, live.Overall.Probabilities.Keys);
        Assert.All(upload.Overall.Probabilities, kv => Assert.Equal(kv.Value, live.Overall.Probabilities[kv.Key], 1e-6));
        Assert.Equal(upload.Overall.SpeechSeconds, live.Overall.SpeechSeconds, 9);
        Assert.Equal(upload.Segments.Select(s => (s.Start, s.End, s.Label)), live.Segments.Select(s => (s.Start, s.End, s.Label)));
        Assert.Null(live.ProfileStatistics);
        Assert.True(seconds < 20 || live.Segments.Count >= 3, $"{live.Segments.Count} segments");
    }

    [Fact]
    public void A_stream_with_the_window_timeline_summarises_its_full_windows_with_the_segments_overall_reading()
    {
        EmotionModel model = _models.Get("cnn-rnn-emodb");
        float[] audio = WithPauses(12);
        var windows = new EmotionAnalyzer(new EmotionPredictor(_extractor), new TimelineOptions { Mode = TimelineMode.Windows });

        EmotionAnalysis live = Run(new EmotionStream(windows, model), audio, 1000).Summary;
        EmotionAnalysis upload = windows.Analyze(model, audio);

        Assert.Equal(upload.Segments.Select(s => (s.Start, s.End, s.Label)), live.Segments.Select(s => (s.Start, s.End, s.Label)));
        Assert.Equal(upload.Overall.Label, live.Overall.Label);
        Assert.All(upload.Overall.Probabilities, kv => Assert.Equal(kv.Value, live.Overall.Probabilities[kv.Key], 1e-6));
    }

    [Fact]
    public void A_stream_reads_every_hop_over_the_last_window_and_once_more_at_the_end()
    {
        (List<EmotionSegment> readings, EmotionSegment? last, _) = Run(new EmotionStream(_analyzer, _models.Get("cnn-rnn-emodb")), Speech(3.2), 333);

        Assert.Equal([0.5, 1, 1.5, 2, 2.5, 3], readings.Select(r => Math.Round(r.End, 3)));
        Assert.Equal([0, 0, 0, 0, 0.5, 1], readings.Select(r => Math.Round(r.Start, 3)));
        Assert.Equal((1.2, 3.2), (Math.Round(last!.Start, 3), Math.Round(last.End, 3)));
    }

    [Fact]
    public void A_stopped_stream_without_audio_has_no_last_reading_and_no_speech()
    {
        (EmotionSegment? last, EmotionAnalysis summary) = new EmotionStream(_analyzer, _models.Get("cnn-rnn-emodb")).Finish();

        Assert.Null(last);
        Assert.Equal(EmotionPrediction.NoSpeech, summary.Overall.Label);
        Assert.Empty(summary.Segments);
    }

    [CorpusTheory] // the profile is EmoDB speaker 03's
    [InlineData(2, true)]
    [InlineData(7, false)]
    public void A_speaker_adapted_stream_is_read_by_whichever_model_the_profile_allows_and_adds_to_the_profile_what_an_upload_adds(int minimum, bool applied)
    {
        EmotionModel model = _models.Get("cnn-rnn-spk-emodb");
        float[][] earlier = [.. ModelFiles.ProfileClips.Select(c => _analyzer.ProfileStatistics(model, new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", c)))!)];
        SpeakerProfile profile = new SpeakerProfilePolicy(_models, minimum).Profile(model, earlier.Select(s => new ProfileRecording(s)));
        float[] audio = Speech(4.3);

        var stream = new EmotionStream(_analyzer, model, profile);
        EmotionAnalysis live = Run(stream, audio, 1600).Summary;
        EmotionAnalysis upload = _analyzer.Analyze(profile.Answering, audio, speakerMean: profile.Mean, profileModel: model);

        Assert.Equal(applied, profile.Applied);
        Assert.Same(applied ? model : _models.Get("cnn-rnn-emodb"), stream.Model);
        Assert.Equal(upload.Overall.Label, live.Overall.Label);
        Assert.All(upload.Overall.Probabilities, kv => Assert.Equal(kv.Value, live.Overall.Probabilities[kv.Key], 1e-5));
        Assert.All(live.ProfileStatistics!.Zip(upload.ProfileStatistics!), p => Assert.Equal(p.Second, p.First, Math.Max(1e-4f, Math.Abs(p.Second) * 1e-5f)));
        Assert.Throws<ArgumentException>(() => new EmotionStream(_analyzer, model));
    }
}
