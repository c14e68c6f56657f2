using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

[Collection(KeyedWebAppCollection.Name)]
public sealed class ApiKeyTests(KeyedWebAppFixture app)
{
    [Fact]
    public async Task With_api_keys_the_page_asks_for_one_and_then_uploads_lists_downloads_and_goes_live_with_it()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Http.GetAsync("/api/models")).StatusCode);
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");

        await Expect(page.Locator("#key-form")).ToBeVisibleAsync();
        await Expect(page.Locator("#api-key")).ToBeFocusedAsync();
        await Expect(page.Locator("#error")).ToContainTextAsync("This service needs an API key");
        await page.Locator("#api-key").FillAsync("not-a-key");
        await page.Locator("#api-key").PressAsync("Enter");
        await Expect(page.Locator("#error")).ToContainTextAsync("the API key is not valid");
        await Expect(page.Locator("#key-form")).ToBeVisibleAsync();

        await page.Locator("#api-key").FillAsync(KeyedWebAppFixture.AliceKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this key" }).ClickAsync();

        await Expect(page.Locator("#key-form")).ToBeHiddenAsync();
        await Expect(page.Locator("#model option[value='cnn-rnn-emodb']")).ToHaveCountAsync(1); // the list loaded with the key
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "alice.wav", MimeType = "audio/wav", Buffer = app.SpeechWav });
        await Expect(page.Locator("#result-timeline svg rect.seg:not([data-label='no_speech'])")).ToHaveCountAsync(2, new() { Timeout = 30_000 }); // two utterances
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync("alice.wav");

        IDownload csv = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        Assert.EndsWith(".csv", csv.SuggestedFilename, StringComparison.Ordinal);
        Assert.Contains("alice.wav", await File.ReadAllTextAsync((await csv.PathAsync())!), StringComparison.Ordinal);

        await page.Locator("#tab-live").ClickAsync();
        await page.Locator("#live-consent").CheckAsync();
        await page.Locator("#live-start").ClickAsync();
        await page.WaitForFunctionAsync("() => +document.getElementById('live-count').textContent >= 2", null, new() { Timeout = 20_000 });
        await page.Locator("#live-stop").ClickAsync();
        await Expect(page.Locator("#live-summary")).ToContainTextAsync("Not saved", new() { Timeout = 10_000 });
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
    }
}
