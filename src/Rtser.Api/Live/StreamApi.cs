using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rtser.Api.Analysis;
using Rtser.Api.Predictions;
using Rtser.Api.Speakers;
using Rtser.Api.Store;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Api.Live;

/// <summary>
/// /api/stream: live mode over a WebSocket. Binary frames carry 16 kHz mono Int16 little-endian PCM; the
/// server answers with JSON text frames: "ready", a "reading" every hop, and on {"type":"stop"} a "summary"
/// (saved as a prediction when save=true) before a normal close. A speaker-adapted model reads the stream against
/// the named speaker's profile.
/// </summary>
public static class StreamApi
{
    public const int MaxMessageBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapStreamApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/stream", ConnectAsync)
            .WithTags("Live")
            .WithSummary("Live emotion readings over a WebSocket (16 kHz mono Int16 LE PCM in, JSON readings out)");
        return routes;
    }

    /// <param name="model">Model id; the default when absent.</param>
    /// <param name="save">Save the session as one prediction with its timeline when it is stopped.</param>
    /// <param name="speaker">Who speaks (a pseudonym); required by a speaker-adapted model, which reads the stream
    /// against the profile of the speaker's saved recordings (its fallback answers while there are too few).</param>
    internal static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ConnectAsync(
        HttpContext http,
        AnalysisService analysis,
        SpeakerProfilePolicy profiles,
        EmotionAnalyzer analyzer,
        SpeechFeatureExtractor extractor,
        IPredictionStore store,
        IOptions<RtserOptions> options,
        TimeProvider clock,
        LiveStreamSlots slots,
        ILogger<LiveSession> log,
        string? model = null,
        bool save = false,
        string? speaker = null)
    {
        if (!analysis.TryGetModel(model, out EmotionModel chosen))
        {
            return Problems.Problems.BadRequest($"unknown model '{model}'; available: {string.Join(", ", analysis.ModelIds)}");
        }

        speaker = Speakers.SpeakersApi.Normalize(speaker);
        (SpeakerProfile? profile, ProblemHttpResult? refused) = await SpeakerProfileRequest.ProfileAsync(
            chosen, speaker, Access.Caller.Owner(http), profiles, store, http.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        // Checked before the WebSocket test so a page whose handshake was refused can ask over plain HTTP why.
        (IDisposable? slot, int status, string? full) = slots.TryOpen(Access.Caller.Owner(http));
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

            await RunAsync(http, new Reader(chosen, speaker, profile), analyzer, extractor, store, options.Value, clock, log, save);
        }

        return TypedResults.Empty;
    }

    /// <summary>
    /// Who reads the stream: the chosen model, or for a speaker-adapted one its fallback while the speaker's profile is
    /// too short; <see cref="Adaptation"/> says which, as an upload's response does.
    /// </summary>
    private sealed record Reader(EmotionModel Chosen, string? Speaker, SpeakerProfile? Profile)
    {
        public EmotionModel Model => Profile?.Answering ?? Chosen;

        public SpeakerAdaptation? Adaptation => Profile.ToAdaptation();
    }

    private static async Task RunAsync(HttpContext http, Reader reader, EmotionAnalyzer analyzer, SpeechFeatureExtractor extractor, IPredictionStore store, RtserOptions options, TimeProvider clock, ILogger log, bool save)
    {
        using WebSocket socket = await http.WebSockets.AcceptWebSocketAsync();
        EmotionModel chosen = reader.Model;
        var session = new LiveSession(analyzer, chosen, extractor, reader.Profile?.Mean, reader.Profile is null ? null : reader.Chosen);
        var connection = new Connection(socket, session, options, http.RequestAborted);
        try
        {
            await connection.SendAsync(new
            {
                type = "ready",
                model = chosen.Id,
                labels = chosen.Labels,
                sampleRate = FeatureConfig.SampleRate,
                windowSeconds = analyzer.Options.WindowSeconds,
                hopSeconds = analyzer.Options.HopSeconds,
                adaptation = reader.Adaptation,
            });
            if (await connection.RunAsync() is { } summary)
            {
                Guid? id = null;
                if (save && session.AudioSeconds > 0)
                {
                    // Saved with its speaker; for a speaker-adapted model it joins the profile as an upload of it would.
                    Prediction saved = ToPrediction(summary, clock) with { Speaker = reader.Speaker, Adaptation = reader.Adaptation };
                    await store.AddAsync(saved, null, Access.Caller.Owner(http), http.RequestAborted, session.ProfileStatistics);
                    id = saved.Id;
                }

                EmotionPrediction o = summary.Overall;
                await connection.SendAsync(new { type = "summary", label = o.Label, confidence = o.Confidence, probabilities = o.Probabilities, durationSeconds = o.DurationSeconds, speechSeconds = o.SpeechSeconds, id });
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "stopped", http.RequestAborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away (closed the tab, lost the network): nothing to answer, nothing to keep.
            log.LogDebug("Live stream ended abruptly after {Seconds:0.0} s: {Reason}", session.AudioSeconds, e.Message);
        }
    }

    private static Prediction ToPrediction(EmotionAnalysis a, TimeProvider clock)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        EmotionPrediction o = a.Overall;
        return new Prediction(Guid.CreateVersion7(now), now, "live session", o.Model, o.Label, o.Confidence, o.Probabilities, o.DurationSeconds, o.SpeechSeconds, TimelineSegment.Of(a.Segments), 0);
    }

    /// <summary>The receive loop of one connection.</summary>
    private sealed class Connection(WebSocket socket, LiveSession session, RtserOptions options, CancellationToken aborted)
    {
        private readonly byte[] _buffer = new byte[MaxMessageBytes];
        private float[] _samples = new float[MaxMessageBytes / 2];
        private int _carry = -1; // an odd trailing byte waiting for its partner in the next frame

        /// <summary>Runs until stop (returns the summary), a client close or an error (returns null).</summary>
        public async Task<EmotionAnalysis?> RunAsync()
        {
            // Only audio restarts the idle clock: empty frames would otherwise hold a slot forever without counting
            // towards the duration limit.
            long started = Stopwatch.GetTimestamp();
            long lastAudio = started;
            var idleFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            TimeSpan idleLimit = TimeSpan.FromSeconds(options.LiveIdleSeconds);
            TimeSpan check = TimeSpan.FromSeconds(Math.Clamp(options.LiveIdleSeconds / 5, 0.05, 1));

            // One timer per connection, not one per message: a Task.Delay per frame left tens of thousands of pending
            // timers with 300 streams and cost them real time.
            using var idleTimer = new Timer(
                _ =>
                {
                    if (Stopwatch.GetElapsedTime(Interlocked.Read(ref lastAudio)) >= idleLimit)
                    {
                        idleFired.TrySetResult();
                    }
                },
                null,
                check,
                check);
            while (true)
            {
                ValueWebSocketReceiveResult r;
                int length = 0;
                do
                {
                    if (length == _buffer.Length)
                    {
                        await FailAsync(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {MaxMessageBytes} bytes; send smaller chunks");
                        return null;
                    }

                    // Not a cancelled receive: that aborts the socket, and the client would never read why it was closed.
                    Task<ValueWebSocketReceiveResult> receive = socket.ReceiveAsync(_buffer.AsMemory(length), aborted).AsTask();
                    if (await Task.WhenAny(receive, idleFired.Task) != receive)
                    {
                        await FailAsync(WebSocketCloseStatus.PolicyViolation, $"no audio for {options.LiveIdleSeconds} s; closing", waitForClient: false);
                        return null;
                    }

                    r = await receive;

                    length += r.Count;
                }
                while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);

                switch (r.MessageType)
                {
                    case WebSocketMessageType.Close:
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", aborted);
                        return null;
                    case WebSocketMessageType.Text when IsStop(_buffer.AsSpan(0, length)):
                        (EmotionSegment? last, EmotionAnalysis summary) = session.Finish();
                        if (last is not null)
                        {
                            await SendReadingAsync(last, 0);
                        }

                        return summary;
                    case WebSocketMessageType.Text:
                        await FailAsync(WebSocketCloseStatus.InvalidMessageType, "text messages other than {\"type\":\"stop\"} are not understood; audio goes in binary frames of Int16 PCM");
                        return null;
                    default:
                        if (session.AudioSeconds + (length / 2.0 / FeatureConfig.SampleRate) > options.MaxDurationSeconds)
                        {
                            await FailAsync(WebSocketCloseStatus.PolicyViolation, $"the stream reached the {options.MaxDurationSeconds} s limit");
                            return null;
                        }

                        long start = Stopwatch.GetTimestamp();
                        IReadOnlyList<EmotionSegment> readings = session.Push(Decode(_buffer.AsSpan(0, length)));
                        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        foreach (EmotionSegment reading in readings)
                        {
                            await SendReadingAsync(reading, ms / readings.Count);
                        }

                        // Audio sent faster than it is spoken waits here, and TCP holds the sender back: each stream
                        // costs at most real-time work, so a flood of streams cannot starve uploads and health checks.
                        // The lead allowed grows with the stream's age, so streams opened together cannot all spend theirs at once.
                        double open = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        double lead = session.AudioSeconds - open - Math.Min(options.LiveLeadSeconds, open);
                        if (lead > 0)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(lead), aborted);
                        }

                        // After the wait: time the server itself held the stream back is not the client's idleness.
                        if (length > 0)
                        {
                            Interlocked.Exchange(ref lastAudio, Stopwatch.GetTimestamp());
                        }

                        break;
                }
            }
        }

        public Task SendAsync(object message) =>
            socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, Json), WebSocketMessageType.Text, endOfMessage: true, aborted);

        private Task SendReadingAsync(EmotionSegment s, double processingMs) => SendAsync(new
        {
            type = "reading",
            start = s.Start,
            end = s.End,
            label = s.Label,
            confidence = s.Confidence,
            probabilities = s.Probabilities,
            audioSeconds = session.AudioSeconds,
            processingMs,
        });

        /// <param name="waitForClient">False while a receive is pending (the idle close): then the close is sent without
        /// waiting for the client's, which may never come.</param>
        private async Task FailAsync(WebSocketCloseStatus status, string detail, bool waitForClient = true)
        {
            await SendAsync(new { type = "error", detail });
            string reason = detail.Length > 120 ? detail[..120] : detail;
            await (waitForClient ? socket.CloseAsync(status, reason, aborted) : socket.CloseOutputAsync(status, reason, aborted));
        }

        /// <summary>Int16 little-endian to floats, carrying an odd byte over to the next frame.</summary>
        private ReadOnlySpan<float> Decode(ReadOnlySpan<byte> bytes)
        {
            int n = 0;
            if (_carry >= 0 && !bytes.IsEmpty)
            {
                _samples[n++] = (short)(_carry | (bytes[0] << 8)) / 32768f;
                bytes = bytes[1..];
                _carry = -1;
            }

            if (_samples.Length < n + (bytes.Length / 2))
            {
                Array.Resize(ref _samples, n + (bytes.Length / 2));
            }

            for (int i = 0; i + 1 < bytes.Length; i += 2)
            {
                _samples[n++] = BinaryPrimitives.ReadInt16LittleEndian(bytes[i..]) / 32768f;
            }

            if ((bytes.Length & 1) == 1)
            {
                _carry = bytes[^1];
            }

            return _samples.AsSpan(0, n);
        }

        private static bool IsStop(ReadOnlySpan<byte> text)
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(text.ToArray());
                return doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("type", out JsonElement t)
                    && t.ValueKind == JsonValueKind.String
                    && t.GetString() == "stop";
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }
}
