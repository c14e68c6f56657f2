using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

[Collection(WebAppCollection.Name)]
public sealed partial class LiveTests(WebAppFixture app)
{
    private static async Task GoLiveAsync(IPage page, bool save)
    {
        await page.Locator("#tab-live").ClickAsync();
        await page.Locator("#live-consent").CheckAsync();
        await page.Locator("#live-save").SetCheckedAsync(save);
        await page.Locator("#live-start").ClickAsync();
    }

    private static Task WaitReadingsAsync(IPage page, int count, float timeoutMs = 20_000) =>
        page.WaitForFunctionAsync($"() => +document.getElementById('live-count').textContent >= {count}", null, new() { Timeout = timeoutMs });

    [GeneratedRegex(@"median (\d+), max (\d+)")]
    private static partial Regex DelayText();

    [Fact]
    public async Task Live_mode_shows_readings_from_the_microphone_within_300_ms_and_stop_releases_it_and_saves_the_session()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        await page.GotoAsync("/");
        await page.Locator("#language").SelectOptionAsync("de"); // the assertions name the German model's labels

        await GoLiveAsync(page, save: true);
        await Expect(page.Locator("#panel-live")).ToHaveAttributeAsync("data-mic", "on");
        await Expect(page.Locator("#live-status")).ToContainTextAsync("Speak now", new() { Timeout = 10_000 });
        await WaitReadingsAsync(page, 8);

        string label = (await page.Locator("#live-label").GetAttributeAsync("data-label"))!;
        Assert.Contains(label, new[] { "neutral", "happy", "sad", "angry", "fearful", "disgust", "bored", "no_speech" });
        await Expect(page.Locator("#live-timeline svg rect.seg")).Not.ToHaveCountAsync(0);
        string delay = (await page.Locator("#live-delay").TextContentAsync())!;
        Match m = DelayText().Match(delay);
        Assert.True(m.Success, $"no delay shown: '{delay}'");
        int median = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(median <= 300, $"readings arrive {median} ms (median) after their audio was sent: {delay}");
        Console.WriteLine($"live delay from audio sent to reading received: {delay}");

        await page.Locator("#live-stop").ClickAsync();

        await MicrophoneProbe.WaitReleasedAsync(page);
        await Expect(page.Locator("#panel-live")).ToHaveAttributeAsync("data-mic", "off");
        await Expect(page.Locator("#live-summary")).ToContainTextAsync("Saved to the history", new() { Timeout = 10_000 });
        await Expect(page.Locator("#live-status")).ToContainTextAsync("microphone is released");
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync("live session");
        await Expect(page.Locator("#result-source")).ToContainTextAsync("Live session");
        await Expect(page.Locator("#result-timeline svg rect.seg")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
        Assert.Equal(1, await MicrophoneProbe.StreamsOpenedAsync(page));
        Assert.Empty(b.ErrorsSoFar());
    }

    /// <summary>
    /// A stand-in server (Playwright's WebSocket routing) counts what the page's AudioWorklet sends: 16 kHz Int16
    /// at the pace of real time, with the speech in it; then it drops the connection.
    /// </summary>
    [Fact]
    public async Task The_worklet_streams_16_khz_pcm_in_real_time_and_a_dropped_connection_is_reported_and_releases_the_microphone()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        var gate = new object();
        long bytes = 0;
        double squares = 0;
        int frames = 0, largest = 0;
        var clock = new Stopwatch();
        double firstAt = 0, lastAt = 0;
        IWebSocketRoute? server = null;
        await page.RouteWebSocketAsync(url => url.Contains("/api/stream", StringComparison.Ordinal), ws =>
        {
            server = ws;
            ws.Send("""{"type":"ready","model":"stand-in","labels":["neutral","angry"],"sampleRate":16000,"windowSeconds":2,"hopSeconds":0.5,"adaptation":null}""");
            ws.OnMessage(frame =>
            {
                if (frame.Binary is not { } data)
                {
                    return;
                }

                long total;
                lock (gate)
                {
                    if (frames++ == 0)
                    {
                        clock.Start();
                    }

                    lastAt = clock.Elapsed.TotalSeconds;
                    largest = Math.Max(largest, data.Length);
                    for (int i = 0; i + 1 < data.Length; i += 2)
                    {
                        double s = BinaryPrimitives.ReadInt16LittleEndian(data.AsSpan(i));
                        squares += s * s;
                    }

                    long before = bytes / 16000;
                    bytes += data.Length;
                    total = bytes;
                    if (total / 16000 == before)
                    {
                        return;
                    }
                }

                double end = total / 32000.0;
                ws.Send($$"""{"type":"reading","start":{{Math.Max(0, end - 2).ToString(CultureInfo.InvariantCulture)}},"end":{{end.ToString(CultureInfo.InvariantCulture)}},"label":"angry","confidence":0.8,"probabilities":{"neutral":0.2,"angry":0.8},"audioSeconds":{{end.ToString(CultureInfo.InvariantCulture)}},"processingMs":1}""");
            });
        });
        await page.GotoAsync("/");

        await GoLiveAsync(page, save: false);
        await Expect(page.Locator("#panel-live")).ToHaveAttributeAsync("data-mic", "on");
        await WaitReadingsAsync(page, 6);
        await Expect(page.Locator("#live-label")).ToContainTextAsync("angry");
        await Expect(page.Locator("#live-label")).ToContainTextAsync("80 %");
        await server!.CloseAsync(new() { Code = 1011, Reason = "gone" });

        await Expect(page.Locator("#error")).ToContainTextAsync("connection to the service was lost", new() { Timeout = 5_000 });
        await MicrophoneProbe.WaitReleasedAsync(page);
        await Expect(page.Locator("#panel-live")).ToHaveAttributeAsync("data-mic", "off");
        await Expect(page.Locator("#live-start")).ToBeEnabledAsync();
        lock (gate)
        {
            double seconds = bytes / 32000.0;
            Assert.True(bytes % 2 == 0 && largest <= 64 * 1024, $"frames of whole Int16 samples up to 64 KiB ({largest} bytes at most)");
            // Audio sent between the first and the last frame (the first frame's audio was captured before the clock started).
            double rate = (bytes - bytes / frames) / 2.0 / (lastAt - firstAt);
            Assert.InRange(rate, 16000 * 0.85, 16000 * 1.15);
            double rms = Math.Sqrt(squares / (bytes / 2));
            Assert.True(rms > 300, $"the fake microphone's speech should be audible in the PCM (RMS {rms:0} of 32768 over {seconds:0.0} s)");
        }
    }

    [Fact]
    public async Task An_error_from_the_live_service_is_shown_with_its_detail()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        await page.RouteWebSocketAsync(url => url.Contains("/api/stream", StringComparison.Ordinal), ws =>
        {
            ws.Send("""{"type":"ready","model":"stand-in","labels":["neutral"],"sampleRate":16000,"windowSeconds":2,"hopSeconds":0.5,"adaptation":null}""");
            ws.Send("""{"type":"error","detail":"no audio for 30 s; the session is closed"}""");
            _ = ws.CloseAsync(new() { Code = 1008, Reason = "idle" });
        });
        await page.GotoAsync("/");

        await GoLiveAsync(page, save: false);

        await Expect(page.Locator("#error")).ToContainTextAsync("Live analysis stopped: no audio for 30 s; the session is closed", new() { Timeout = 5_000 });
        await MicrophoneProbe.WaitReleasedAsync(page);
    }

    [Fact]
    public async Task The_session_summary_says_when_the_stream_was_heard_as_a_noisy_room()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        await page.RouteWebSocketAsync(url => url.Contains("/api/stream", StringComparison.Ordinal), ws =>
        {
            ws.Send("""{"type":"ready","model":"stand-in","labels":["neutral","angry"],"sampleRate":16000,"windowSeconds":2,"hopSeconds":0.5,"adaptation":null}""");
            ws.OnMessage(frame =>
            {
                if (frame.Text is not null)
                {
                    ws.Send("""{"type":"summary","label":"angry","confidence":0.8,"probabilities":{"neutral":0.2,"angry":0.8},"durationSeconds":3,"speechSeconds":2,"id":null,"channel":{"heard":"noise","probabilities":{"clean":0.1,"phone":0,"noise":0.85,"room":0.05}}}""");
                }
            });
        });
        await page.GotoAsync("/");

        await GoLiveAsync(page, save: false);
        await Expect(page.Locator("#panel-live")).ToHaveAttributeAsync("data-mic", "on");
        await page.Locator("#live-stop").ClickAsync();

        await Expect(page.Locator("#live-summary")).ToContainTextAsync("Heard as a noisy room: readings are less certain there. Not saved.", new() { Timeout = 10_000 });
        await MicrophoneProbe.WaitReleasedAsync(page);
    }

    [Fact]
    public async Task A_refused_live_connection_says_why_when_the_service_tells_it()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        // The handshake fails (a browser sees only the close), and the same URL over HTTP says why.
        await page.RouteWebSocketAsync(url => url.Contains("/api/stream", StringComparison.Ordinal), ws => _ = ws.CloseAsync(new() { Code = 1011 }));
        await page.RouteAsync(url => url.Contains("/api/stream", StringComparison.Ordinal), route => route.FulfillAsync(new()
        {
            Status = 429,
            ContentType = "application/problem+json",
            Body = """{"title":"Too many requests","status":429,"detail":"the rate limit is 1200 requests per minute; retry after 2 s"}""",
        }));
        await page.GotoAsync("/");

        await GoLiveAsync(page, save: false);

        await Expect(page.Locator("#error")).ToContainTextAsync("Live mode could not start. Too many requests: the rate limit is 1200 requests per minute", new() { Timeout = 5_000 });
        await MicrophoneProbe.WaitReleasedAsync(page);
        await Expect(page.Locator("#live-start")).ToBeEnabledAsync();
    }
}
