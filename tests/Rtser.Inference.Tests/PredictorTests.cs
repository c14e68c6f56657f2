using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

public sealed class PredictorTests : IDisposable
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;

    public PredictorTests() => _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);

    public void Dispose() => _registry.Dispose();

    public static TheoryData<string> ModelIds => [.. ModelFiles.CardIds()];

    [CorpusTheory] // the speaker-adapted models' profile is EmoDB speaker 03's
    [MemberData(nameof(ModelIds))]
    public void Silence_gets_no_speech_and_no_emotion(string id)
    {
        EmotionModel model = _registry.Get(id);
        var p = new EmotionPredictor(_extractor).Predict(model, new float[3 * 16000], ModelFiles.ProfileFor(model, _extractor));
        Assert.Equal(EmotionPrediction.NoSpeech, p.Label);
        Assert.Equal(0, p.Confidence);
        Assert.Empty(p.Probabilities);
        Assert.Equal(3.0, p.DurationSeconds, 6);
    }

    [CorpusTheory]
    [MemberData(nameof(ModelIds))]
    public void Speech_gets_a_label_from_the_model_with_probabilities_summing_to_one(string id)
    {
        EmotionModel model = _registry.Get(id);
        float[] speech = new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", "03a01Wa.wav"));
        var p = new EmotionPredictor(_extractor).Predict(model, speech, ModelFiles.ProfileFor(model, _extractor));

        Assert.Contains(p.Label, model.Labels);
        Assert.Equal(model.Labels.Count, p.Probabilities.Count);
        Assert.Equal(1.0, p.Probabilities.Values.Sum(), 4);
        Assert.Equal(p.Probabilities.Values.Max(), p.Confidence, 6);
        Assert.True(p.SpeechSeconds > 1.0);
    }
}
