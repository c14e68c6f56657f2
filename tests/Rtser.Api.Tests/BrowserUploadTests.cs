using System.Net;
using Rtser.Api.Predictions;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>Uploads as browsers make them: blobs from MediaRecorder and files people have lying around.</summary>
public sealed class BrowserUploadTests : IDisposable
{
    private readonly RtserApp _app = new();
    private readonly HttpClient _client;

    public BrowserUploadTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    public static TheoryData<string, string> Blobs => new()
    {
        { "chromium-live.webm", "audio/webm;codecs=opus" },
        { "speech-20ms.webm", "audio/webm" },
        { "speech-20ms.ogg", "audio/ogg;codecs=opus" },
        { "speech-aac.mp4", "audio/mp4" },
        { "speech.mp3", "audio/mpeg" },
    };

    [Theory]
    [MemberData(nameof(Blobs))]
    public async Task A_browser_or_compressed_recording_gets_a_label_and_speech_time(string file, string type)
    {
        byte[] blob = File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", file));

        Prediction raw = await Send.Created(await Send.Raw(_client, blob, type));
        Prediction form = await Send.Created(await Send.Form(_client, blob, file));

        Assert.NotEqual("no_speech", raw.Label);
        Assert.True(raw.SpeechSeconds > 0.5, $"{raw.SpeechSeconds} s of speech");
        Assert.Equal(raw.Label, form.Label);
        Assert.Equal(file, form.FileName);
    }

    [Fact]
    public async Task Webm_and_ogg_opus_of_the_same_speech_agree()
    {
        Prediction webm = await Send.Created(await Send.Raw(_client, File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", "speech-20ms.webm")), "audio/webm"));
        Prediction ogg = await Send.Created(await Send.Raw(_client, File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", "speech-20ms.ogg")), "audio/ogg"));

        Assert.Equal(webm.Label, ogg.Label);
        Assert.Equal(webm.DurationSeconds, ogg.DurationSeconds, 1);
    }

    [Fact]
    public async Task Without_ffmpeg_an_mp4_gets_415_naming_the_formats_that_work()
    {
        using var app = new RtserApp(new() { ["Rtser:UseFfmpeg"] = "false" });
        using HttpClient client = app.CreateClient();
        byte[] mp4 = File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", "speech-aac.mp4"));

        string detail = await Problem.AssertAsync(await Send.Raw(client, mp4, "audio/mp4"), HttpStatusCode.UnsupportedMediaType, "WebM/Opus");

        Assert.Contains("ffmpeg", detail, StringComparison.Ordinal);
        await Send.Created(await Send.Raw(client, File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", "chromium-live.webm")), "audio/webm"));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(5000)]
    public async Task A_cut_off_webm_gets_400_or_a_prediction_of_what_arrived_never_a_500(int keep)
    {
        byte[] blob = File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", "chromium-live.webm"))[..keep];

        HttpResponseMessage response = await Send.Raw(_client, blob, "audio/webm");

        if (response.StatusCode != HttpStatusCode.Created)
        {
            await Problem.AssertAsync(response, HttpStatusCode.BadRequest);
        }
    }
}
