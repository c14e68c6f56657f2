using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

[Collection(WebAppCollection.Name)]
public sealed class RecordTests(WebAppFixture app)
{
    private static async Task RecordAsync(IPage page, string until = "0:03")
    {
        await page.Locator("#tab-record").ClickAsync();
        await page.Locator("#record-consent").CheckAsync();
        await page.Locator("#record-start").ClickAsync();
        await Expect(page.Locator("#record-stop")).ToBeEnabledAsync();
        await Expect(page.Locator("#record-timer")).ToHaveTextAsync(until, new() { Timeout = 10_000 });
        await page.Locator("#record-stop").ClickAsync();
    }

    private static string Multipart(IRequest request) => Encoding.Latin1.GetString(request.PostDataBuffer ?? []);

    [Fact]
    public async Task A_recording_is_sent_in_the_browsers_own_format_and_shows_a_result()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        await page.GotoAsync("/");
        var posts = new List<string>();
        await page.RouteAsync("**/api/predictions", async route =>
        {
            lock (posts)
            {
                posts.Add(Multipart(route.Request));
            }

            await route.ContinueAsync();
        });

        await RecordAsync(page);

        await Expect(page.Locator("#record-status")).ToHaveAttributeAsync("data-path", "original", new() { Timeout = 30_000 });
        // The result names the recording by the length the timer stopped at: 0:03, or 0:04 when the stop click lands late.
        string stoppedAt = (await page.Locator("#record-timer").TextContentAsync())!;
        Assert.Matches("^0:0[34]$", stoppedAt);
        await Expect(page.Locator("#result-source")).ToContainTextAsync($"Recording ({stoppedAt})");
        await Expect(page.Locator("#result-label")).ToContainTextAsync("confidence");
        await Expect(page.Locator("#result-timeline svg rect.seg")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#result-audio")).ToBeVisibleAsync();
        string body = Assert.Single(posts);
        Assert.Contains("filename=\"recording.webm\"", body, StringComparison.Ordinal);
        Assert.Contains("Content-Type: audio/webm", body, StringComparison.Ordinal);
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync("recording.webm");
        await MicrophoneProbe.WaitReleasedAsync(page);
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task When_the_service_cannot_decode_a_recording_the_page_converts_it_to_16_khz_wav_and_sends_that()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        var sent = new List<string>();
        // The service as it was before it decoded Opus: every container but WAV is a 415.
        await page.RouteAsync("**/api/predictions", async route =>
        {
            string body = Multipart(route.Request);
            lock (sent)
            {
                sent.Add(body);
            }

            if (body.Contains("RIFF", StringComparison.Ordinal) && body.Contains("WAVEfmt ", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                await route.FulfillAsync(new()
                {
                    Status = 415,
                    ContentType = "application/problem+json",
                    Body = """{"title":"Unsupported media type","status":415,"detail":"supported: WAV"}""",
                });
            }
        });

        await RecordAsync(page);

        await Expect(page.Locator("#record-status")).ToHaveAttributeAsync("data-path", "wav", new() { Timeout = 30_000 });
        await Expect(page.Locator("#record-status")).ToContainTextAsync("converted to 16 kHz WAV in the browser");
        await Expect(page.Locator("#result-label")).ToContainTextAsync("confidence");
        Assert.Equal(2, sent.Count);
        Assert.Contains("filename=\"recording.webm\"", sent[0], StringComparison.Ordinal);
        Assert.Contains("filename=\"recording.wav\"", sent[1], StringComparison.Ordinal);
        // The WAV header the page wrote: PCM, 1 channel, 16000 Hz, 16 bits.
        int fmt = sent[1].IndexOf("WAVEfmt ", StringComparison.Ordinal);
        byte[] header = Encoding.Latin1.GetBytes(sent[1].Substring(fmt + 8, 28));
        Assert.Equal(1, BitConverter.ToInt16(header, 4));
        Assert.Equal(1, BitConverter.ToInt16(header, 6));
        Assert.Equal(16000, BitConverter.ToInt32(header, 8));
        Assert.Equal(16, BitConverter.ToInt16(header, 18));
        int dataBytes = BitConverter.ToInt32(header, 24);
        Assert.InRange(dataBytes / 32000.0, 2.5, 4.5);
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_denied_microphone_is_explained_and_nothing_is_recorded()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.AddInitScriptAsync("navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));");
        await page.GotoAsync("/");

        await page.Locator("#tab-record").ClickAsync();
        await page.Locator("#record-consent").CheckAsync();
        await page.Locator("#record-start").ClickAsync();

        await Expect(page.Locator("#error")).ToContainTextAsync("Microphone access was denied");
        await Expect(page.Locator("#record-start")).ToBeEnabledAsync();
        await Expect(page.Locator("#record-stop")).ToBeDisabledAsync();

        await page.Locator("#tab-live").ClickAsync();
        await page.Locator("#live-consent").CheckAsync();
        await page.Locator("#live-start").ClickAsync();
        await Expect(page.Locator("#error")).ToContainTextAsync("Microphone access was denied");
        await Expect(page.Locator("#live-start")).ToBeEnabledAsync();
    }
}
