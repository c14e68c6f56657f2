using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rtser.Api.Access;
using Rtser.Api.Analysis;
using Rtser.Api.Speakers;
using Rtser.Api.Store;
using Rtser.Inference;

namespace Rtser.Api.Live;

/// <summary>
/// /api/stream: live mode over a WebSocket. Binary frames carry 16 kHz mono Int16 little-endian PCM; the
/// server answers with JSON text frames (<see cref="LiveMessage"/>): "ready", a "reading" every hop, and on
/// {"type":"stop"} a "summary" (saved as a prediction when save=true) before a normal close. A speaker-adapted model
/// reads the stream against the named speaker's profile. The handshake is checked here; <see cref="LiveConnection"/>
/// serves the accepted socket.
/// </summary>
public static class StreamApi
{
    public const int MaxMessageBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapStreamApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/stream", ConnectAsync)
            .WithTags("Live")
            .WithSummary("Live emotion readings over a WebSocket (16 kHz mono Int16 LE PCM in, JSON readings out)");
        return routes;
    }

    /// <param name="model">Model id; overrides <paramref name="language"/>.</param>
    /// <param name="language">The language spoken (en, de): its default model reads the stream when no model is named; the service's default language when absent.</param>
    /// <param name="save">Save the session as one prediction with its timeline when it is stopped.</param>
    /// <param name="speaker">Who speaks (a pseudonym); required by a speaker-adapted model, which reads the stream
    /// against the profile of the speaker's saved recordings (its fallback answers while there are too few).</param>
    internal static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ConnectAsync(
        HttpContext http,
        AnalysisService analysis,
        SpeakerProfilePolicy profiles,
        EmotionAnalyzer analyzer,
        IPredictionStore store,
        IOptions<RtserOptions> options,
        TimeProvider clock,
        LiveStreamSlots slots,
        ILogger<LiveConnection> log,
        string? model = null,
        string? language = null,
        bool save = false,
        string? speaker = null)
    {
        (EmotionModel? chosen, string? unknown) = analysis.Choose(model, language);
        if (chosen is null)
        {
            return Problems.Problems.BadRequest(unknown!);
        }

        speaker = Speakers.SpeakersApi.Normalize(speaker);
        (SpeakerProfile? profile, ProblemHttpResult? refused) = await SpeakerProfileRequest.ProfileAsync(
            chosen, speaker, http.User.Owner(), profiles, store, http.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        // Checked before the WebSocket test so a page whose handshake was refused can ask over plain HTTP why.
        (IDisposable? slot, int status, string? full) = slots.TryOpen(http.User.Owner());
        if (slot is null)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problems.Problems.Create(status, status == StatusCodes.Status429TooManyRequests ? "Too many streams" : "Busy", full!);
        }

        using (slot)
        {
            if (!http.WebSockets.IsWebSocketRequest)
            {
                return Problems.Problems.BadRequest("/api/stream is a WebSocket endpoint: connect with ws:// or wss://");
            }

            await LiveConnection.RunAsync(http, new EmotionStream(analyzer, chosen, profile), speaker, save, store, options.Value, clock, log);
        }

        return TypedResults.Empty;
    }
}
