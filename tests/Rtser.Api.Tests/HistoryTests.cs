using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

public sealed class HistoryTests : IDisposable
{
    private readonly RtserApp _app = new();
    private readonly HttpClient _client;

    public HistoryTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task The_list_is_newest_first_and_paged()
    {
        List<Guid> ids = await CreateAsync(5);

        PredictionPage first = (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions?take=2"))!;
        PredictionPage rest = (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions?skip=2&take=10"))!;

        Assert.Equal(5, first.Total);
        Assert.Equal([ids[4], ids[3]], first.Items.Select(p => p.Id));
        Assert.Equal([ids[2], ids[1], ids[0]], rest.Items.Select(p => p.Id));
        Assert.Equal((2, 10), (rest.Skip, rest.Take));
    }

    [Fact]
    public async Task The_list_filters_by_label_and_by_time()
    {
        List<Guid> ids = await CreateAsync(3);
        await Send.Created(await Send.Raw(_client, Send.Wav(new float[Send.Rate])));

        PredictionPage silent = (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions?label=no_speech"))!;
        PredictionPage window = (await _client.GetFromJsonAsync<PredictionPage>(
            $"/api/predictions?from={Uri.EscapeDataString(Minute(1).ToString("O"))}&to={Uri.EscapeDataString(Minute(2).ToString("O"))}"))!;

        Assert.Equal("no_speech", Assert.Single(silent.Items).Label);
        Assert.Equal(ids[1], Assert.Single(window.Items).Id);
        Assert.Equal(1, window.Total);
    }

    [Theory]
    [InlineData("take=0")]
    [InlineData("take=201")]
    [InlineData("skip=-1")]
    [InlineData("take=many")]
    [InlineData("from=yesterday")]
    public async Task Bad_paging_or_filters_get_400_problem_details(string query)
    {
        HttpResponseMessage response = await _client.GetAsync($"/api/predictions?{query}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_unknown_id_gets_404_problem_details_for_get_and_delete()
    {
        await Problem.AssertAsync(await _client.GetAsync($"/api/predictions/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await Problem.AssertAsync(await _client.DeleteAsync($"/api/predictions/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await Problem.AssertAsync(await _client.GetAsync("/api/predictions/not-a-guid"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_removes_the_prediction_from_get_list_and_export()
    {
        List<Guid> ids = await CreateAsync(2);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/predictions/{ids[0]}")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/predictions/{ids[0]}")).StatusCode);
        PredictionPage page = (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions"))!;
        Assert.Equal([ids[1]], page.Items.Select(p => p.Id));
        Assert.DoesNotContain(ids[0].ToString(), await _client.GetStringAsync("/api/predictions/export?format=csv"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.DeleteAsync($"/api/predictions/{ids[0]}")).StatusCode);
    }

    [Fact]
    public async Task Csv_export_is_an_attachment_with_a_header_and_one_row_per_prediction()
    {
        List<Guid> ids = await CreateAsync(3);

        HttpResponseMessage response = await _client.GetAsync("/api/predictions/export?format=csv");
        string[] lines = (await response.Content.ReadAsStringAsync()).TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName, StringComparison.Ordinal);
        string[] header = lines[0].Split(',');
        Assert.Equal(["id", "createdAt", "fileName", "model", "label", "confidence"], header[..6]);
        Assert.Contains("p_angry", header);
        Assert.Equal(["segments", "speaker", "channel"], header[^3..]);
        Assert.Equal(4, lines.Length);
        Assert.Equal(ids.AsEnumerable().Reverse().Select(i => i.ToString()), lines[1..].Select(l => l.Split(',')[0]));
        Assert.All(lines[1..], l => Assert.Contains("speech-", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_export_is_an_attachment_holding_every_prediction_with_its_timeline()
    {
        List<Guid> ids = await CreateAsync(2);

        HttpResponseMessage response = await _client.GetAsync("/api/predictions/export?format=json");
        var all = JsonSerializer.Deserialize<Prediction[]>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal([ids[1], ids[0]], all.Select(p => p.Id));
        Assert.All(all, p => Assert.NotEmpty(p.Segments));
    }

    [Fact]
    public async Task An_empty_history_exports_a_header_only_csv_and_an_empty_json_array()
    {
        Assert.Single((await _client.GetStringAsync("/api/predictions/export")).TrimEnd().Split('\n'));
        Assert.Equal("[]", await _client.GetStringAsync("/api/predictions/export?format=json"));
    }

    [Fact]
    public async Task An_unknown_export_format_gets_400_problem_details() =>
        await Problem.AssertAsync(await _client.GetAsync("/api/predictions/export?format=xlsx"), HttpStatusCode.BadRequest, "xlsx");

    [Fact]
    public async Task Export_of_a_large_history_streams_every_row()
    {
        using var app = new RtserApp(new() { ["Rtser:RateLimitPerMinute"] = "0" });
        using HttpClient client = app.CreateClient();
        byte[] wav = Send.Wav(new float[Send.Rate / 2]);
        for (int i = 0; i < 300; i++)
        {
            await Send.Created(await Send.Raw(client, wav));
        }

        using Stream body = await client.GetStreamAsync("/api/predictions/export?format=csv");
        using var reader = new StreamReader(body);
        int rows = 0;
        while (await reader.ReadLineAsync() is not null)
        {
            rows++;
        }

        Assert.Equal(301, rows);
    }

    /// <summary>Creates n predictions one minute apart (minute 0, 1, ...), oldest first; file names speech-i.wav.</summary>
    private async Task<List<Guid>> CreateAsync(int n)
    {
        var ids = new List<Guid>();
        byte[] speech = Send.Speech();
        for (int i = 0; i < n; i++)
        {
            _app.Clock.Now = Minute(i);
            ids.Add((await Send.Created(await Send.Form(_client, speech, $"speech-{i}.wav"))).Id);
        }

        return ids;
    }

    private static DateTimeOffset Minute(int i) => new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(i);
}
