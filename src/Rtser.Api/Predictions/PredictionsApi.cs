using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rtser.Api.Access;
using Rtser.Api.Analysis;
using Rtser.Api.Observability;
using Rtser.Api.Problems;
using Rtser.Api.Speakers;
using Rtser.Api.Store;
using Rtser.Audio;
using Rtser.Inference;

namespace Rtser.Api.Predictions;

/// <summary>/api/predictions: upload audio for a label and timeline, list, fetch, delete and export the history.</summary>
public static partial class PredictionsApi
{
    public const int MaxTake = 200;

    public static RouteGroupBuilder MapPredictionsApi(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/api/predictions").WithTags("Predictions");

        group.MapPost("/", CreateAsync)
            .WithSummary("Predict the emotion in an uploaded recording")
            .WithDescription("Multipart form-data with the audio in field 'file' (and optionally 'language', 'model', 'speaker' and 'timeline'), or the raw audio as the body "
                + "(Content-Type audio/wav, audio/webm, audio/ogg, ...). WAV, WebM/Opus and Ogg/Opus are decoded in process; other types need ffmpeg. "
                + "'language' (en, de; English by default) picks that language's default model; 'model' overrides it, and the answer's 'model' says which answered. "
                + "The recording is cut into utterances at pauses (one utterance is one segment, the whole recording), each scored whole; "
                + "the overall label is their mean weighted by speech ('no_speech' when there is none). The timeline shows the segments, "
                + "or with 'timeline' = windows the 2 s windows every 0.5 s that live mode reads. "
                + "'speaker' names who speaks (a pseudonym): a speaker-adapted model (cnn-rnn-spk-*) needs it and scores each recording "
                + "against the mean statistics of that speaker's earlier recordings; until there are enough, its fallback model answers. "
                + "'speaker=self' reads a long recording of one speaker (a call, a session) against its own profile: its windows with speech stand for earlier recordings.")
            .WithMetadata(new AudioUploadMarker())
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", ListAsync).WithSummary("Saved predictions, newest first");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("One saved prediction");
        group.MapDelete("/{id:guid}", DeleteAsync).WithSummary("Delete a prediction (and its audio, if kept)");
        group.MapGet("/export", PredictionExport.ExportAsync)
            .WithSummary("The whole history as a CSV or JSON download, streamed from the store")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return group;
    }

    /// <param name="model">Model id (see /api/models); overrides <paramref name="language"/>.</param>
    /// <param name="language">The language spoken (en, de): its default model answers when no model is named; the service's default language when absent.</param>
    /// <param name="speaker">Who speaks, as a pseudonym (letters, digits, '.', '_', '-'; at most 64); needed by speaker-adapted models ('self': the recording is its own profile).</param>
    /// <param name="timeline">What the timeline shows: segments (the utterances the overall label is made of) or windows (2 s windows every 0.5 s); the service's setting when absent.</param>
    internal static async Task<Results<Created<Prediction>, ProblemHttpResult>> CreateAsync(
        HttpRequest request,
        string? model,
        string? language,
        string? speaker,
        string? timeline,
        AnalysisService analysis,
        SpeakerProfilePolicy profiles,
        IPredictionStore store,
        InferenceGate gate,
        RtserMetrics metrics,
        IOptions<RtserOptions> options,
        ILogger<Prediction> log,
        CancellationToken cancel)
    {
        RtserOptions o = options.Value;
        (Upload? upload, ProblemHttpResult? problem) = await UploadReader.ReadAsync(request, o.MaxUploadBytes, cancel);
        if (upload is null)
        {
            return problem!;
        }

        if (upload.Bytes.IsEmpty)
        {
            return Problems.Problems.BadRequest("the upload is empty");
        }

        (EmotionModel? chosen, string? unknown) = analysis.Choose(model ?? upload.Model, language ?? upload.Language);
        if (chosen is null)
        {
            return Problems.Problems.BadRequest(unknown!);
        }

        (TimelineMode? mode, string? badTimeline) = ParseTimeline(timeline ?? upload.Timeline);
        if (badTimeline is not null)
        {
            return Problems.Problems.BadRequest(badTimeline);
        }

        speaker = Speakers.SpeakersApi.Normalize(speaker) ?? upload.Speaker; // the form field is trimmed as it is read
        string? owner = request.HttpContext.User.Owner();
        (SpeakerProfile? profile, ProblemHttpResult? refused) = await SpeakerProfileRequest.ProfileAsync(chosen, speaker, owner, profiles, store, cancel, upload: true);
        if (refused is not null)
        {
            return refused;
        }

        // The upload's length from its headers is reserved before decoding: a 364 KB WebM can hold 600 s of silence.
        using IDisposable? slot = await gate.EnterAsync(analysis.AudioSeconds(upload.Bytes), cancel);
        if (slot is null)
        {
            metrics.Rejected();
            request.HttpContext.Response.Headers.RetryAfter = "1";
            return Problems.Problems.Create(StatusCodes.Status503ServiceUnavailable, "Busy", $"{gate.Concurrency} uploads (or {gate.AudioSecondsInFlight:0} s of audio) are being analysed and the queue is full; retry in a second");
        }

        AnalysisResult result;
        try
        {
            result = analysis.Analyze(upload.Bytes, upload.FileName, chosen, cancel, speaker, profile, mode);
        }
        catch (AudioFormatException e)
        {
            // The client gets the plain message; ffmpeg's words (paths, heap addresses) are for operators only.
            if (e.Diagnostics is not null)
            {
                Log.NotDecoded(log, e.Problem, e.Message, e.Diagnostics);
            }

            return Problems.Problems.ForAudio(e);
        }

        slot.Dispose();
        Prediction prediction = result.Prediction;
        string? audioPath = o.StoreAudio ? await SaveAudioAsync(o, prediction.Id, upload.Bytes, cancel) : null;
        await store.AddAsync(prediction, audioPath, owner, cancel, result.ProfileStatistics);
        metrics.Prediction(prediction.Model, prediction.Label, prediction.ProcessingMs / 1000);
        Log.Created(log, prediction.Id, owner ?? "-", prediction.Model, prediction.Label, prediction.DurationSeconds, prediction.ProcessingMs);
        return TypedResults.Created($"/api/predictions/{prediction.Id}", prediction);
    }

    /// <summary>The timeline a request asked for (null: the service's setting), or why it cannot be had.</summary>
    internal static (TimelineMode? Mode, string? Problem) ParseTimeline(string? timeline) => timeline switch
    {
        null => (null, null),
        "segments" => (TimelineMode.Segments, null),
        "windows" => (TimelineMode.Windows, null),
        _ => (null, $"unknown timeline '{timeline}'; available: segments, windows"),
    };

    /// <param name="skip">Predictions to skip (default 0).</param>
    /// <param name="take">Page size, 1-200 (default 20).</param>
    /// <param name="label">Only predictions with this overall label.</param>
    /// <param name="from">Only predictions made at or after this time (ISO 8601).</param>
    /// <param name="to">Only predictions made before this time (ISO 8601).</param>
    /// <param name="speaker">Only predictions of this speaker.</param>
    internal static async Task<Results<Ok<PredictionPage>, ProblemHttpResult>> ListAsync(
        IPredictionStore store, HttpContext http, CancellationToken cancel, int skip = 0, int take = 20, string? label = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? speaker = null)
    {
        if (skip < 0 || take < 1 || take > MaxTake)
        {
            return Problems.Problems.BadRequest($"skip must be >= 0 and take between 1 and {MaxTake}");
        }

        return TypedResults.Ok(await store.ListAsync(new PredictionQuery(label, from, to, skip, take, http.User.Owner(), speaker), cancel));
    }

    internal static async Task<Results<Ok<Prediction>, ProblemHttpResult>> GetAsync(Guid id, IPredictionStore store, HttpContext http, CancellationToken cancel) =>
        await store.GetAsync(id, http.User.Owner(), cancel) is { } p ? TypedResults.Ok(p) : Problems.Problems.NotFound($"no prediction with id {id}");

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, IPredictionStore store, HttpContext http, CancellationToken cancel)
    {
        (bool found, string? audio) = await store.DeleteAsync(id, http.User.Owner(), cancel);
        if (!found)
        {
            return Problems.Problems.NotFound($"no prediction with id {id}");
        }

        if (audio is not null)
        {
            File.Delete(audio);
        }

        return TypedResults.NoContent();
    }

    private static async Task<string> SaveAudioAsync(RtserOptions o, Guid id, ReadOnlyMemory<byte> bytes, CancellationToken cancel)
    {
        string folder = Path.GetFullPath(Path.Combine(o.DataDirectory, "audio"));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, $"{id:D}.{MediaExtension(bytes.Span)}");
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
        await file.WriteAsync(bytes, cancel);
        return path;
    }

    private static string MediaExtension(ReadOnlySpan<byte> head) =>
        head.StartsWith("RIFF"u8) ? "wav" : head.StartsWith("OggS"u8) ? "ogg" : head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]) ? "webm" : "bin";

    private static partial class Log
    {
        // File names stay out of the log: they can name the person recorded.
        [LoggerMessage(LogLevel.Information, "Prediction {PredictionId} for {Owner}: {Model} says {Label} over {DurationSeconds:0.00} s in {ProcessingMs:0.0} ms")]
        public static partial void Created(ILogger logger, Guid predictionId, string owner, string model, string label, double durationSeconds, double processingMs);

        [LoggerMessage(LogLevel.Information, "Upload refused as {Problem} ({Reason}): {Diagnostics}")]
        public static partial void NotDecoded(ILogger logger, AudioProblem problem, string reason, string diagnostics);
    }
}
