using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Rtser.Api.Live;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

public sealed class LiveStreamTests : IDisposable
{
    private readonly RtserApp _app = new();

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData(333)]
    [InlineData(3200)]
    [InlineData(StreamApi.MaxMessageBytes)]
    public async Task Speech_sent_in_any_chunk_size_gets_a_reading_every_half_second_of_audio(int chunkBytes)
    {
        float[] audio = Speech(5.2);
        using WebSocket ws = await ConnectAsync(_app);
        JsonElement ready = await ReceiveAsync(ws);

        var readings = new List<JsonElement>();
        foreach (byte[] chunk in Chunks(Pcm(audio), chunkBytes))
        {
            await ws.SendAsync(chunk, WebSocketMessageType.Binary, true, default);
        }

        await StopAsync(ws);
        JsonElement message;
        while ((message = await ReceiveAsync(ws)).GetProperty("type").GetString() == "reading")
        {
            readings.Add(message);
        }

        Assert.Equal("ready", ready.GetProperty("type").GetString());
        Assert.Equal(16000, ready.GetProperty("sampleRate").GetInt32());
        Assert.Equal("summary", message.GetProperty("type").GetString());
        double[] ends = [.. readings.Select(r => r.GetProperty("end").GetDouble())];
        Assert.Equal([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.2], ends.Select(e => Math.Round(e, 3)));
        Assert.All(readings, r => Assert.Equal(Math.Min(2, r.GetProperty("end").GetDouble()), r.GetProperty("end").GetDouble() - r.GetProperty("start").GetDouble(), 6));
        Assert.Contains(readings, r => r.GetProperty("label").GetString() != "no_speech");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await ClosedAsync(ws));
    }

    [Fact]
    public async Task A_saved_session_equals_the_upload_of_the_same_audio()
    {
        float[] audio = Speech(4.3);
        using HttpClient client = _app.CreateClient();
        Prediction uploaded = await Send.Created(await Send.Raw(client, Send.Wav(audio)));

        using WebSocket ws = await ConnectAsync(_app, "?save=true");
        await ReceiveAsync(ws);
        foreach (byte[] chunk in Chunks(Pcm(audio), 4000))
        {
            await ws.SendAsync(chunk, WebSocketMessageType.Binary, true, default);
        }

        await StopAsync(ws);
        JsonElement summary = await SkipReadingsAsync(ws);
        Guid id = summary.GetProperty("id").GetGuid();
        Prediction saved = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Prediction>(client, $"/api/predictions/{id}"))!;

        Assert.Equal(uploaded.Label, summary.GetProperty("label").GetString());
        Assert.Equal(uploaded.Confidence, summary.GetProperty("confidence").GetDouble(), 5);
        Assert.Equal(uploaded.SpeechSeconds, summary.GetProperty("speechSeconds").GetDouble(), 6);
        Assert.Equal(uploaded.Label, saved.Label);
        Assert.Equal("live session", saved.FileName);
        Assert.Equal(uploaded.Segments.Select(s => (s.Start, s.End, s.Label)), saved.Segments.Select(s => (Math.Round(s.Start, 6), Math.Round(s.End, 6), s.Label)));
    }

    [Fact]
    public async Task Silence_reads_no_speech_and_is_not_saved_without_save()
    {
        using WebSocket ws = await ConnectAsync(_app);
        await ReceiveAsync(ws);
        foreach (byte[] chunk in Chunks(Pcm(new float[3 * 16000]), 32000))
        {
            await ws.SendAsync(chunk, WebSocketMessageType.Binary, true, default);
        }

        await StopAsync(ws);

        var messages = new List<JsonElement>();
        JsonElement m;
        while ((m = await ReceiveAsync(ws)).GetProperty("type").GetString() == "reading")
        {
            messages.Add(m);
        }

        Assert.Equal(6, messages.Count);
        Assert.All(messages, r => Assert.Equal("no_speech", r.GetProperty("label").GetString()));
        Assert.Equal("no_speech", m.GetProperty("label").GetString());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("id").ValueKind);
    }

    [Fact]
    public async Task An_abrupt_disconnect_leaves_the_service_working_and_stores_nothing()
    {
        WebSocket ws = await ConnectAsync(_app, "?save=true");
        await ReceiveAsync(ws);
        await ws.SendAsync(Pcm(Speech(1.2)), WebSocketMessageType.Binary, true, default);
        ws.Abort();
        ws.Dispose();

        using WebSocket again = await ConnectAsync(_app);
        Assert.Equal("ready", (await ReceiveAsync(again)).GetProperty("type").GetString());
        using HttpClient client = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(0, (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<PredictionPage>(client, "/api/predictions"))!.Total);
    }

    [Fact]
    public async Task A_text_frame_that_is_not_stop_gets_an_error_and_a_close()
    {
        using WebSocket ws = await ConnectAsync(_app);
        await ReceiveAsync(ws);
        await ws.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, default);

        JsonElement error = await ReceiveAsync(ws);

        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Contains("binary", error.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await ClosedAsync(ws));
    }

    [Fact]
    public async Task A_message_over_64_KiB_gets_an_error_and_a_close()
    {
        using WebSocket ws = await ConnectAsync(_app);
        await ReceiveAsync(ws);
        await ws.SendAsync(new byte[StreamApi.MaxMessageBytes + 2], WebSocketMessageType.Binary, true, default);

        Assert.Equal("error", (await ReceiveAsync(ws)).GetProperty("type").GetString());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ClosedAsync(ws));
    }

    [Fact]
    public async Task A_silent_connection_is_closed_after_the_idle_limit()
    {
        using var app = new RtserApp(new() { ["Rtser:LiveIdleSeconds"] = "0.5" });
        using WebSocket ws = await ConnectAsync(app);
        await ReceiveAsync(ws);

        Assert.Contains("no audio", (await ReceiveAsync(ws)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(ws));
    }

    [Fact]
    public async Task A_stream_past_the_duration_limit_is_closed_with_a_reason()
    {
        using var app = new RtserApp(new() { ["Rtser:MaxDurationSeconds"] = "1" });
        using WebSocket ws = await ConnectAsync(app);
        await ReceiveAsync(ws);
        await ws.SendAsync(Pcm(new float[32000]), WebSocketMessageType.Binary, true, default);

        Assert.Contains("1 s limit", (await ReceiveAsync(ws)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(ws));
    }

    [Fact]
    public async Task Past_the_live_stream_cap_a_new_stream_is_refused_and_plain_http_says_why()
    {
        using var app = new RtserApp(new() { ["Rtser:MaxLiveStreams"] = "1" });
        using WebSocket first = await ConnectAsync(app);
        await ReceiveAsync(first);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(app));
        using HttpClient client = app.CreateClient();
        HttpResponseMessage why = await client.GetAsync("/api/stream");

        Assert.Contains("503", refused.Message, StringComparison.Ordinal);
        await Problem.AssertAsync(why, HttpStatusCode.ServiceUnavailable, "live streams are open");
        Assert.NotNull(why.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_plain_http_request_an_unknown_model_or_a_speaker_that_is_not_a_pseudonym_gets_400_problem_details()
    {
        using HttpClient client = _app.CreateClient();
        await Problem.AssertAsync(await client.GetAsync("/api/stream"), HttpStatusCode.BadRequest, "WebSocket");
        await Problem.AssertAsync(await client.GetAsync("/api/stream?speaker=Jane%20Doe"), HttpStatusCode.BadRequest, "pseudonym");

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(_app, "?model=nope"));
        Assert.Contains("400", refused.Message, StringComparison.Ordinal);
    }

    internal static Task<WebSocket> ConnectAsync(RtserApp app, string query = "") =>
        app.Server.CreateWebSocketClient().ConnectAsync(new Uri(app.Server.BaseAddress, "api/stream" + query), default);

    internal static Task StopAsync(WebSocket ws) => ws.SendAsync("{\"type\":\"stop\"}"u8.ToArray(), WebSocketMessageType.Text, true, default);

    internal static async Task<JsonElement> SkipReadingsAsync(WebSocket ws)
    {
        JsonElement m;
        while ((m = await ReceiveAsync(ws)).GetProperty("type").GetString() == "reading")
        {
        }

        return m;
    }

    internal static async Task<JsonElement> ReceiveAsync(WebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        ValueWebSocketReceiveResult r;
        do
        {
            r = await ws.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, r.MessageType);
            text.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
        }
        while (!r.EndOfMessage);

        return JsonDocument.Parse(text.ToString()).RootElement.Clone();
    }

    private static async Task<WebSocketCloseStatus?> ClosedAsync(WebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[1024];
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return ws.CloseStatus;
            }
        }
    }

    /// <summary>Send.Samples' speech repeated to the length asked for.</summary>
    internal static float[] Speech(double seconds)
    {
        float[] one = Send.Samples();
        float[] all = new float[(int)Math.Round(seconds * 16000)];
        for (int at = 0; at < all.Length; at += one.Length)
        {
            one.AsSpan(0, Math.Min(one.Length, all.Length - at)).CopyTo(all.AsSpan(at));
        }

        return all;
    }

    internal static byte[] Pcm(float[] samples)
    {
        byte[] bytes = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (short)Math.Clamp(MathF.Round(samples[i] * 32768f), short.MinValue, short.MaxValue));
        }

        return bytes;
    }

    private static IEnumerable<byte[]> Chunks(byte[] bytes, int size) => bytes.Chunk(size);
}
