using System.Text.Json;
using System.Text.Json.Serialization;
using Rtser.Api.Predictions;

namespace Rtser.Api.Live;

/// <summary>
/// What the server sends over /api/stream, one JSON text frame each, told apart by "type". The page reads them through
/// wwwroot/js/live-messages.js; LiveMessageContractTests fails when the two name different types or fields.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(LiveReady), "ready")]
[JsonDerivedType(typeof(LiveReading), "reading")]
[JsonDerivedType(typeof(LiveSummary), "summary")]
[JsonDerivedType(typeof(LiveError), "error")]
public abstract record LiveMessage
{
    /// <summary>The one message a client sends as text: {"type":"stop"} ends the stream and asks for the summary.</summary>
    public const string Stop = "stop";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}

/// <summary>The stream is open: who reads it, the audio it expects, how often it answers, and for a speaker-adapted model the profile's state.</summary>
public sealed record LiveReady(
    string Model,
    IReadOnlyList<string> Labels,
    int SampleRate,
    double WindowSeconds,
    double HopSeconds,
    SpeakerAdaptation? Adaptation) : LiveMessage;

/// <summary>
/// One reading over the window [<paramref name="Start"/>, <paramref name="End"/>) seconds of the stream;
/// <paramref name="ProcessingMs"/> is the server's share of the time spent on the audio frame that completed it.
/// </summary>
public sealed record LiveReading(
    double Start,
    double End,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities,
    double AudioSeconds,
    double ProcessingMs) : LiveMessage;

/// <summary>
/// The stream's overall reading after stop, by the upload's rule; <paramref name="Id"/> names the saved prediction
/// (save=true); <paramref name="Channel"/> how a routed model heard the stream, as an upload's (null otherwise).
/// </summary>
public sealed record LiveSummary(
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities,
    double DurationSeconds,
    double SpeechSeconds,
    Guid? Id,
    HeardChannel? Channel = null) : LiveMessage;

/// <summary>Why the server is closing the stream (sent just before the close frame, whose reason is cut to 120 bytes).</summary>
public sealed record LiveError(string Detail) : LiveMessage;
