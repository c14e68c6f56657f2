using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

public sealed class ModelLifetimeTests
{
    [Fact]
    public async Task Disposing_a_model_waits_for_runs_in_flight_and_refuses_later_ones()
    {
        var extractor = new SpeechFeatureExtractor();
        SpeechFeatures features = extractor.Extract(new WavDecoder().Decode16kFile(TestPaths.EspeakWav));
        EmotionModel model = EmotionModel.Load(Path.Combine(ModelFiles.Directory, "cnn-rnn-emodb.json"), extractor);
        int completed = 0, refused = 0;
        using var started = new SemaphoreSlim(0);

        // Freeing the native session under a running Run would crash this process rather than fail the test.
        Task[] runners = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            started.Release();
            while (true)
            {
                try
                {
                    Assert.Equal(model.Labels.Count, model.Predict(features).Length);
                    Interlocked.Increment(ref completed);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
            }
        }))];
        await started.WaitAsync();
        await started.WaitAsync();
        await Task.Delay(50);

        model.Dispose();
        await Task.WhenAll(runners);

        Assert.True(completed > 0);
        Assert.Equal(2, refused);
        Assert.Throws<ObjectDisposedException>(() => model.Predict(features));
    }
}
