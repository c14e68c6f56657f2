using Microsoft.AspNetCore.Http.HttpResults;
using Rtser.Api.Access;
using Rtser.Api.Store;

namespace Rtser.Api.Speakers;

/// <summary>What forgetting a speaker's profile removed.</summary>
public sealed record ForgottenProfile(string Speaker, int Recordings);

/// <summary>/api/speakers: a speaker's profile can be forgotten while their predictions stay.</summary>
public static class SpeakersApi
{
    public const string Rule = "speaker must be 1-64 letters, digits, '.', '_' or '-', at least one a letter or digit: a pseudonym, not a person's name";

    public static RouteGroupBuilder MapSpeakersApi(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/api/speakers").WithTags("Speakers");
        group.MapDelete("/{speaker}/profile", ForgetAsync)
            .WithSummary("Forget a speaker's profile")
            .WithDescription("Erases the profile statistics stored with this speaker's predictions (of the caller's key); the predictions stay. "
                + "The next recording of the speaker starts a new profile.");
        return group;
    }

    /// <summary>A speaker as a request names it (query, form field or stream parameter): trimmed, and blank means none.</summary>
    public static string? Normalize(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>
    /// The service's rule for speaker names: short pseudonyms that are safe anywhere they are shown. A letter or digit is
    /// required because "." and ".." are path segments a URL normalises away, so their profile could not be erased.
    /// </summary>
    public static bool IsValid(string s) =>
        s.Length is > 0 and <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') && s.Any(char.IsAsciiLetterOrDigit);

    internal static async Task<Results<Ok<ForgottenProfile>, ProblemHttpResult>> ForgetAsync(string speaker, IPredictionStore store, HttpContext http, CancellationToken cancel)
    {
        if (!IsValid(speaker))
        {
            return Problems.Problems.BadRequest(Rule);
        }

        int n = await store.ForgetSpeakerAsync(speaker, http.User.Owner(), cancel);
        return n > 0 ? TypedResults.Ok(new ForgottenProfile(speaker, n)) : Problems.Problems.NotFound($"no profile for speaker '{speaker}'");
    }
}
