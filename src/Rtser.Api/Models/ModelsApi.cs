using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using Rtser.Api.Analysis;
using Rtser.Inference;

namespace Rtser.Api.Models;

/// <summary>
/// What a client needs to pick a model: its language, labels, size and how it was evaluated;
/// <see cref="Recommended"/> is set on each language's default model and <see cref="SpeakerAdaptation"/> for models
/// that need a speaker: uploads and live streams alike are read against the named speaker's profile.
/// </summary>
public sealed record ModelInfo(
    string Id,
    bool IsDefault,
    string Corpus,
    string Language,
    ModelRecommendation? Recommended,
    string Kind,
    IReadOnlyList<string> Labels,
    long Parameters,
    long MacsPerSecondOfAudio,
    JsonElement Evaluation,
    ModelAdaptation? SpeakerAdaptation);

/// <summary>
/// How a speaker-adapted model builds on a speaker's recordings, as the service applies it (SpeakerProfilePolicy): how
/// many of the latest it averages, which model answers until there are enough, and whether (above which share of one
/// emotion) the profile is emotion-compensated. The compensation's numbers stay in the card.
/// </summary>
public sealed record ModelAdaptation(int ProfileRecordings, string? FallbackModel, bool CompensatesProfiles, double? CompensationGate)
{
    public static ModelAdaptation? Of(EmotionModel model, SpeakerProfilePolicy policy) => model.Card.SpeakerAdaptation is not { } card ? null
        : new(SpeakerProfilePolicy.ProfileSize(model), card.FallbackModel, card.Compensation is not null, card.Compensation is null ? null : policy.CompensationGate ?? card.Compensation.Gate);
}

/// <summary>/api/models: the model cards the service loaded at start-up.</summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/api/models").WithTags("Models");
        group.MapGet("/", List).WithSummary("The loaded models: the default first, then the other languages' defaults, then the rest");
        return group;
    }

    internal static Ok<ModelInfo[]> List(ModelRegistry models, SpeakerProfilePolicy profiles, AnalysisService analysis)
    {
        // The models a user should use come first: what answers without a choice, then each language's default.
        string def = analysis.DefaultModel.Id;
        return TypedResults.Ok(models.Models
            .OrderByDescending(m => m.Id == def)
            .ThenByDescending(m => m.Card.Recommended is not null)
            .ThenBy(m => m.Id, StringComparer.Ordinal)
            .Select(m => new ModelInfo(m.Id, m.Id == def, m.Card.Corpus, m.Card.Language, m.Card.Recommended, m.Card.Kind, m.Labels, m.Card.Parameters, m.Card.MacsPerSecondOfAudio, m.Card.Evaluation, ModelAdaptation.Of(m, profiles)))
            .ToArray());
    }
}
