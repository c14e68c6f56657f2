using System.Net;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>The 'channel' of a prediction: how a routed model's detector heard the recording.</summary>
public sealed class ChannelTests : IDisposable
{
    private readonly RtserApp _app = new();
    private readonly HttpClient _client;

    public ChannelTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    /// <summary>The committed espeak clip, cut tight around its speech.</summary>
    private static byte[] Clip() => File.ReadAllBytes(TestPaths.EspeakWav);

    private async Task<JsonElement> PostAsync(string url)
    {
        HttpResponseMessage response = await Send.Raw(_client, Clip(), url: url);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task The_english_default_says_it_heard_a_clean_clip_as_clean_and_the_stored_prediction_says_the_same()
    {
        JsonElement p = await PostAsync("/api/predictions");

        Assert.Equal("mlr-ravdess", p.GetProperty("model").GetString());
        JsonElement channel = p.GetProperty("channel");
        Assert.Equal("clean", channel.GetProperty("heard").GetString());
        Assert.Equal(["clean", "phone", "noise", "room", "babble"], channel.GetProperty("probabilities").EnumerateObject().Select(c => c.Name));
        Assert.Equal(1, channel.GetProperty("probabilities").EnumerateObject().Sum(c => c.Value.GetDouble()), 3);

        string stored = await _client.GetStringAsync($"/api/predictions/{p.GetProperty("id").GetString()}");
        Assert.Equal(channel.GetRawText(), JsonDocument.Parse(stored).RootElement.GetProperty("channel").GetRawText());
    }

    [Fact]
    public async Task A_model_without_a_channel_detector_answers_with_a_null_channel()
    {
        JsonElement p = await PostAsync("/api/predictions?model=svm-ravdess");

        Assert.Equal("svm-ravdess", p.GetProperty("model").GetString());
        Assert.True(!p.TryGetProperty("channel", out JsonElement channel) || channel.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task The_csv_export_ends_with_the_heard_channel()
    {
        await PostAsync("/api/predictions");
        await PostAsync("/api/predictions?model=svm-ravdess");

        string[] lines = (await _client.GetStringAsync("/api/predictions/export?format=csv")).TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

        Assert.Equal("channel", lines[0].Split(',')[^1]);
        var heardByModel = lines[1..].Select(l => l.Split(',')).ToDictionary(f => f[3], f => f[^1]);
        Assert.Equal("clean", heardByModel["mlr-ravdess"]);
        Assert.Equal("", heardByModel["svm-ravdess"]);
    }
}
