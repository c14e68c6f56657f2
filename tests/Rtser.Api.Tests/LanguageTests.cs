using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Rtser.Api.Models;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

/// <summary>The 'language' parameter: each language's recommended model answers unless a model is named; English by default.</summary>
public sealed class LanguageTests : IDisposable
{
    // The cards recommended for each language (models/*.json, "recommended"); docs/accuracy.md says why.
    private const string English = "mlr-ravdess";
    private const string German = "cnn-rnn-emodb";

    private readonly RtserApp _app = new();
    private readonly HttpClient _client;

    public LanguageTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task An_upload_that_names_no_language_or_model_is_read_by_the_english_default()
    {
        Prediction p = await Send.Created(await Send.Raw(_client, Send.Speech()));

        Assert.Equal(English, p.Model);
    }

    [Fact]
    public async Task Language_de_in_the_query_or_the_form_picks_the_german_default()
    {
        Prediction byQuery = await Send.Created(await Send.Raw(_client, Send.Speech(), url: "/api/predictions?language=de"));
        Prediction byForm = await Send.Created(await Send.Form(_client, Send.Speech(), language: "de"));
        Prediction english = await Send.Created(await Send.Form(_client, Send.Speech(), language: "en"));

        Assert.Equal(German, byQuery.Model);
        Assert.Equal(German, byForm.Model);
        Assert.Equal(English, english.Model);
    }

    [Fact]
    public async Task A_named_model_overrides_the_language_even_one_of_another_language_and_the_answer_names_it()
    {
        Prediction german = await Send.Created(await Send.Raw(_client, Send.Speech(), url: "/api/predictions?language=en&model=svm-emodb"));
        Prediction english = await Send.Created(await Send.Form(_client, Send.Speech(), model: "cnn-rnn-ravdess", language: "de"));

        Assert.Equal("svm-emodb", german.Model);
        Assert.Equal("cnn-rnn-ravdess", english.Model);
    }

    [Theory]
    [InlineData("/api/predictions?language=fr")]
    [InlineData("/api/predictions?language=EN")]
    [InlineData("/api/predictions?language=fr&model=mlr-emodb")]
    public async Task An_unknown_language_gets_a_400_problem_listing_the_languages(string url)
    {
        string detail = await Problem.AssertAsync(await Send.Raw(_client, Send.Speech(), url: url), HttpStatusCode.BadRequest, "unknown language");

        Assert.Contains("available: de, en", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_language_in_the_form_gets_a_400_problem_and_stores_nothing()
    {
        await Problem.AssertAsync(await Send.Form(_client, Send.Speech(), language: "klingon"), HttpStatusCode.BadRequest, "unknown language 'klingon'");

        PredictionPage page = (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions"))!;
        Assert.Equal(0, page.Total);
    }

    [Theory]
    [InlineData("", English)]
    [InlineData("?language=en", English)]
    [InlineData("?language=de", German)]
    [InlineData("?language=de&model=cnn-ravdess", "cnn-ravdess")]
    public async Task A_live_stream_is_read_by_the_languages_default_unless_a_model_is_named(string query, string expected)
    {
        using WebSocket ws = await LiveStreamTests.ConnectAsync(_app, query);
        JsonElement ready = await LiveStreamTests.ReceiveAsync(ws);

        Assert.Equal("ready", ready.GetProperty("type").GetString());
        Assert.Equal(expected, ready.GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_live_stream_in_an_unknown_language_gets_a_400_problem_listing_the_languages()
    {
        await Problem.AssertAsync(await _client.GetAsync("/api/stream?language=fr"), HttpStatusCode.BadRequest, "available: de, en");

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => LiveStreamTests.ConnectAsync(_app, "?language=fr"));
        Assert.Contains("400", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_marks_each_languages_default_with_its_reason_and_lists_them_first()
    {
        ModelInfo[] models = (await _client.GetFromJsonAsync<ModelInfo[]>("/api/models"))!;

        Assert.Equal([English, German], models.Take(2).Select(m => m.Id));
        Assert.Equal(("en", "en"), (models[0].Language, models[0].Recommended!.For));
        Assert.Equal(("de", "de"), (models[1].Language, models[1].Recommended!.For));
        Assert.All(models.Take(2), m => Assert.Contains("speaker profile", m.Recommended!.Why, StringComparison.Ordinal));
        Assert.All(models.Skip(2), m => Assert.Null(m.Recommended));
        Assert.Contains(models, m => m.Id == "cnn-rnn-ravdess"); // the seed's CNN-RNN stays offered
    }

    [Fact]
    public async Task The_default_language_setting_decides_what_answers_a_request_that_names_none()
    {
        using var app = new RtserApp(new() { ["Rtser:DefaultLanguage"] = "de" });
        using HttpClient client = app.CreateClient();

        Prediction p = await Send.Created(await Send.Raw(client, Send.Speech()));
        ModelInfo[] models = (await client.GetFromJsonAsync<ModelInfo[]>("/api/models"))!;

        Assert.Equal(German, p.Model);
        Assert.Equal((German, true), (models[0].Id, models[0].IsDefault));
    }

    [Fact]
    public async Task A_pinned_default_model_answers_requests_without_a_language_and_a_language_still_picks_its_own()
    {
        using var app = new RtserApp(new() { ["Rtser:DefaultModel"] = "svm-ravdess" });
        using HttpClient client = app.CreateClient();

        Prediction pinned = await Send.Created(await Send.Raw(client, Send.Speech()));
        Prediction german = await Send.Created(await Send.Raw(client, Send.Speech(), url: "/api/predictions?language=de"));

        Assert.Equal("svm-ravdess", pinned.Model);
        Assert.Equal(German, german.Model);
    }

    [Theory]
    [InlineData("en", true)]
    [InlineData("de", true)]
    [InlineData("EN", false)]
    [InlineData("", false)]
    [InlineData("english", false)]
    public void The_default_language_must_be_a_lowercase_language_code(string language, bool valid) =>
        Assert.Equal(valid, !RtserOptions.Check(new RtserOptions { DefaultLanguage = language }).Any());
}
