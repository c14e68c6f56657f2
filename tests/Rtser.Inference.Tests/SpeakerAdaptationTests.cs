using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>Models that score a recording against its speaker's profile (the mean of earlier recordings' statistics).</summary>
public sealed class SpeakerAdaptationTests : IDisposable
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;
    private readonly EmotionAnalyzer _analyzer;

    public SpeakerAdaptationTests()
    {
        _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _analyzer = new EmotionAnalyzer(new EmotionPredictor(_extractor));
    }

    public void Dispose() => _registry.Dispose();

    private static IEnumerable<string> Adapted() => ModelFiles.CardIds().Where(id => id.StartsWith("cnn-rnn-spk-", StringComparison.Ordinal));

    public static TheoryData<string> AdaptedIds => [.. Adapted()];

    private static float[] Clip(string name) => new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", name));

    [Fact]
    public void Speaker_adapted_models_for_both_corpora_are_committed()
    {
        Assert.Contains("cnn-rnn-spk-emodb", Adapted());
        Assert.Contains("cnn-rnn-spk-ravdess", Adapted());
    }

    [Theory]
    [MemberData(nameof(AdaptedIds))]
    public void An_adapted_model_refuses_to_label_without_a_profile_or_with_one_of_the_wrong_length(string id)
    {
        EmotionModel model = _registry.Get(id);
        SpeechFeatures f = _extractor.Extract(new WavDecoder().Decode16kFile(TestPaths.EspeakWav), model.UsesProsody);

        Assert.True(model.AdaptsToSpeaker);
        Assert.Throws<InvalidOperationException>(() => model.Predict(f));
        Assert.Throws<ArgumentException>(() => model.Predict(f, new float[model.ProfileLength - 1]));
    }

    [Fact]
    public void A_model_without_adaptation_takes_no_profile_and_has_no_statistics()
    {
        EmotionModel model = _registry.Get("cnn-rnn-emodb");
        SpeechFeatures f = _extractor.Extract(new WavDecoder().Decode16kFile(TestPaths.EspeakWav), model.UsesProsody);

        Assert.False(model.AdaptsToSpeaker);
        Assert.Throws<ArgumentException>(() => model.Predict(f, new float[10]));
        Assert.Throws<InvalidOperationException>(() => model.StatisticsMany([f]));
    }

    [CorpusTheory]
    [MemberData(nameof(AdaptedIds))]
    public void A_clip_of_one_window_adds_its_own_statistics_to_the_profile_and_silence_adds_nothing(string id)
    {
        EmotionModel model = _registry.Get(id);
        float[] clip = Clip("03a01Wa.wav"); // 2 s: one window

        float[] added = _analyzer.ProfileStatistics(model, clip)!;
        float[] direct = model.StatisticsMany([_extractor.Extract(clip, model.UsesProsody)])[0];

        Assert.Equal(model.ProfileLength, added.Length);
        Assert.All(added.Zip(direct), p => Assert.Equal(p.Second, p.First, 1e-4f));
        Assert.Null(_analyzer.ProfileStatistics(model, new float[3 * 16000]));
    }

    [CorpusTheory]
    [MemberData(nameof(AdaptedIds))]
    public void A_longer_recording_adds_the_mean_over_its_utterance_segments(string id)
    {
        EmotionModel model = _registry.Get(id);
        float[] a = Clip("03a01Fa.wav"), b = Clip("03a01Nc.wav");
        float[] both = [.. a, .. new float[16000], .. b];

        float[] added = _analyzer.ProfileStatistics(model, both)!;

        // Two utterances, cut inside the second of silence between them (with the model's margins), each one's
        // statistics taken whole.
        SegmentBounds[] segments = [.. _analyzer.Segment(both, model: model).Segments.Where(s => s.HasSpeech)];
        Assert.Equal(2, segments.Length);
        Assert.InRange(segments[0].End, a.Length, a.Length + 16000);
        float[][] rows = model.StatisticsMany([.. segments.Select(s => _extractor.Extract(both.AsSpan((int)s.Start, (int)s.Length), model.UsesProsody))]);
        for (int i = 0; i < model.ProfileLength; i++)
        {
            Assert.Equal((rows[0][i] + rows[1][i]) / 2, added[i], Math.Max(1e-4f, Math.Abs(added[i]) * 1e-5f));
        }
    }

    [CorpusTheory]
    [MemberData(nameof(AdaptedIds))]
    public void One_run_for_probabilities_and_statistics_gives_what_two_runs_give(string id)
    {
        EmotionModel model = _registry.Get(id);
        float[] profile = ModelFiles.ProfileFor(model, _extractor)!;
        SpeechFeatures[] windows = [.. new[] { "03a01Fa.wav", "03a01Nc.wav", "03a01Wa.wav" }.Select(c => _extractor.Extract(Clip(c), model.UsesProsody))];

        (float[][] probabilities, float[][]? read, _) = model.ReadMany(windows, profile, statistics: true);
        float[][] statistics = read!;

        float[][] separate = model.PredictMany(windows, profile), alone = model.StatisticsMany(windows);
        Assert.Equal(3, probabilities.Length);
        Assert.Equal(3, statistics.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.All(probabilities[i].Zip(separate[i]), p => Assert.Equal(p.Second, p.First, 1e-6f));
            Assert.All(statistics[i].Zip(alone[i]), p => Assert.Equal(p.Second, p.First, Math.Max(1e-5f, Math.Abs(p.Second) * 1e-6f)));
        }

        Assert.NotEqual(statistics[0], statistics[1]);
        Assert.Throws<ArgumentException>(() => _registry.Get("cnn-rnn-emodb").ReadMany(windows, profile, statistics: true));
    }

    [CorpusTheory]
    [MemberData(nameof(AdaptedIds))]
    public void An_analysis_asked_for_the_profile_statistics_gives_what_the_recording_adds_whichever_model_answers(string id)
    {
        EmotionModel model = _registry.Get(id);
        EmotionModel fallback = _registry.Get(model.Card.SpeakerAdaptation!.FallbackModel!);
        float[] a = Clip("03a01Fa.wav"), b = Clip("03a01Nc.wav");
        float[] both = [.. a, .. new float[16000], .. b, .. new float[4800]]; // 5.3 s: shared blocks and a tail window
        Assert.NotEqual(0, (both.Length - 48000) % 8000);

        float[] expected = _analyzer.ProfileStatistics(model, both)!;
        EmotionAnalysis adapted = _analyzer.Analyze(model, both, speakerMean: ModelFiles.ProfileFor(model, _extractor), profileModel: model);
        EmotionAnalysis fellBack = _analyzer.Analyze(fallback, both, profileModel: model);
        EmotionAnalysis plain = _analyzer.Analyze(fallback, both);

        Assert.All(adapted.ProfileStatistics!.Zip(expected), p => Assert.Equal(p.Second, p.First, Math.Max(1e-5f, Math.Abs(p.Second) * 1e-6f)));
        Assert.Equal(expected, fellBack.ProfileStatistics);
        Assert.Null(plain.ProfileStatistics);
        Assert.Equal(plain.Overall.Probabilities, fellBack.Overall.Probabilities);
        Assert.Null(_analyzer.Analyze(fallback, new float[4 * 16000], profileModel: model).ProfileStatistics);
    }

    [CorpusTheory]
    [MemberData(nameof(AdaptedIds))]
    public void The_profile_changes_the_reading_and_the_same_profile_gives_the_same_reading(string id)
    {
        EmotionModel model = _registry.Get(id);
        float[] clip = Clip("03a01Wa.wav");
        float[] profile = ModelFiles.ProfileFor(model, _extractor)!;
        float[] other = _analyzer.ProfileStatistics(model, Clip("03a01Wa.wav"))!; // a profile equal to the clip itself

        EmotionAnalysis first = _analyzer.Analyze(model, clip, speakerMean: profile);
        EmotionAnalysis again = _analyzer.Analyze(model, clip, speakerMean: profile);
        EmotionAnalysis moved = _analyzer.Analyze(model, clip, speakerMean: other);

        Assert.Equal(first.Overall.Probabilities, again.Overall.Probabilities);
        Assert.NotEqual(first.Overall.Probabilities, moved.Overall.Probabilities);
        Assert.Equal(1.0, first.Overall.Probabilities.Values.Sum(), 4);
    }
}
