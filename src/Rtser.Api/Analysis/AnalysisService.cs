using System.Diagnostics;
using Microsoft.Extensions.Options;
using Rtser.Api.Predictions;
using Rtser.Audio;
using Rtser.Inference;

namespace Rtser.Api.Analysis;

/// <summary>
/// A speaker's profile for a speaker-adapted model: the mean of the latest recordings' statistics when there are
/// at least <paramref name="Required"/> of them (else null, and <paramref name="Fallback"/> answers), emotion-compensated
/// when <paramref name="Compensated"/> (EmotionModel.Profile).
/// </summary>
public sealed record SpeakerProfile(float[]? Mean, int Recordings, int Required, EmotionModel Fallback, IReadOnlyDictionary<string, int>? Labels = null, bool Compensated = false)
{
    /// <summary>What a response says about the profile <paramref name="model"/> asked for.</summary>
    public SpeakerAdaptation AdaptationFor(EmotionModel model) => new(model.Id, Mean is not null, Recordings, Required, Labels, Warning, Compensated);

    /// <summary>How many of the profile's recordings were given each label, most frequent first.</summary>
    public static IReadOnlyDictionary<string, int> CountLabels(IEnumerable<string> labels) =>
        labels.GroupBy(l => l, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>
    /// A caution when more than half of an applied profile (one with a <see cref="Mean"/>) was read as one emotion:
    /// the model takes the profile as the speaker's normal voice, so it under-reads that emotion (measured by
    /// training/profile_skew.py).
    /// </summary>
    public string? Warning
    {
        get
        {
            if (Mean is null || Labels is null || Labels.Count == 0)
            {
                return null;
            }

            (string label, int n) = (Labels.First().Key, Labels.First().Value);
            return 2 * n > Recordings
                ? $"{n} of the {Recordings} recordings in this speaker's profile read as {label}; a profile dominated by one emotion makes that emotion read less often"
                : null;
        }
    }
}

/// <summary>A prediction and what its recording adds to the speaker's profile (speaker-adapted models only).</summary>
public sealed record AnalysisResult(Prediction Prediction, float[]? ProfileStatistics);

/// <summary>Upload bytes to a prediction: decode, resample to 16 kHz, timeline and overall label.</summary>
public sealed class AnalysisService(IAudioDecoder decoder, ModelRegistry models, EmotionAnalyzer analyzer, IOptions<RtserOptions> options, TimeProvider clock)
{
    private readonly RtserOptions _options = options.Value;

    public string DefaultModel => _options.DefaultModel;

    public bool TryGetModel(string? id, out EmotionModel model) => models.TryGet(id ?? _options.DefaultModel, out model);

    public IEnumerable<string> ModelIds => models.Models.Select(m => m.Id).Order(StringComparer.Ordinal);

    /// <summary>
    /// The most seconds of audio <paramref name="upload"/> decodes to, from its headers (at most the duration limit):
    /// what it reserves of <see cref="InferenceGate"/>'s audio budget.
    /// </summary>
    public double AudioSeconds(ReadOnlyMemory<byte> upload) => Math.Min(decoder.MaxSeconds(upload), _options.MaxDurationSeconds);

    /// <summary>
    /// Throws <see cref="AudioFormatException"/> for input that is not usable audio. A speaker-adapted
    /// <paramref name="model"/> needs the <paramref name="speaker"/>'s <paramref name="profile"/>.
    /// </summary>
    public AnalysisResult Analyze(ReadOnlyMemory<byte> upload, string? fileName, EmotionModel model, CancellationToken cancel, string? speaker = null, SpeakerProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.AdaptsToSpeaker && profile is null)
        {
            throw new ArgumentException($"model '{model.Id}' needs the speaker's profile", nameof(profile));
        }

        long start = Stopwatch.GetTimestamp();
        // Straight to 16 kHz: Opus is resampled as it is decoded, so its 48 kHz audio is never held whole.
        float[] samples = decoder.DecodeAt(upload, Resampler.TargetRate).Samples;
        if (samples.Length == 0)
        {
            throw new AudioFormatException(AudioProblem.Empty, "the audio holds no samples");
        }

        cancel.ThrowIfCancellationRequested();
        EmotionModel answering = model;
        float[]? mean = null;
        SpeakerAdaptation? adaptation = null;
        if (profile is not null && model.AdaptsToSpeaker)
        {
            mean = profile.Mean;
            answering = mean is null ? profile.Fallback : model;
            adaptation = profile.AdaptationFor(model);
        }

        // The recording's own statistics (from the windows just scored) join the profile only after it is scored:
        // a profile is made of earlier recordings, as in the evaluation, never of the one being scored.
        EmotionAnalysis a = analyzer.Analyze(answering, samples, cancel, mean, adaptation is null ? null : model);
        float[]? statistics = a.ProfileStatistics;
        EmotionPrediction o = a.Overall;

        // Millisecond precision, as the store keeps it, so the 201 body equals what a later GET returns.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        var prediction = new Prediction(
            Guid.CreateVersion7(now),
            now,
            fileName,
            o.Model,
            o.Label,
            o.Confidence,
            o.Probabilities,
            o.DurationSeconds,
            o.SpeechSeconds,
            TimelineSegment.Of(a.Segments),
            Stopwatch.GetElapsedTime(start).TotalMilliseconds,
            speaker,
            adaptation);
        return new AnalysisResult(prediction, statistics);
    }
}
