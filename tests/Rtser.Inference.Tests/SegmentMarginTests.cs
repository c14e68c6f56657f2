using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>A segment cut from a long recording keeps the silence margin its model's training clips had.</summary>
public sealed class SegmentMarginTests : IDisposable
{
    private const int Rate = 16000;
    private readonly ModelRegistry _models = ModelRegistry.Load(ModelFiles.Directory, new SpeechFeatureExtractor());

    public void Dispose() => _models.Dispose();

    /// <summary>Two copies of the committed espeak speech with <paramref name="pauseSeconds"/> of silence between them.</summary>
    private static float[] TwoUtterancesApart(double pauseSeconds)
    {
        float[] speech = new MediaDecoder().Decode16kFile(TestPaths.EspeakWav);
        return [.. speech, .. new float[(int)(pauseSeconds * Rate)], .. speech];
    }

    [Theory]
    [InlineData("mlr-emodb")]
    [InlineData("mlr-ravdess")]
    public void The_pause_between_two_utterances_keeps_the_models_margin_on_each_side(string id)
    {
        EmotionModel model = _models.Get(id);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(new SpeechFeatureExtractor()));
        double margin = analyzer.MarginFor(model);
        double pause = 3.0;

        IReadOnlyList<SegmentBounds> segments = analyzer.Segment(TwoUtterancesApart(pause), model: model).Segments;

        // speech, the pause less a margin on each side, speech: the silent segment in the middle measures the margin
        SegmentBounds[] silent = [.. segments.Where(s => !s.HasSpeech && s.Start > 0 && s.End < segments[^1].End)];
        Assert.Single(silent);
        double kept = (pause - (silent[0].Length / (double)Rate)) / 2;
        Assert.InRange(kept, margin - 0.25, margin + 0.25);
    }

    [Fact]
    public void The_corpora_margins_differ_as_their_clips_do()
    {
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(new SpeechFeatureExtractor()));

        // EmoDB clips hold about 0.05 s of silence around speech (kept at the floor), RAVDESS clips about 0.9 s
        Assert.Equal(EmotionAnalyzer.MinModelMarginSeconds, analyzer.MarginFor(_models.Get("mlr-emodb")), 3);
        Assert.InRange(analyzer.MarginFor(_models.Get("mlr-ravdess")), 0.7, 1.0);
        Assert.Equal(analyzer.Options.MarginSeconds, analyzer.MarginFor(null));
    }
}
