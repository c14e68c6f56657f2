using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.TestHost;
using static Rtser.Api.Tests.LiveStreamTests;

namespace Rtser.Api.Tests;

/// <summary>What one live stream, or one caller's streams, may take from everyone else.</summary>
public sealed class LiveLimitTests
{
    [Fact]
    public async Task One_key_holds_at_most_its_share_of_live_streams_and_other_keys_still_connect()
    {
        using var app = new RtserApp(new()
        {
            ["Rtser:ApiKeys:clinic-a"] = "key-a-0123456789",
            ["Rtser:ApiKeys:clinic-b"] = "key-b-9876543210",
            ["Rtser:MaxLiveStreamsPerCaller"] = "2",
        });
        using WebSocket a1 = await ConnectAsync(app, "?key=key-a-0123456789");
        using WebSocket a2 = await ConnectAsync(app, "?key=key-a-0123456789");

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(app, "?key=key-a-0123456789"));
        using WebSocket b = await ConnectAsync(app, "?key=key-b-9876543210");
        using HttpClient client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "key-a-0123456789");
        HttpResponseMessage why = await client.GetAsync("/api/stream");

        Assert.Contains("429", refused.Message, StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, b.State);
        await Problem.AssertAsync(why, System.Net.HttpStatusCode.TooManyRequests, "this API key has 2 live streams open");

        await a1.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await OperationsTests.WaitUntilAsync(() => app.Services.GetService(typeof(Live.LiveStreamSlots)) is Live.LiveStreamSlots s && s.Open == 2);
        using WebSocket again = await ConnectAsync(app, "?key=key-a-0123456789");
        Assert.Equal(WebSocketState.Open, again.State);
    }

    [Fact]
    public async Task Without_keys_only_the_total_limits_streams_so_an_office_behind_one_address_is_not_capped()
    {
        using var app = new RtserApp(new() { ["Rtser:MaxLiveStreamsPerCaller"] = "1", ["Rtser:MaxLiveStreams"] = "3" });
        using WebSocket s1 = await ConnectAsync(app);
        using WebSocket s2 = await ConnectAsync(app);
        using WebSocket s3 = await ConnectAsync(app);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(app));

        Assert.Equal(WebSocketState.Open, s3.State);
        Assert.Contains("503", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_frames_do_not_keep_a_stream_open_past_the_idle_limit()
    {
        using var app = new RtserApp(new() { ["Rtser:LiveIdleSeconds"] = "1" });
        using WebSocket ws = await ConnectAsync(app);
        await ReceiveAsync(ws);
        var sending = Stopwatch.StartNew();
        Task<string?> error = Task.Run(async () => (await ReceiveAsync(ws)).GetProperty("detail").GetString());

        while (!error.IsCompleted && sending.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                await ws.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, true, default);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
            {
                break;
            }

            await Task.Delay(100);
        }

        // A send can fail on the server's close before the error frame has been read: wait for it within the same 5 s.
        TimeSpan left = TimeSpan.FromSeconds(5) - sending.Elapsed;
        await Task.WhenAny(error, Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero));
        Assert.True(error.IsCompleted, "the stream of empty frames was still open after 5 s");
        Assert.Contains("no audio", await error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_sent_faster_than_real_time_is_read_no_faster_than_real_time_plus_the_lead()
    {
        using var app = new RtserApp(new() { ["Rtser:LiveLeadSeconds"] = "1" });
        using WebSocket ws = await ConnectAsync(app);
        await ReceiveAsync(ws);
        var clock = Stopwatch.StartNew();

        // 5 s of audio at once: read in real time less the 1 s lead, the summary cannot come before 4 s.
        foreach (byte[] chunk in Pcm(new float[5 * 16000]).Chunk(16000))
        {
            await ws.SendAsync(chunk, WebSocketMessageType.Binary, true, default);
        }

        await StopAsync(ws);
        var summary = await SkipReadingsAsync(ws);

        Assert.Equal("summary", summary.GetProperty("type").GetString());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3.8), $"the summary came after {clock.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task A_stop_before_any_audio_gets_a_no_speech_summary_and_no_empty_reading()
    {
        using var app = new RtserApp();
        using WebSocket ws = await ConnectAsync(app, "?save=true");
        await ReceiveAsync(ws);

        await StopAsync(ws);
        var first = await ReceiveAsync(ws);

        Assert.Equal("summary", first.GetProperty("type").GetString());
        Assert.Equal("no_speech", first.GetProperty("label").GetString());
        Assert.Equal(0, first.GetProperty("durationSeconds").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, first.GetProperty("id").ValueKind);
    }
}
