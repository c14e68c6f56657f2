using Microsoft.AspNetCore.Http.HttpResults;
using Rtser.Audio;

namespace Rtser.Api.Problems;

/// <summary>RFC 7807 answers for what callers get wrong, with the status each kind of mistake deserves.</summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static ProblemHttpResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemHttpResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult TooLarge(long limit) =>
        Create(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"the upload is larger than the {limit}-byte limit ({limit / (1024.0 * 1024):0.#} MiB)");

    public static ProblemHttpResult UnsupportedMediaType(string detail) => Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);

    /// <summary>Decoder errors: broken input is the caller's 400, a format we do not read 415, audio over the limits 422/413.</summary>
    public static ProblemHttpResult ForAudio(AudioFormatException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Problem switch
        {
            AudioProblem.Unsupported => UnsupportedMediaType(e.Message),
            AudioProblem.TooLong => Create(StatusCodes.Status422UnprocessableEntity, "Audio too long", e.Message),
            AudioProblem.Empty => Create(StatusCodes.Status422UnprocessableEntity, "No audio", e.Message),
            AudioProblem.TooLarge => Create(StatusCodes.Status413PayloadTooLarge, "Upload too large", e.Message),
            _ => Create(StatusCodes.Status400BadRequest, "Unreadable audio", e.Message),
        };
    }
}
