using Rtser.Features.Pipeline;

namespace Rtser.Inference;

/// <summary>The label for one utterance, or "no_speech" when there is too little speech to say anything.</summary>
public sealed record EmotionPrediction(
    string Model,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities,
    double DurationSeconds,
    double SpeechSeconds)
{
    public const string NoSpeech = "no_speech";
}

/// <summary>Features then model, the path the CLI's predict and the service share.</summary>
public sealed class EmotionPredictor(SpeechFeatureExtractor extractor)
{
    public SpeechFeatureExtractor Extractor { get; } = extractor;

    public EmotionPrediction Predict(EmotionModel model, ReadOnlySpan<float> samples16k)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Predict(model, Extractor.Extract(samples16k, model.UsesProsody));
    }

    /// <summary>The same decision on features already extracted (by <see cref="SpeechFeatureExtractor.Extract"/> or its window-sharing twin).</summary>
    public EmotionPrediction Predict(EmotionModel model, SpeechFeatures f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(f);
        if (f.SpeechSeconds < Extractor.Config.SpeechActivity.MinSpeechSeconds || f.Modulation.Frames == 0)
        {
            // Never a confident label on silence or noise.
            return new EmotionPrediction(model.Id, EmotionPrediction.NoSpeech, 0, new Dictionary<string, double>(), f.DurationSeconds, f.SpeechSeconds);
        }

        float[] p = model.Predict(f);
        var probabilities = new Dictionary<string, double>(p.Length, StringComparer.Ordinal);
        for (int i = 0; i < p.Length; i++)
        {
            probabilities[model.Labels[i]] = p[i];
        }

        int best = Array.IndexOf(p, p.Max());
        return new EmotionPrediction(model.Id, model.Labels[best], p[best], probabilities, f.DurationSeconds, f.SpeechSeconds);
    }
}
