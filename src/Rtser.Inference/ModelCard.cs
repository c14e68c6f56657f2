using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rtser.Inference;

/// <summary>One declared model input or output: its name and shape (numbers are fixed sizes, strings are symbolic).</summary>
public sealed record TensorSpec(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] JsonElement[] Shape);

/// <summary>How a speaker-adapted model was evaluated and what answers while a speaker's profile is too short.</summary>
/// <param name="ProfileRecordings">How many of a speaker's latest recordings the service averages into a profile (the card's evaluation gives the UAR by profile size).</param>
/// <param name="FallbackModel">The per-recording model that labels a speaker's recordings until the profile is long enough.</param>
public sealed record SpeakerAdaptationCard(
    [property: JsonPropertyName("profileRecordings")] int ProfileRecordings,
    [property: JsonPropertyName("fallbackModel")] string? FallbackModel);

/// <summary>
/// The model card written by training/export.py beside each models/&lt;id&gt;.onnx. Only what the service relies on
/// is typed; the evaluation block is passed through to clients as it is.
/// </summary>
public sealed record ModelCard
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("corpus")]
    public string Corpus { get; init; } = "";

    [JsonPropertyName("language")]
    public string Language { get; init; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    [JsonPropertyName("labels")]
    public required string[] Labels { get; init; }

    [JsonPropertyName("onnx")]
    public required string Onnx { get; init; }

    [JsonPropertyName("featureConfig")]
    public JsonElement FeatureConfig { get; init; }

    [JsonPropertyName("inputs")]
    public required TensorSpec[] Inputs { get; init; }

    [JsonPropertyName("outputs")]
    public required TensorSpec[] Outputs { get; init; }

    [JsonPropertyName("parameters")]
    public long Parameters { get; init; }

    [JsonPropertyName("macs_per_second_of_audio")]
    public long MacsPerSecondOfAudio { get; init; }

    [JsonPropertyName("evaluation")]
    public JsonElement Evaluation { get; init; }

    /// <summary>Set for a model that scores recordings against its speaker's profile.</summary>
    [JsonPropertyName("speakerAdaptation")]
    public SpeakerAdaptationCard? SpeakerAdaptation { get; init; }

    public static ModelCard Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(path))
                ?? throw new ModelLoadException($"{path}: the model card is empty.");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: the model card is not valid: {e.Message}", e);
        }
    }
}
