using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rtser.Inference;

/// <summary>
/// One declared model input or output: its name and shape (numbers are fixed sizes, strings are symbolic), and for an
/// output whose values are probabilities over named classes (the channel detector's), the classes in order.
/// </summary>
public sealed record TensorSpec(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] JsonElement[] Shape,
    [property: JsonPropertyName("labels")] string[]? Labels = null);

/// <summary>How a speaker-adapted model was evaluated and what answers while a speaker's profile is too short.</summary>
/// <param name="ProfileRecordings">How many of a speaker's latest recordings the service averages into a profile (the card's evaluation gives the UAR by profile size).</param>
/// <param name="FallbackModel">The per-recording model that labels a speaker's recordings until the profile is long enough.</param>
/// <param name="Compensation">When set, profiles are emotion-compensated (<see cref="SpeakerProfiles.Compensated"/>) rather than plain means.</param>
public sealed record SpeakerAdaptationCard(
    [property: JsonPropertyName("profileRecordings")] int ProfileRecordings,
    [property: JsonPropertyName("fallbackModel")] string? FallbackModel,
    [property: JsonPropertyName("compensation")] ProfileCompensation? Compensation = null);

/// <summary>
/// What training/profiles.py fitted on the training speakers: a per-recording logistic regression on the standardised
/// statistics (<paramref name="Weights"/> [K][D], <paramref name="Bias"/> [K], <paramref name="Mean"/> and
/// <paramref name="Scale"/> [D]) and each class's mean offset from its speaker's mean (<paramref name="Offsets"/> [K][D]).
/// With a <paramref name="Gate"/> a profile is compensated only when some emotion's mean posterior exceeds it (0: always, 1: never).
/// </summary>
public sealed record ProfileCompensation(
    [property: JsonPropertyName("mean")] float[] Mean,
    [property: JsonPropertyName("scale")] float[] Scale,
    [property: JsonPropertyName("weights")] float[][] Weights,
    [property: JsonPropertyName("bias")] float[] Bias,
    [property: JsonPropertyName("offsets")] float[][] Offsets,
    [property: JsonPropertyName("gate")] float Gate = 0f)
{
    /// <summary>The first reason these numbers cannot compensate profiles of <paramref name="dimensions"/> values over <paramref name="classes"/> labels, or null.</summary>
    public string? Problem(int dimensions, int classes)
    {
        if (Mean is null || Scale is null || Weights is null || Bias is null || Offsets is null)
        {
            return "mean, scale, weights, bias and offsets are all required";
        }

        if (Mean.Length != dimensions || Scale.Length != dimensions)
        {
            return $"mean and scale need {dimensions} values (the profile's length), not {Mean.Length} and {Scale.Length}";
        }

        if (Bias.Length != classes || Weights.Length != classes || Offsets.Length != classes)
        {
            return $"bias, weights and offsets need one entry per label ({classes})";
        }

        if (Weights.Concat(Offsets).Any(r => r is null || r.Length != dimensions))
        {
            return $"every row of weights and offsets needs {dimensions} values";
        }

        // Checked on every profile built (SpeakerProfiles.Compensated), so vectorised rather than through LINQ.
        bool finite = new[] { Mean, Scale, Bias }.Concat(Weights).Concat(Offsets).All(a => TensorPrimitives.IsFiniteAll<float>(a));
        return !finite ? "all values must be finite"
            : TensorPrimitives.Min<float>(Scale) <= 0 ? "scale must be positive"
            : Gate is not (>= 0f and <= 1f) ? "gate must be between 0 (always compensate) and 1 (never)"
            : null;
    }
}

/// <summary>
/// Marks the model a language's requests get when they name no model (<see cref="LanguageDefaults"/>), with the
/// reason it was chosen over the language's other models (docs/accuracy.md states the rule).
/// </summary>
public sealed record ModelRecommendation(
    [property: JsonPropertyName("for")] string For,
    [property: JsonPropertyName("why")] string Why);

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

    [JsonPropertyName("macsPerSecondOfAudio")]
    public long MacsPerSecondOfAudio { get; init; }

    [JsonPropertyName("evaluation")]
    public JsonElement Evaluation { get; init; }

    /// <summary>Set for a model that scores recordings against its speaker's profile.</summary>
    [JsonPropertyName("speakerAdaptation")]
    public SpeakerAdaptationCard? SpeakerAdaptation { get; init; }

    /// <summary>
    /// The silence its training clips kept around speech (median over the clips of their leading and trailing
    /// silence, seconds): the margin a segment cut from a long recording keeps for this model (EmotionAnalyzer.MarginFor).
    /// </summary>
    [JsonPropertyName("segmentMarginSeconds")]
    public double? SegmentMarginSeconds { get; init; }

    /// <summary>Set on the default model of its language.</summary>
    [JsonPropertyName("recommended")]
    public ModelRecommendation? Recommended { get; init; }

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
