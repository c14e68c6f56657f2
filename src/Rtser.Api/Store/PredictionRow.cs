using System.Text.Json;
using System.Text.Json.Serialization;
using Rtser.Api.Predictions;

namespace Rtser.Api.Store;

/// <summary>
/// One row of the predictions table, read and written by column name (Dapper maps created_at to CreatedAt).
/// The JSON columns have their own shapes (<see cref="StoredSegment"/>, <see cref="StoredAdaptation"/>), so
/// renaming a response type never changes what is on disk.
/// </summary>
internal sealed class PredictionRow
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Id { get; set; } = "";

    /// <summary>Unix milliseconds.</summary>
    public long CreatedAt { get; set; }

    public string? FileName { get; set; }

    public string Model { get; set; } = "";

    public string Label { get; set; } = "";

    public double Confidence { get; set; }

    public double DurationSeconds { get; set; }

    public double SpeechSeconds { get; set; }

    public double ProcessingMs { get; set; }

    /// <summary>JSON object, label to probability.</summary>
    public string Probabilities { get; set; } = "{}";

    /// <summary>JSON array of <see cref="StoredSegment"/>.</summary>
    public string Segments { get; set; } = "[]";

    public string? Speaker { get; set; }

    /// <summary>JSON <see cref="StoredAdaptation"/>.</summary>
    public string? Adaptation { get; set; }

    /// <summary>JSON <see cref="StoredChannel"/>: how a routed model heard the recording.</summary>
    public string? Channel { get; set; }

    public string? AudioPath { get; set; }

    public string? Owner { get; set; }

    /// <summary>JSON array of floats: what the recording adds to its speaker's profile.</summary>
    public string? SpeakerStats { get; set; }

    public static PredictionRow From(Prediction p, string? audioPath, string? owner, float[]? speakerStatistics) => new()
    {
        Id = p.Id.ToString("D"),
        CreatedAt = p.CreatedAt.ToUnixTimeMilliseconds(),
        FileName = p.FileName,
        Model = p.Model,
        Label = p.Label,
        Confidence = p.Confidence,
        DurationSeconds = p.DurationSeconds,
        SpeechSeconds = p.SpeechSeconds,
        ProcessingMs = p.ProcessingMs,
        Probabilities = JsonSerializer.Serialize(p.Probabilities, Json),
        Segments = JsonSerializer.Serialize(p.Segments.Select(StoredSegment.From), Json),
        Speaker = p.Speaker,
        Adaptation = p.Adaptation is null ? null : JsonSerializer.Serialize(StoredAdaptation.From(p.Adaptation), Json),
        Channel = p.Channel is null ? null : JsonSerializer.Serialize(StoredChannel.From(p.Channel), Json),
        AudioPath = audioPath,
        Owner = owner,
        SpeakerStats = speakerStatistics is null ? null : JsonSerializer.Serialize(speakerStatistics, Json),
    };

    public Prediction ToPrediction() => new(
        Guid.Parse(Id),
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        FileName,
        Model,
        Label,
        Confidence,
        JsonSerializer.Deserialize<Dictionary<string, double>>(Probabilities, Json) ?? [],
        DurationSeconds,
        SpeechSeconds,
        [.. (JsonSerializer.Deserialize<StoredSegment[]>(Segments, Json) ?? []).Select(s => s.ToSegment())],
        ProcessingMs,
        Speaker,
        Adaptation is null ? null : JsonSerializer.Deserialize<StoredAdaptation>(Adaptation, Json)?.ToAdaptation(),
        Channel is null ? null : JsonSerializer.Deserialize<StoredChannel>(Channel, Json)?.ToChannel());

    public static float[] Statistics(string json) => JsonSerializer.Deserialize<float[]>(json, Json) ?? [];
}

/// <summary>One window of the timeline as the segments column holds it (schema 1 onwards).</summary>
internal sealed record StoredSegment(
    [property: JsonPropertyName("start")] double Start,
    [property: JsonPropertyName("end")] double End,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, double>? Probabilities)
{
    public static StoredSegment From(TimelineSegment s) => new(s.Start, s.End, s.Label, s.Confidence, s.Probabilities);

    public TimelineSegment ToSegment() => new(Start, End, Label, Confidence, Probabilities ?? new Dictionary<string, double>());
}

/// <summary>The channel a routed model heard, as the channel column holds it (schema 4 onwards).</summary>
internal sealed record StoredChannel(
    [property: JsonPropertyName("heard")] string Heard,
    [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, double>? Probabilities)
{
    public static StoredChannel From(HeardChannel c) => new(c.Heard, c.Probabilities);

    public HeardChannel ToChannel() => new(Heard, Probabilities ?? new Dictionary<string, double>());
}

/// <summary>How a speaker-adapted model was used, as the adaptation column holds it (schema 3 onwards).</summary>
internal sealed record StoredAdaptation(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("applied")] bool Applied,
    [property: JsonPropertyName("profileRecordings")] int ProfileRecordings,
    [property: JsonPropertyName("requiredRecordings")] int RequiredRecordings,
    [property: JsonPropertyName("profileLabels")] IReadOnlyDictionary<string, int>? ProfileLabels,
    [property: JsonPropertyName("warning")] string? Warning,
    [property: JsonPropertyName("compensated")] bool Compensated)
{
    public static StoredAdaptation From(SpeakerAdaptation a) =>
        new(a.Model, a.Applied, a.ProfileRecordings, a.RequiredRecordings, a.ProfileLabels, a.Warning, a.Compensated);

    public SpeakerAdaptation ToAdaptation() => new(Model, Applied, ProfileRecordings, RequiredRecordings, ProfileLabels, Warning, Compensated);
}
