using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rtser.Inference;

namespace Rtser.Api.Models;

/// <summary>
/// What a client needs to pick a model: its language, labels, size and how it was evaluated;
/// <see cref="SpeakerAdaptation"/> is set for models that need a speaker (uploads only, not live).
/// </summary>
public sealed record ModelInfo(
    string Id,
    bool IsDefault,
    string Corpus,
    string Language,
    string Kind,
    IReadOnlyList<string> Labels,
    long Parameters,
    long MacsPerSecondOfAudio,
    JsonElement Evaluation,
    SpeakerAdaptationCard? SpeakerAdaptation);

/// <summary>/api/models: the model cards the service loaded at start-up.</summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/api/models").WithTags("Models");
        group.MapGet("/", List).WithSummary("The loaded models, the default first");
        return group;
    }

    internal static Ok<ModelInfo[]> List(ModelRegistry models, IOptions<RtserOptions> options)
    {
        string def = options.Value.DefaultModel;
        return TypedResults.Ok(models.Models
            .OrderByDescending(m => m.Id == def)
            .ThenBy(m => m.Id, StringComparer.Ordinal)
            .Select(m => new ModelInfo(m.Id, m.Id == def, m.Card.Corpus, m.Card.Language, m.Card.Kind, m.Labels, m.Card.Parameters, m.Card.MacsPerSecondOfAudio, m.Card.Evaluation, m.Card.SpeakerAdaptation))
            .ToArray());
    }
}
