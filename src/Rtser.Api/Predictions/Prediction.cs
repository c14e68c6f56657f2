using Rtser.Inference;

namespace Rtser.Api.Predictions;

/// <summary>A saved prediction: what POST returns, GET lists and export writes.</summary>
/// <param name="Segments">The emotion timeline: one entry per window over the audio.</param>
/// <param name="ProcessingMs">Decoding, features and inference for this upload, in milliseconds.</param>
/// <param name="Speaker">The speaker the client named (a pseudonym), if any.</param>
/// <param name="Adaptation">How a speaker-adapted model was used for this recording, when one was asked for.</param>
/// <param name="Channel">How the model's channel detector heard the recording (routed models only; null otherwise and for no_speech).</param>
public sealed record Prediction(
    Guid Id,
    DateTimeOffset CreatedAt,
    string? FileName,
    string Model,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities,
    double DurationSeconds,
    double SpeechSeconds,
    IReadOnlyList<TimelineSegment> Segments,
    double ProcessingMs,
    string? Speaker = null,
    SpeakerAdaptation? Adaptation = null,
    HeardChannel? Channel = null);

/// <summary>
/// The channel a routed model heard the recording through (<paramref name="Heard"/>: clean, phone, noise, room, as its
/// card lists them) and each one's probability; readings are less certain off clean (docs/accuracy.md).
/// </summary>
public sealed record HeardChannel(string Heard, IReadOnlyDictionary<string, double> Probabilities)
{
    public static HeardChannel? From(ChannelReading? c) => c is null ? null : new(c.Heard, c.Probabilities);
}

/// <summary>
/// One window of a prediction's timeline as clients get it; <c>no_speech</c> windows carry no probabilities.
/// The API's own type, so the analyzer's <see cref="EmotionSegment"/> can change without changing the contract.
/// </summary>
public sealed record TimelineSegment(
    double Start,
    double End,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities)
{
    public static TimelineSegment From(EmotionSegment s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Start, s.End, s.Label, s.Confidence, s.Probabilities);
    }

    public static IReadOnlyList<TimelineSegment> Of(IEnumerable<EmotionSegment> segments) => [.. segments.Select(From)];
}

/// <summary>
/// A speaker-adapted model asked for: <paramref name="Applied"/> when the speaker's profile (the latest
/// <paramref name="ProfileRecordings"/> earlier recordings) was long enough for it to answer; otherwise
/// <see cref="Prediction.Model"/> names the fallback model that did. <paramref name="ProfileLabels"/>: how the
/// profile's recordings were read; <paramref name="Warning"/>: set when one emotion dominates an applied profile;
/// <paramref name="Compensated"/>: the profile was emotion-compensated (its model's card, when it reads as mostly one emotion).
/// </summary>
public sealed record SpeakerAdaptation(
    string Model,
    bool Applied,
    int ProfileRecordings,
    int RequiredRecordings,
    IReadOnlyDictionary<string, int>? ProfileLabels = null,
    string? Warning = null,
    bool Compensated = false);

/// <summary>One page of the history, newest first.</summary>
public sealed record PredictionPage(IReadOnlyList<Prediction> Items, long Total, int Skip, int Take);

/// <summary>Which predictions a list or export covers; <paramref name="Owner"/> null means every owner's (no API keys configured).</summary>
public sealed record PredictionQuery(string? Label = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Skip = 0, int Take = int.MaxValue, string? Owner = null, string? Speaker = null);
