using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

[Collection(WebAppCollection.Name)]
public sealed class HistoryTests(WebAppFixture app)
{
    /// <summary>Saves a prediction through the API, as another browser would, and returns its id.</summary>
    private async Task<string> SaveAsync(string fileName, byte[] wav)
    {
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(wav);
        part.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(part, "file", fileName);
        form.Add(new StringContent("de"), "language"); // 'angry' below is the German default's reading
        using HttpResponseMessage response = await app.Http.PostAsync("/api/predictions", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private byte[] ShortSpeech() => TestAudio.Wav(app.SpeechWav[44..(44 + 2 * 22050 * 2)], 22050);

    [Fact]
    public async Task The_history_lists_saved_results_newest_first_shows_one_and_deletes_one()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string older = await SaveAsync($"older-{tag}.wav", ShortSpeech());
        string newer = await SaveAsync($"newer-{tag}.wav", ShortSpeech());
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        page.Dialog += async (_, d) => await d.AcceptAsync();
        await page.GotoAsync("/");

        ILocator rows = page.Locator("#history-table tbody tr");
        await Expect(rows.Nth(0)).ToContainTextAsync($"newer-{tag}.wav");
        await Expect(rows.Nth(1)).ToContainTextAsync($"older-{tag}.wav");
        await Expect(rows.Nth(0)).ToContainTextAsync("angry");

        await rows.Nth(1).GetByRole(AriaRole.Button, new() { Name = "View" }).ClickAsync();
        await Expect(page.Locator("#result-source")).ToContainTextAsync($"older-{tag}.wav");
        await Expect(page.Locator("#result-timeline svg rect.seg")).ToHaveCountAsync(1);
        await Expect(page.Locator("#result-audio")).ToBeHiddenAsync();

        await page.Locator($"#history-table tr[data-id='{newer}']").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();

        await Expect(page.Locator("#history-status")).ToContainTextAsync($"Deleted the result of newer-{tag}.wav");
        await Expect(page.Locator($"#history-table tr[data-id='{newer}']")).ToHaveCountAsync(0);
        await Expect(rows.Nth(0)).ToContainTextAsync($"older-{tag}.wav");
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/predictions/{newer}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync($"/api/predictions/{older}")).StatusCode);
    }

    [Fact]
    public async Task The_history_pages_ten_results_at_a_time()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        byte[] silence = TestAudio.Silence(0.5);
        for (int i = 0; i < 11; i++)
        {
            await SaveAsync($"page-{tag}-{i:00}.wav", silence);
        }

        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        ILocator rows = page.Locator("#history-table tbody tr");
        await Expect(rows).ToHaveCountAsync(10);
        await Expect(rows.First).ToContainTextAsync($"page-{tag}-10.wav");
        await Expect(page.Locator("#history-prev")).ToBeDisabledAsync();
        int total = int.Parse((await page.Locator("#history").GetAttributeAsync("data-total"))!, System.Globalization.CultureInfo.InvariantCulture);
        await Expect(page.Locator("#history-range")).ToHaveTextAsync($"1–10 of {total}");

        await page.Locator("#history-next").ClickAsync();

        await Expect(page.Locator("#history-range")).ToHaveTextAsync($"11–{Math.Min(20, total)} of {total}");
        await Expect(rows.First).ToContainTextAsync($"page-{tag}-00.wav");
        await Expect(page.Locator("#history-prev")).ToBeEnabledAsync();
        await page.Locator("#history-prev").ClickAsync();
        await Expect(rows.First).ToContainTextAsync($"page-{tag}-10.wav");
    }

    [Fact]
    public async Task The_csv_and_json_downloads_contain_the_saved_results()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await page.GotoAsync("/");
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = $"download-{tag}.wav", MimeType = "audio/wav", Buffer = ShortSpeech() });
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync($"download-{tag}.wav", new() { Timeout = 30_000 });
        string id = (await page.Locator("#history-table tbody tr").First.GetAttributeAsync("data-id"))!;

        IDownload csv = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        string csvText = await File.ReadAllTextAsync((await csv.PathAsync())!);
        Assert.EndsWith(".csv", csv.SuggestedFilename, StringComparison.Ordinal);
        Assert.StartsWith("id,createdAt,fileName,model,label,confidence", csvText, StringComparison.Ordinal);
        string row = Assert.Single(csvText.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains($"download-{tag}.wav", row, StringComparison.Ordinal);

        IDownload json = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-json").ClickAsync());
        Assert.EndsWith(".json", json.SuggestedFilename, StringComparison.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(await File.ReadAllTextAsync((await json.PathAsync())!));
        JsonElement mine = Assert.Single(doc.RootElement.EnumerateArray(), e => e.GetProperty("id").GetString() == id);
        Assert.Equal($"download-{tag}.wav", mine.GetProperty("fileName").GetString());
    }
}
