using Microsoft.Playwright;
using Rtser.Tests.Shared;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

[Collection(WebAppCollection.Name)]
public sealed class LayoutTests(WebAppFixture app)
{
    /// <summary>
    /// The README's picture. Written to RTSER_SCREENSHOT when set (tools/screenshot.sh sets docs/screenshot.png),
    /// else to a temporary file, so a test run never changes the repository.
    /// </summary>
    [CorpusFact]
    public async Task The_page_with_a_result_and_its_timeline_can_be_pictured()
    {
        await using BrowserPage b = await app.NewPageAsync(1100, 900);
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "emodb-speaker03-five-sentences.wav", MimeType = "audio/wav", Buffer = TestAudio.EmoDbSentences() });
        await Expect(page.Locator("#result-timeline svg rect.seg:not([data-label='no_speech'])")).ToHaveCountAsync(2, new() { Timeout = 30_000 }); // two segments
        await page.EvalOnSelectorAsync("#result-audio", "a => new Promise(r => { a.addEventListener('seeked', r, { once: true }); a.currentTime = 3.2; })");
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync("emodb-speaker03");

        string path = Environment.GetEnvironmentVariable("RTSER_SCREENSHOT") is { Length: > 0 } p
            ? Path.GetFullPath(p)
            : Path.Combine(Path.GetTempPath(), $"rtser-screenshot-{Guid.NewGuid():N}.png");
        byte[] png = await page.ScreenshotAsync(new() { Path = path, FullPage = true });

        Assert.True(png.Length > 20_000, $"a {png.Length}-byte screenshot is too small to show the page");
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task At_phone_width_no_part_of_the_page_scrolls_sideways()
    {
        await using BrowserPage b = await app.NewPageAsync(375, 740);
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "a-rather-long-file-name-for-a-phone-screen.wav", MimeType = "audio/wav", Buffer = app.SpeechWav });
        await Expect(page.Locator("#result-timeline svg rect.seg:not([data-label='no_speech'])")).ToHaveCountAsync(2, new() { Timeout = 30_000 }); // two segments
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync("a-rather-long");
        await page.Locator("#segments-table").EvaluateAsync("t => t.closest('details').open = true");

        foreach (string tab in new[] { "#tab-upload", "#tab-record", "#tab-live" })
        {
            await page.Locator(tab).ClickAsync();
            int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"with {tab} open the page is {overflow} px wider than the 375 px screen");
            string[] wide = await page.EvaluateAsync<string[]>(
                @"() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                    .map(e => e.id || e.className || e.tagName)");
            Assert.True(wide.Length == 0, $"with {tab} open these stick out: {string.Join(", ", wide)}");
        }
    }

    [Fact]
    public async Task The_tabs_work_from_the_keyboard_and_the_consent_gates_the_microphone()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#tab-upload").FocusAsync();

        await page.Keyboard.PressAsync("ArrowRight");

        await Expect(page.Locator("#tab-record")).ToBeFocusedAsync();
        await Expect(page.Locator("#tab-record")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.Locator("#panel-record")).ToBeVisibleAsync();
        await Expect(page.Locator("#panel-upload")).ToBeHiddenAsync();
        await Expect(page.Locator("#record-start")).ToBeDisabledAsync();
        await Expect(page.Locator("#panel-record")).ToContainTextAsync("not stored");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator("#record-consent")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(page.Locator("#record-start")).ToBeEnabledAsync();

        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.PressAsync("End");
        await Expect(page.Locator("#tab-live")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.Locator("#live-start")).ToBeDisabledAsync();
        await Expect(page.Locator("#panel-live")).ToContainTextAsync("Nothing is stored");
    }
}
