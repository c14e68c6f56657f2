using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Rtser.Api.Access;
using Rtser.Api.Predictions;
using Rtser.Api.Speakers;
using Rtser.Api.Store;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Api.Live;

/// <summary>
/// One accepted live stream: Int16 PCM frames in, <see cref="LiveMessage"/>s out. Runs the receive loop with its limits
/// (message size, duration, idleness, no faster than real time), feeds an <see cref="EmotionStream"/>, and on stop sends
/// the summary and saves it when asked.
/// </summary>
internal sealed class LiveConnection
{
    private readonly WebSocket _socket;
    private readonly EmotionStream _stream;
    private readonly RtserOptions _options;
    private readonly CancellationToken _aborted;
    private readonly byte[] _buffer = new byte[StreamApi.MaxMessageBytes];
    private float[] _samples = new float[StreamApi.MaxMessageBytes / 2];
    private int _carry = -1; // an odd trailing byte waiting for its partner in the next frame

    private LiveConnection(WebSocket socket, EmotionStream stream, RtserOptions options, CancellationToken aborted) =>
        (_socket, _stream, _options, _aborted) = (socket, stream, options, aborted);

    /// <summary>
    /// Accepts the WebSocket and serves it to the end. A stopped stream is saved (with <paramref name="speaker"/>, and for
    /// a speaker-adapted model what it adds to the profile, as an upload of it would be) when <paramref name="save"/>.
    /// </summary>
    public static async Task RunAsync(HttpContext http, EmotionStream stream, string? speaker, bool save, IPredictionStore store, RtserOptions options, TimeProvider clock, ILogger log)
    {
        using WebSocket socket = await http.WebSockets.AcceptWebSocketAsync();
        var connection = new LiveConnection(socket, stream, options, http.RequestAborted);
        try
        {
            EmotionModel model = stream.Model;
            await connection.SendAsync(new LiveReady(model.Id, model.Labels, FeatureConfig.SampleRate, stream.Timeline.WindowSeconds, stream.Timeline.HopSeconds, stream.Profile.ToAdaptation()));
            if (await connection.ReceiveAsync() is { } summary)
            {
                Guid? id = null;
                if (save && stream.AudioSeconds > 0)
                {
                    Prediction saved = ToPrediction(summary, clock) with { Speaker = speaker, Adaptation = stream.Profile.ToAdaptation() };
                    await store.AddAsync(saved, null, http.User.Owner(), http.RequestAborted, summary.ProfileStatistics);
                    id = saved.Id;
                }

                EmotionPrediction o = summary.Overall;
                await connection.SendAsync(new LiveSummary(o.Label, o.Confidence, o.Probabilities, o.DurationSeconds, o.SpeechSeconds, id, HeardChannel.From(o.Channel)));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "stopped", http.RequestAborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away (closed the tab, lost the network): nothing to answer, nothing to keep.
            log.LogDebug("Live stream ended abruptly after {Seconds:0.0} s: {Reason}", stream.AudioSeconds, e.Message);
        }
    }

    private static Prediction ToPrediction(EmotionAnalysis a, TimeProvider clock)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        EmotionPrediction o = a.Overall;
        return new Prediction(Guid.CreateVersion7(now), now, "live session", o.Model, o.Label, o.Confidence, o.Probabilities, o.DurationSeconds, o.SpeechSeconds, TimelineSegment.Of(a.Segments), 0, Channel: HeardChannel.From(o.Channel));
    }

    /// <summary>Runs until stop (returns the summary), a client close or an error (returns null).</summary>
    private async Task<EmotionAnalysis?> ReceiveAsync()
    {
        // Only audio restarts the idle clock: empty frames would otherwise hold a slot forever without counting
        // towards the duration limit.
        long started = Stopwatch.GetTimestamp();
        long lastAudio = started;
        var idleFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TimeSpan idleLimit = TimeSpan.FromSeconds(_options.LiveIdleSeconds);
        TimeSpan check = TimeSpan.FromSeconds(Math.Clamp(_options.LiveIdleSeconds / 5, 0.05, 1));

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
                    await FailAsync(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {StreamApi.MaxMessageBytes} bytes; send smaller chunks");
                    return null;
                }

                // Not a cancelled receive: that aborts the socket, and the client would never read why it was closed.
                Task<ValueWebSocketReceiveResult> receive = _socket.ReceiveAsync(_buffer.AsMemory(length), _aborted).AsTask();
                if (await Task.WhenAny(receive, idleFired.Task) != receive)
                {
                    await FailAsync(WebSocketCloseStatus.PolicyViolation, $"no audio for {_options.LiveIdleSeconds} s; closing", waitForClient: false);
                    return null;
                }

                r = await receive;

                length += r.Count;
            }
            while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);

            switch (r.MessageType)
            {
                case WebSocketMessageType.Close:
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", _aborted);
                    return null;
                case WebSocketMessageType.Text when IsStop(_buffer.AsSpan(0, length)):
                    (EmotionSegment? last, EmotionAnalysis summary) = _stream.Finish();
                    if (last is not null)
                    {
                        await SendReadingAsync(last, 0);
                    }

                    return summary;
                case WebSocketMessageType.Text:
                    await FailAsync(WebSocketCloseStatus.InvalidMessageType, "text messages other than {\"type\":\"stop\"} are not understood; audio goes in binary frames of Int16 PCM");
                    return null;
                default:
                    if (_stream.AudioSeconds + (length / 2.0 / FeatureConfig.SampleRate) > _options.MaxDurationSeconds)
                    {
                        await FailAsync(WebSocketCloseStatus.PolicyViolation, $"the stream reached the {_options.MaxDurationSeconds} s limit");
                        return null;
                    }

                    long start = Stopwatch.GetTimestamp();
                    IReadOnlyList<EmotionSegment> readings = _stream.Push(Decode(_buffer.AsSpan(0, length)));
                    double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    foreach (EmotionSegment reading in readings)
                    {
                        await SendReadingAsync(reading, ms / readings.Count);
                    }

                    // Audio sent faster than it is spoken waits here, and TCP holds the sender back: each stream
                    // costs at most real-time work, so a flood of streams cannot starve uploads and health checks.
                    // The lead allowed grows with the stream's age, so streams opened together cannot all spend theirs at once.
                    double open = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    double lead = _stream.AudioSeconds - open - Math.Min(_options.LiveLeadSeconds, open);
                    if (lead > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(lead), _aborted);
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

    private Task SendAsync(LiveMessage message) =>
        _socket.SendAsync(message.ToUtf8(), WebSocketMessageType.Text, endOfMessage: true, _aborted);

    private Task SendReadingAsync(EmotionSegment s, double processingMs) =>
        SendAsync(new LiveReading(s.Start, s.End, s.Label, s.Confidence, s.Probabilities, _stream.AudioSeconds, processingMs));

    /// <param name="waitForClient">False while a receive is pending (the idle close): then the close is sent without
    /// waiting for the client's, which may never come.</param>
    private async Task FailAsync(WebSocketCloseStatus status, string detail, bool waitForClient = true)
    {
        await SendAsync(new LiveError(detail));
        string reason = detail.Length > 120 ? detail[..120] : detail;
        await (waitForClient ? _socket.CloseAsync(status, reason, _aborted) : _socket.CloseOutputAsync(status, reason, _aborted));
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
                && t.GetString() == LiveMessage.Stop;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
