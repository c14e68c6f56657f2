using System.Diagnostics;
using Microsoft.Extensions.Options;
using Rtser.Api.Predictions;
using Rtser.Audio;
using Rtser.Inference;

namespace Rtser.Api.Analysis;

/// <summary>Upload bytes to a prediction: decode, resample to 16 kHz, timeline and overall label.</summary>
public sealed class AnalysisService(IAudioDecoder decoder, ModelRegistry models, EmotionAnalyzer analyzer, IOptions<RtserOptions> options, TimeProvider clock)
{
    private readonly RtserOptions _options = options.Value;

    public string DefaultModel => _options.DefaultModel;

    public bool TryGetModel(string? id, out EmotionModel model) => models.TryGet(id ?? _options.DefaultModel, out model);

    public IEnumerable<string> ModelIds => models.Models.Select(m => m.Id).Order(StringComparer.Ordinal);

    /// <summary>Throws <see cref="AudioFormatException"/> for input that is not usable audio.</summary>
    public Prediction Analyze(ReadOnlyMemory<byte> upload, string? fileName, EmotionModel model, CancellationToken cancel)
    {
        long start = Stopwatch.GetTimestamp();
        DecodedAudio audio = decoder.Decode(upload);
        if (audio.Samples.Length == 0)
        {
            throw new AudioFormatException(AudioProblem.Empty, "the audio holds no samples");
        }

        cancel.ThrowIfCancellationRequested();
        float[] samples = audio.SampleRate == Resampler.TargetRate
            ? audio.Samples
            : Resampler.ToRate(audio.Samples, audio.SampleRate, Resampler.TargetRate);
        EmotionAnalysis a = analyzer.Analyze(model, samples, cancel);
        EmotionPrediction o = a.Overall;

        // Millisecond precision, as the store keeps it, so the 201 body equals what a later GET returns.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        return new Prediction(
            Guid.CreateVersion7(now),
            now,
            fileName,
            o.Model,
            o.Label,
            o.Confidence,
            o.Probabilities,
            o.DurationSeconds,
            o.SpeechSeconds,
            a.Segments,
            Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
