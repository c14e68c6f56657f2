using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

public sealed class BatchTests : IDisposable
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;

    public BatchTests() => _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);

    public void Dispose() => _registry.Dispose();

    public static TheoryData<string> ModelIds() => [.. ModelFiles.CardIds()];

    [CorpusTheory] // the speaker-adapted models' profile is EmoDB speaker 03's
    [MemberData(nameof(ModelIds))]
    public void A_batch_of_equal_windows_gives_each_window_its_own_probabilities(string id)
    {
        EmotionModel model = _registry.Get(id);
        float[] speech = new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", "03a01Wa.wav"));
        SpeechFeatures[] windows = [.. new[] { 0, 4000, 8000 }.Select(at => _extractor.Extract(speech.AsSpan(at, 16000), model.UsesProsody))];

        float[]? profile = ModelFiles.ProfileFor(model, _extractor);
        float[][] batched = model.PredictMany(windows, profile);

        Assert.Equal(windows.Length, batched.Length);
        for (int i = 0; i < windows.Length; i++)
        {
            float[] alone = model.Predict(windows[i], profile);
            Assert.Equal(alone.Length, batched[i].Length);
            Assert.All(alone.Zip(batched[i]), p => Assert.Equal(p.First, p.Second, 1e-5f));
        }

        // The windows differ, so a batch that returned one row three times would fail above; make sure they do.
        Assert.NotEqual(model.Predict(windows[0], profile), model.Predict(windows[2], profile));
    }

    [Fact]
    public void Only_graphs_with_a_free_batch_axis_are_batched()
    {
        Assert.True(_registry.Get("cnn-rnn-spk-emodb").CanBatch);
        Assert.False(_registry.Get("svm-emodb").CanBatch); // the hand-built statistics graphs take one utterance
        Assert.False(_registry.Get("cnn-rnn-emodb").CanBatch); // routed: its channel detector reads one utterance's statistics
    }
}
