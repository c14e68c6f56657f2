using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rtser.Api.Models;

namespace Rtser.Api.Tests;

public sealed class ServiceTests : IDisposable
{
    private readonly RtserApp _app = new();
    private readonly HttpClient _client;

    public ServiceTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task Health_says_ready_with_the_models_and_store_loaded()
    {
        HttpResponseMessage response = await _client.GetAsync("/healthz");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        Assert.True(body.RootElement.GetProperty("models").GetInt32() >= 6);
    }

    [Fact]
    public async Task Models_lists_every_card_with_language_and_labels_and_the_default_first()
    {
        ModelInfo[] models = (await _client.GetFromJsonAsync<ModelInfo[]>("/api/models"))!;

        Assert.Equal("mlr-ravdess", models[0].Id); // the English default: English is the service's default language
        Assert.True(models[0].IsDefault);
        Assert.Single(models, m => m.IsDefault);
        Assert.Equal(Directory.GetFiles(Path.Combine(Rtser.Tests.Shared.TestPaths.RepoRoot, "models"), "*.json").Length, models.Length);
        Assert.All(models, m =>
        {
            Assert.NotEmpty(m.Language);
            Assert.Equal(7, m.Labels.Count);
            Assert.True(m.Parameters > 0);
        });
        Assert.Contains(models, m => m.Language.StartsWith("en", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Models_answers_in_camel_case_throughout_with_each_cards_size_and_evaluation()
    {
        using JsonDocument doc = JsonDocument.Parse(await _client.GetStringAsync("/api/models"));

        Assert.Empty(SnakeCaseKeys(doc.RootElement, ""));
        Assert.All(doc.RootElement.EnumerateArray(), m =>
        {
            Assert.True(m.GetProperty("macsPerSecondOfAudio").GetInt64() > 0);
            Assert.InRange(m.GetProperty("evaluation").GetProperty("uarMean").GetDouble(), 0.3, 1);
        });
    }

    private static IEnumerable<string> SnakeCaseKeys(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p =>
            (p.Name.Contains('_', StringComparison.Ordinal) ? [$"{path}.{p.Name}"] : Enumerable.Empty<string>()).Concat(SnakeCaseKeys(p.Value, $"{path}.{p.Name}"))),
        JsonValueKind.Array => e.EnumerateArray().SelectMany((v, i) => SnakeCaseKeys(v, $"{path}[{i}]")),
        _ => [],
    };

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_the_upload_body()
    {
        using JsonDocument doc = JsonDocument.Parse(await _client.GetStringAsync("/swagger/v1/swagger.json"));
        JsonElement paths = doc.RootElement.GetProperty("paths");

        foreach (string path in (string[])["/api/predictions", "/api/predictions/{id}", "/api/predictions/export", "/api/speakers/{speaker}/profile", "/api/models", "/healthz"])
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        JsonElement content = paths.GetProperty("/api/predictions").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(content.TryGetProperty("multipart/form-data", out _));
        Assert.True(content.TryGetProperty("audio/wav", out _));
        Assert.False(paths.TryGetProperty("/metrics", out _)); // Prometheus' format, described in docs/api.md
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/swagger/index.html")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_declares_the_api_key_scheme_on_the_api_and_not_on_health()
    {
        using JsonDocument doc = JsonDocument.Parse(await _client.GetStringAsync("/swagger/v1/swagger.json"));
        JsonElement scheme = doc.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        JsonElement paths = doc.RootElement.GetProperty("paths");

        Assert.Equal(("apiKey", "header", "X-Api-Key"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));
        Assert.True(paths.GetProperty("/api/predictions").GetProperty("post").GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        Assert.False(paths.GetProperty("/healthz").GetProperty("get").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task An_unknown_path_gets_404_problem_details() =>
        await Problem.AssertAsync(await _client.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);

    [Fact]
    public async Task The_page_is_served_at_the_root()
    {
        HttpResponseMessage response = await _client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
    }
}
