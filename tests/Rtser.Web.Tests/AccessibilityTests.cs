using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

/// <summary>axe-core (vendored in TestData) checks the page against the WCAG 2.1 A and AA rules it can test.</summary>
[Collection(WebAppCollection.Name)]
public sealed class AccessibilityTests(WebAppFixture app)
{
    private static readonly string Axe = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "axe-core", "axe.min.js"));

    internal static async Task<string[]> ViolationsAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            await page.EvaluateAsync(Axe);
        }

        JsonElement result = await page.EvaluateAsync<JsonElement>(
            "async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))" +
            ".violations.map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)");
        return [.. result.EnumerateArray().Select(e => e.GetString()!)];
    }

    [Theory]
    [InlineData(1100)]
    [InlineData(375)]
    public async Task Every_tab_and_a_result_pass_the_automated_wcag_checks(int width)
    {
        await using BrowserPage b = await app.NewPageAsync(width, 900);
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "a11y.wav", MimeType = "audio/wav", Buffer = app.SpeechWav });
        await Expect(page.Locator("#result-timeline svg rect.seg:not([data-label='no_speech'])")).ToHaveCountAsync(2, new() { Timeout = 30_000 }); // two utterances
        await page.Locator("#segments-table").EvaluateAsync("t => t.closest('details').open = true");
        var found = new List<string>();

        found.AddRange(await ViolationsAsync(page));
        await page.Locator("#tab-record").ClickAsync();
        await page.Locator("#record-consent").CheckAsync();
        found.AddRange(await ViolationsAsync(page));
        await page.Locator("#tab-live").ClickAsync();
        found.AddRange(await ViolationsAsync(page));

        Assert.True(found.Count == 0, string.Join("\n", found.Distinct()));
    }
}
