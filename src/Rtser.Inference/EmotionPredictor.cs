using Rtser.Features.Pipeline;
using Rtser.Features.Vad;

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

    /// <summary>How the model's channel detector heard the audio; null for a model without one and for no_speech.</summary>
    public ChannelReading? Channel { get; init; }
}

/// <summary>Features then model, the path the CLI's predict and the service share.</summary>
/// <param name="likeness">The speech-likeness check's thresholds (<see cref="SpeechLikeness"/>); on by default.</param>
public sealed class EmotionPredictor(SpeechFeatureExtractor extractor, SpeechLikenessOptions? likeness = null)
{
    /// <summary>Windows scored per ONNX Runtime run at most.</summary>
    public const int MaxBatch = 16;

    public SpeechFeatureExtractor Extractor { get; } = extractor;

    /// <summary>Turns away windows whose energy swings like speech but which are tones, beeps, music or modulated noise.</summary>
    public SpeechLikeness Likeness { get; } = new(extractor.Config, likeness);

    public EmotionPrediction Predict(EmotionModel model, ReadOnlySpan<float> samples16k, float[]? speakerMean = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Predict(model, Extractor.Extract(samples16k, model.UsesProsody), speakerMean);
    }

    /// <summary>
    /// Whether the features hold enough speech to say anything (else the answer is no_speech): see
    /// <see cref="SpeechLikeness.HasSpeech"/>, which with the check off asks only the energy detector.
    /// </summary>
    public bool HasSpeech(SpeechFeatures f) => Likeness.HasSpeech(f);

    /// <summary>The same decision on features already extracted (by <see cref="SpeechFeatureExtractor.Extract"/> or its window-sharing twin).</summary>
    public EmotionPrediction Predict(EmotionModel model, SpeechFeatures f, float[]? speakerMean = null) => PredictMany(model, [f], speakerMean)[0];

    /// <summary>
    /// The decisions for several utterances (a recording's segments or windows), the ones with speech scored in one
    /// batch; <paramref name="speakerMean"/> is the speaker's profile for a model that adapts to the speaker, which
    /// then also appends the utterance statistics of the ones with speech to <paramref name="statistics"/> (from the
    /// same runs) when given.
    /// </summary>
    public EmotionPrediction[] PredictMany(EmotionModel model, IReadOnlyList<SpeechFeatures> items, float[]? speakerMean = null, List<float[]>? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        var results = new EmotionPrediction[items.Count];
        var speech = new List<int>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            SpeechFeatures f = items[i];
            if (!HasSpeech(f))
            {
                // Never a confident label on silence, noise, tones or music; what the energy detector counted in a
                // window the speech-likeness check turned away was not speech either.
                bool energetic = f.SpeechSeconds >= Extractor.Config.SpeechActivity.MinSpeechSeconds && f.Modulation.Frames > 0;
                results[i] = new EmotionPrediction(model.Id, EmotionPrediction.NoSpeech, 0, new Dictionary<string, double>(), f.DurationSeconds, energetic ? 0 : f.SpeechSeconds);
            }
            else
            {
                speech.Add(i);
            }
        }

        // Batches of a bounded size: the gain flattens out well before, and ONNX Runtime's buffers grow with it.
        var scores = new List<float[]>(speech.Count);
        var channels = new List<float[]>(speech.Count);
        bool withStatistics = statistics is not null && speakerMean is not null;
        foreach (int[] chunk in speech.Chunk(MaxBatch))
        {
            (float[][] p, float[][]? s, float[][]? c) = model.ReadMany([.. chunk.Select(i => items[i])], speakerMean, withStatistics);
            scores.AddRange(p);
            statistics?.AddRange(s ?? []);
            channels.AddRange(c ?? []);
        }

        for (int k = 0; k < speech.Count; k++)
        {
            SpeechFeatures f = items[speech[k]];
            float[] p = scores[k];
            var probabilities = new Dictionary<string, double>(p.Length, StringComparer.Ordinal);
            for (int i = 0; i < p.Length; i++)
            {
                probabilities[model.Labels[i]] = p[i];
            }

            int best = Array.IndexOf(p, p.Max());
            results[speech[k]] = new EmotionPrediction(model.Id, model.Labels[best], p[best], probabilities, f.DurationSeconds, Likeness.SpeechSeconds(f))
            {
                Channel = model.ChannelLabels is { } channelLabels ? ChannelReading.From(channelLabels, channels[k]) : null,
            };
        }

        return results;
    }

    /// <summary>Appends the utterance statistics of the items with speech (what a speaker profile averages) to <paramref name="statistics"/>.</summary>
    public void AddStatistics(EmotionModel model, IReadOnlyList<SpeechFeatures> items, List<float[]> statistics)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(statistics);
        foreach (SpeechFeatures[] chunk in items.Where(HasSpeech).Chunk(MaxBatch))
        {
            statistics.AddRange(model.StatisticsMany(chunk));
        }
    }
}
