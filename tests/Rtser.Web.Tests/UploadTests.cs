using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

[Collection(WebAppCollection.Name)]
public sealed class UploadTests(WebAppFixture app)
{
    [Fact]
    public async Task An_uploaded_file_shows_its_label_a_bar_per_class_and_a_timeline_with_a_playback_cursor()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await Expect(page.Locator("#model option")).Not.ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await page.Locator("#language").SelectOptionAsync("de"); // the assertions name the German model's labels

        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "five-sentences.wav", MimeType = "audio/wav", Buffer = app.SpeechWav });

        await Expect(page.Locator("#result")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        string label = (await page.Locator("#result-label").GetAttributeAsync("data-label"))!;
        string[] labels = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "bored"];
        Assert.Contains(label, labels);
        await Expect(page.Locator("#result-label")).ToContainTextAsync("confidence");
        await Expect(page.Locator("#result-bars li")).ToHaveCountAsync(7);
        await Expect(page.Locator("#result-source")).ToContainTextAsync("five-sentences.wav");
        // Two sentences with 0.8 s of silence after each: two utterance segments with speech, each a bar on the timeline and a
        // row of its table (the silence beyond the German model's short margins is drawn as no_speech bars of its own).
        await Expect(page.Locator("#result-timeline svg rect.seg:not([data-label='no_speech'])")).ToHaveCountAsync(2);
        int segments = await page.Locator("#result-timeline svg rect.seg").CountAsync();
        await Expect(page.Locator("#segments-table tbody tr")).ToHaveCountAsync(segments);
        await Expect(page.Locator("#result-timeline svg")).ToHaveAttributeAsync("aria-label", new Regex($" {segments} segments$"));

        // Playback moves the cursor over the timeline.
        await Expect(page.Locator("#result-audio")).ToBeVisibleAsync();
        await page.EvalOnSelectorAsync("#result-audio", "a => new Promise(r => { a.addEventListener('seeked', r, { once: true }); a.currentTime = 5; })");
        await Expect(page.Locator("#result-timeline line.cursor")).ToHaveAttributeAsync("visibility", "visible");
        double x = double.Parse((await page.Locator("#result-timeline line.cursor").GetAttributeAsync("x1"))!, System.Globalization.CultureInfo.InvariantCulture);
        double width = await page.Locator("#result-timeline svg").EvaluateAsync<double>("s => s.width.baseVal.value");
        Assert.InRange(x / width, 0.45, 0.55);
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task A_file_dropped_on_the_page_is_analysed()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await Expect(page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        string wav = Convert.ToBase64String(TestAudio.Wav(app.SpeechWav[44..(44 + 2 * 22050 * 2)], 22050));

        await page.EvaluateAsync(
            @"b64 => {
                const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                const dt = new DataTransfer();
                dt.items.add(new File([bytes], 'dropped.wav', { type: 'audio/wav' }));
                const drop = document.getElementById('drop');
                drop.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
                drop.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
            }",
            wav);

        await Expect(page.Locator("#result-source")).ToContainTextAsync("dropped.wav", new() { Timeout = 30_000 });
        await Expect(page.Locator("#result-timeline svg rect.seg")).ToHaveCountAsync(1);
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task A_file_that_is_not_audio_shows_the_services_415_detail()
    {
        byte[] text = "this is not audio\n"u8.ToArray();
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(text);
        part.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(part, "file", "notes.txt");
        using HttpResponseMessage direct = await app.Http.PostAsync("/api/predictions", form);
        Assert.Equal(415, (int)direct.StatusCode);
        string detail = JsonDocument.Parse(await direct.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = text });

        ILocator error = page.Locator("#error");
        await Expect(error).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(error).ToHaveAttributeAsync("role", "alert");
        await Expect(error).ToContainTextAsync("notes.txt: This type of file is not supported");
        await Expect(error).ToContainTextAsync(detail);
        await Expect(page.Locator("#result")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Silence_is_reported_as_no_speech_detected_rather_than_an_emotion()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "silence.wav", MimeType = "audio/wav", Buffer = TestAudio.Silence(3) });

        await Expect(page.Locator("#result-label")).ToContainTextAsync("No speech detected", new() { Timeout = 30_000 });
        await Expect(page.Locator("#result-bars")).ToBeHiddenAsync();
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task The_model_picker_shows_each_models_language_and_labels_and_the_upload_uses_the_chosen_one()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await Expect(page.Locator("#model")).ToHaveValueAsync("");
        await Expect(page.Locator("#model option[value='cnn-rnn-emodb']")).ToHaveTextAsync("cnn-rnn-emodb (German)");
        await Expect(page.Locator("#model-info")).ToContainTextAsync("English speech");

        await page.Locator("#model").SelectOptionAsync("cnn-rnn-ravdess");

        await Expect(page.Locator("#model-info")).ToContainTextAsync("English speech (ravdess)");
        await Expect(page.Locator("#model-info")).ToContainTextAsync("neutral, happy, sad, angry, fearful, disgust, surprised");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "for-ravdess.wav", MimeType = "audio/wav", Buffer = app.SpeechWav });
        await Expect(page.Locator("#result-source")).ToContainTextAsync("model cnn-rnn-ravdess", new() { Timeout = 30_000 });
        await Expect(page.Locator("#result-bars li[data-label='surprised']")).ToHaveCountAsync(1);
        Assert.Empty(b.ErrorsSoFar());
    }

    /// <summary>The service's answer with the channel its detector heard replaced by <paramref name="heard"/> (null: a model without one).</summary>
    [Theory]
    [InlineData("phone", "Heard as a phone line: readings are less certain there.")]
    [InlineData("room", "Heard as a reverberant room: readings are less certain there.")]
    [InlineData("babble", "Heard as speech among other voices: readings are less certain there.")]
    [InlineData("clean", null)]
    [InlineData(null, null)]
    public async Task The_result_says_when_the_audio_was_heard_as_a_phone_line_or_a_room_and_nothing_when_clean(string? heard, string? sentence)
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.RouteAsync("**/api/predictions", async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }

            IAPIResponse real = await route.FetchAsync();
            var body = System.Text.Json.Nodes.JsonNode.Parse(await real.TextAsync())!.AsObject();
            body["channel"] = heard is null ? null : new System.Text.Json.Nodes.JsonObject
            {
                ["heard"] = heard,
                ["probabilities"] = new System.Text.Json.Nodes.JsonObject { ["clean"] = 0.05, [heard] = 0.9 },
            };
            await route.FulfillAsync(new() { Response = real, Body = body.ToJsonString() });
        });
        await page.GotoAsync("/");

        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "clip.wav", MimeType = "audio/wav", Buffer = app.SpeechWav });

        await Expect(page.Locator("#result-source")).ToContainTextAsync("clip.wav", new() { Timeout = 30_000 });
        if (sentence is null)
        {
            await Expect(page.Locator("#result-channel")).ToBeHiddenAsync();
            await Expect(page.Locator("#result")).Not.ToContainTextAsync("Heard as");
        }
        else
        {
            await Expect(page.Locator("#result-channel")).ToBeVisibleAsync();
            await Expect(page.Locator("#result-channel")).ToHaveTextAsync(sentence);
        }

        Assert.Empty(b.ErrorsSoFar());
    }

    /// <summary>The service's problem answers (RFC 7807) as the page shows them: a plain title and the service's detail.</summary>
    [Theory]
    [InlineData(413, "The file is too large", "the upload is larger than the 26214400-byte limit (25 MiB)")]
    [InlineData(422, "The audio cannot be analysed", "the audio is 612.0 s long; the limit is 600 s")]
    [InlineData(400, "The service could not read this input", "the WAV data chunk is cut short")]
    public async Task Each_problem_the_service_answers_is_shown_with_its_detail(int status, string title, string detail)
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.RouteAsync("**/api/predictions", route => route.FulfillAsync(new()
        {
            Status = status,
            ContentType = "application/problem+json",
            Body = JsonSerializer.Serialize(new { title = "x", status, detail }),
        }));
        await page.GotoAsync("/");

        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "clip.wav", MimeType = "audio/wav", Buffer = TestAudio.Silence(0.5) });

        await Expect(page.Locator("#error")).ToHaveTextAsync(new Regex($"clip.wav: {Regex.Escape(title)}: {Regex.Escape(detail)}"));
        await Expect(page.Locator("#upload-progress")).ToBeHiddenAsync();
        await page.Locator("#error-close").ClickAsync();
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
    }
}
