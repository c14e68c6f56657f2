using System.Diagnostics;
using Microsoft.Extensions.Options;
using Rtser.Api.Predictions;
using Rtser.Api.Speakers;
using Rtser.Audio;
using Rtser.Inference;

namespace Rtser.Api.Analysis;

/// <summary>A prediction and what its recording adds to the speaker's profile (speaker-adapted models only).</summary>
public sealed record AnalysisResult(Prediction Prediction, float[]? ProfileStatistics);

/// <summary>Upload bytes to a prediction: decode, resample to 16 kHz, timeline and overall label.</summary>
public sealed class AnalysisService(IAudioDecoder decoder, ModelRegistry models, EmotionAnalyzer analyzer, SpeakerProfilePolicy profiles, IOptions<RtserOptions> options, TimeProvider clock)
{
    private readonly RtserOptions _options = options.Value;

    /// <summary>The model that answers a request naming neither a model nor a language.</summary>
    public EmotionModel DefaultModel => _options.DefaultModel is { } pinned ? models.Get(pinned)
        : models.TryGetDefault(_options.DefaultLanguage, out EmotionModel model) ? model
        : throw new InvalidOperationException($"no model is recommended for the default language '{_options.DefaultLanguage}'");

    /// <summary>
    /// The model a request asked for: <paramref name="id"/> when given (whatever its language), else the default of
    /// <paramref name="language"/>, else <see cref="DefaultModel"/>. Null with the reason for an unknown id or language.
    /// </summary>
    public (EmotionModel? Model, string? Problem) Choose(string? id, string? language)
    {
        if (language is not null && !models.TryGetDefault(language, out _))
        {
            return (null, $"unknown language '{language}'; available: {string.Join(", ", models.Languages)}");
        }

        if (id is not null)
        {
            return models.TryGet(id, out EmotionModel named) ? (named, null) : (null, $"unknown model '{id}'; available: {string.Join(", ", ModelIds)}");
        }

        return (language is not null && models.TryGetDefault(language, out EmotionModel byLanguage) ? byLanguage : DefaultModel, null);
    }

    public IEnumerable<string> ModelIds => models.Models.Select(m => m.Id).Order(StringComparer.Ordinal);

    /// <summary>
    /// The most seconds of audio <paramref name="upload"/> decodes to, from its headers (at most the duration limit):
    /// what it reserves of <see cref="InferenceGate"/>'s audio budget.
    /// </summary>
    public double AudioSeconds(ReadOnlyMemory<byte> upload) => Math.Min(decoder.MaxSeconds(upload), _options.MaxDurationSeconds);

    /// <summary>
    /// Throws <see cref="AudioFormatException"/> for input that is not usable audio. A speaker-adapted
    /// <paramref name="model"/> needs the <paramref name="speaker"/>'s <paramref name="profile"/> (SpeakerProfilePolicy),
    /// which also says which model answers; with <paramref name="speaker"/> <see cref="SpeakerProfilePolicy.Self"/> the
    /// profile is the upload's own (<see cref="SpeakerProfilePolicy.OwnProfile"/>), and it joins no speaker's profile.
    /// <paramref name="timeline"/> picks what the timeline shows (the
    /// configured <see cref="TimelineOptions.Mode"/> when null).
    /// </summary>
    public AnalysisResult Analyze(ReadOnlyMemory<byte> upload, string? fileName, EmotionModel model, CancellationToken cancel, string? speaker = null, SpeakerProfile? profile = null, TimelineMode? timeline = null)
    {
        bool own = model.AdaptsToSpeaker && speaker == SpeakerProfilePolicy.Self;
        profile = own ? null : SpeakerProfile.For(model, profile);

        long start = Stopwatch.GetTimestamp();
        float[] samples = decoder.Decode16k(upload);
        if (samples.Length == 0)
        {
            throw new AudioFormatException(AudioProblem.Empty, "the audio holds no samples");
        }

        cancel.ThrowIfCancellationRequested();
        if (own)
        {
            // A pass of its own: the profile must be whole before the first window is read against it.
            profile = profiles.OwnProfile(model, analyzer.ProfileStatisticsRows(model, samples, cancel));
        }

        // The recording's own statistics (from the segments just scored) join the profile only after it is scored:
        // a profile is made of earlier recordings, as in the evaluation, never of the one being scored.
        EmotionAnalysis a = analyzer.Analyze(profile?.Answering ?? model, samples, cancel, profile?.Mean, own ? null : profile?.Model, timeline);
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
            profile.ToAdaptation(),
            HeardChannel.From(o.Channel));
        return new AnalysisResult(prediction, statistics);
    }
}
