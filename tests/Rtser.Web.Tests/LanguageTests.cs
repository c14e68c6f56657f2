using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

/// <summary>The page asks which language is spoken, sends it, and says which model answered.</summary>
[Collection(WebAppCollection.Name)]
public sealed class LanguageTests(WebAppFixture app)
{
    // Chromium does not hand a multipart body with a file to the test, so the page's own FormData calls are recorded.
    private const string RecordFormFields = """
        window.formFields = [];
        const append = FormData.prototype.append;
        FormData.prototype.append = function (name, value, ...rest) {
          if (typeof value === 'string') window.formFields.push(`${name}=${value}`);
          return append.call(this, name, value, ...rest);
        };
        """;

    private static async Task<IPage> OpenAsync(BrowserPage b)
    {
        await b.Page.AddInitScriptAsync(RecordFormFields);
        await b.Page.GotoAsync("/");
        await Expect(b.Page.Locator("#model optgroup")).ToHaveCountAsync(2, new() { Timeout = 10_000 });
        return b.Page;
    }

    /// <summary>The text fields of the forms the page has sent, as name=value.</summary>
    private static Task<string[]> FormFieldsAsync(IPage page) => page.EvaluateAsync<string[]>("() => window.formFields");

    private Task UploadAsync(IPage page, string name) =>
        page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = name, MimeType = "audio/wav", Buffer = app.SpeechWav });

    [Fact]
    public async Task The_page_asks_for_the_language_english_first_and_each_languages_recommended_model_answers()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);

        await Expect(page.Locator("#language option")).ToHaveTextAsync(["English", "German"]);
        await Expect(page.Locator("#language")).ToHaveValueAsync("en");
        await Expect(page.Locator("#model")).ToHaveValueAsync("");
        await Expect(page.Locator("#model option").First).ToHaveTextAsync("Recommended for English: mlr-ravdess");
        await UploadAsync(page, "english.wav");
        await Expect(page.Locator("#result-source")).ToContainTextAsync("answered by model mlr-ravdess (English)", new() { Timeout = 30_000 });

        await page.Locator("#language").SelectOptionAsync("de");

        await Expect(page.Locator("#model option").First).ToHaveTextAsync("Recommended for German: cnn-rnn-emodb");
        await Expect(page.Locator("#model-info")).ToContainTextAsync("cnn-rnn-emodb: German speech (emodb)");
        await UploadAsync(page, "german.wav");
        await Expect(page.Locator("#result-source")).ToContainTextAsync("answered by model cnn-rnn-emodb (German)", new() { Timeout = 30_000 });
        Assert.Equal(["language=en", "language=de"], await FormFieldsAsync(page));
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task The_model_list_puts_the_recommended_models_first_and_any_other_stays_choosable_with_a_warning()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);

        await Expect(page.Locator("#model optgroup[label='Recommended'] option")).ToHaveTextAsync(["mlr-ravdess (English)", "cnn-rnn-emodb (German)"]);
        await Expect(page.Locator("#model optgroup[label='Other models'] option[value='cnn-rnn-ravdess']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#model optgroup[label='Other models'] option[value='svm-emodb']")).ToHaveCountAsync(1);

        await page.Locator("#model").SelectOptionAsync("svm-emodb");

        await Expect(page.Locator("#model-info")).ToContainTextAsync("trained on German, not English");
        await UploadAsync(page, "mixed.wav");
        await Expect(page.Locator("#result-source")).ToContainTextAsync("answered by model svm-emodb (German)", new() { Timeout = 30_000 });
        Assert.Equal(["language=en", "model=svm-emodb"], await FormFieldsAsync(page));
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task A_live_stream_sends_the_language_and_says_which_model_reads_it()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        await page.Locator("#language").SelectOptionAsync("de");
        await page.Locator("#tab-live").ClickAsync();
        await page.Locator("#live-consent").CheckAsync();

        IWebSocket ws = await page.RunAndWaitForWebSocketAsync(() => page.Locator("#live-start").ClickAsync());

        Assert.Contains("language=de", ws.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("model=", ws.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#live-status")).ToContainTextAsync("Live with model cnn-rnn-emodb (German)", new() { Timeout = 10_000 });
        await page.Locator("#live-stop").ClickAsync();
        await Expect(page.Locator("#live-summary")).ToContainTextAsync("Not saved", new() { Timeout = 10_000 });
        Assert.Empty(b.ErrorsSoFar());
    }
}
