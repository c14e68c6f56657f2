using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;
using Xunit.Abstractions;

namespace Rtser.Inference.Tests;

/// <summary>The served path reads a corpus clip as training and the evaluation read it: whole.</summary>
public sealed class CorpusSegmentTests(ITestOutputHelper output) : IDisposable
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _models = ModelRegistry.Load(ModelFiles.Directory, new SpeechFeatureExtractor());

    public void Dispose() => _models.Dispose();

    private static IEnumerable<string> EmoDb() => Directory.EnumerateFiles(Path.Combine(TestPaths.Datasets, "emodb", "wav"), "*.wav").Order(StringComparer.Ordinal);

    private static IEnumerable<string> Ravdess() => Directory.EnumerateFiles(Path.Combine(TestPaths.Datasets, "ravdess"), "*.wav", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>Every 25th clip from the 3rd (EmoDB) or every 50th from the 7th (RAVDESS): 20 of each spread over speakers and emotions.</summary>
    public static TheoryData<string, string> Clips()
    {
        var data = new TheoryData<string, string>();
        if (!TestPaths.HasDatasets)
        {
            data.Add("cnn-rnn-emodb", "absent");
            return data;
        }

        foreach (string f in EmoDb().Where((_, i) => i % 25 == 3).Take(20))
        {
            data.Add("cnn-rnn-emodb", Path.GetRelativePath(TestPaths.Datasets, f));
        }

        foreach ((string f, int k) in Ravdess().Where((_, i) => i % 50 == 7).Take(20).Select((f, k) => (f, k)))
        {
            data.Add(k % 2 == 0 ? "cnn-rnn-ravdess" : "mlr-ravdess", Path.GetRelativePath(TestPaths.Datasets, f));
        }

        return data;
    }

    [CorpusTheory]
    [MemberData(nameof(Clips))]
    public void A_corpus_clip_reads_as_the_whole_clip_scored_alone(string model, string clip)
    {
        EmotionModel m = _models.Get(model);
        var predictor = new EmotionPredictor(_extractor);
        float[] samples = new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, clip));

        EmotionAnalysis served = new EmotionAnalyzer(predictor).Analyze(m, samples);
        EmotionPrediction whole = predictor.Predict(m, samples);

        EmotionSegment segment = Assert.Single(served.Segments);
        Assert.Equal((0.0, samples.Length / 16000.0), (segment.Start, segment.End));
        Assert.Equal(whole.Label, served.Overall.Label);
        Assert.Equal(whole.SpeechSeconds, served.Overall.SpeechSeconds);
        Assert.Equal(whole.Probabilities.Keys, served.Overall.Probabilities.Keys);
        Assert.All(whole.Probabilities, kv => Assert.Equal(kv.Value, served.Overall.Probabilities[kv.Key], 1e-5));
    }

    [CorpusTheory]
    [InlineData("cnn-rnn-spk-ravdess", "ravdess/Actor_02/03-01-05-02-01-01-02.wav")]
    [InlineData("cnn-rnn-spk-ravdess", "ravdess/Actor_11/03-01-03-01-02-02-11.wav")]
    [InlineData("cnn-rnn-spk-ravdess", "ravdess/Actor_17/03-01-08-02-02-01-17.wav")]
    public void A_corpus_clip_adds_its_whole_clip_statistics_to_its_speakers_profile(string model, string clip)
    {
        EmotionModel m = _models.Get(model);
        float[] samples = new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, clip));

        float[] added = new EmotionAnalyzer(new EmotionPredictor(_extractor)).ProfileStatistics(m, samples)!;
        float[] whole = m.StatisticsMany([_extractor.Extract(samples, m.UsesProsody)])[0];

        Assert.True(samples.Length > 3 * 16000); // longer than a 2 s window: the windows averaged several
        Assert.Equal(whole, added);
    }

    [CorpusFact]
    public void Nearly_every_corpus_clip_is_one_segment()
    {
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(_extractor));
        var decoder = new WavDecoder();
        string[] clips = [.. EmoDb(), .. Ravdess()];
        var cut = clips.Where(c => analyzer.Segment(decoder.Decode16kFile(c)).Segments.Count > 1).ToList();

        output.WriteLine($"{cut.Count} of {clips.Length} corpus clips are cut into more than one segment: {string.Join(", ", cut.Select(Path.GetFileName))}");
        Assert.Equal(1615, clips.Length);
        Assert.True(cut.Count <= clips.Length * 0.02, $"{cut.Count} of {clips.Length} clips are cut");
    }
}
