using System.Net;
using System.Net.Http.Json;
using Rtser.Api.Predictions;
using Rtser.Audio;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

public sealed class PredictionUploadTests : IDisposable
{
    private readonly RtserApp _app = new();
    private readonly HttpClient _client;

    public PredictionUploadTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task A_wav_file_in_a_form_gets_201_a_location_a_label_and_a_timeline()
    {
        HttpResponseMessage response = await Send.Form(_client, Send.Speech(), "03a01Wa.wav", language: "de");
        Prediction p = await Send.Created(response);

        Assert.Equal($"/api/predictions/{p.Id}", response.Headers.Location!.OriginalString);
        Assert.Equal("03a01Wa.wav", p.FileName);
        Assert.Equal("cnn-rnn-emodb", p.Model);
        Assert.Contains(p.Label, p.Probabilities.Keys);
        Assert.Equal(7, p.Probabilities.Count);
        Assert.Equal(1.0, p.Probabilities.Values.Sum(), 4);
        Assert.Equal(p.Probabilities[p.Label], p.Confidence, 9);
        Assert.Equal(p.Probabilities.Values.Max(), p.Confidence, 9);
        Assert.InRange(p.DurationSeconds, 1.9, 2.1);
        Assert.InRange(p.SpeechSeconds, 1.0, p.DurationSeconds);
        Assert.True(p.ProcessingMs > 0);
        var segment = Assert.Single(p.Segments);
        Assert.Equal((0.0, p.DurationSeconds), (segment.Start, segment.End));
    }

    [Fact]
    public async Task A_raw_wav_body_is_accepted_like_a_form_upload()
    {
        Prediction raw = await Send.Created(await Send.Raw(_client, Send.Speech()));
        Prediction form = await Send.Created(await Send.Form(_client, Send.Speech()));

        Assert.Null(raw.FileName);
        Assert.Equal(form.Probabilities, raw.Probabilities);
    }

    [Theory]
    [InlineData("audio/x-wav")]
    [InlineData("audio/wave")]
    [InlineData("application/octet-stream")]
    public async Task Other_names_for_audio_bodies_are_accepted(string type) =>
        await Send.Created(await Send.Raw(_client, Send.Speech(), type));

    [Fact]
    public async Task The_model_can_be_chosen_in_the_query_or_the_form()
    {
        Prediction byQuery = await Send.Created(await Send.Raw(_client, Send.Speech(), url: "/api/predictions?model=svm-emodb"));
        Prediction byForm = await Send.Created(await Send.Form(_client, Send.Speech(), model: "mlr-emodb"));

        Assert.Equal("svm-emodb", byQuery.Model);
        Assert.Equal("mlr-emodb", byForm.Model);
    }

    [Fact]
    public async Task A_48_kHz_stereo_file_is_resampled_and_gets_the_same_label_as_its_16_kHz_original()
    {
        float[] mono = Send.Samples();
        float[] up = Resampler.ToRate(mono, 16000, 48000);
        byte[] stereo = WavStereo(up, 48000);

        Prediction original = await Send.Created(await Send.Raw(_client, Send.Wav(mono)));
        Prediction resampled = await Send.Created(await Send.Raw(_client, stereo));

        Assert.Equal(original.Label, resampled.Label);
        Assert.Equal(original.DurationSeconds, resampled.DurationSeconds, 2);
    }

    [Fact]
    public async Task Silence_gets_201_no_speech_with_no_emotion_claimed()
    {
        Prediction p = await Send.Created(await Send.Raw(_client, Send.Wav(new float[5 * Send.Rate])));

        Assert.Equal("no_speech", p.Label);
        Assert.Equal(0, p.SpeechSeconds);
        Assert.Equal(0, p.Confidence);
        Assert.Empty(p.Probabilities);
        Assert.All(p.Segments, s => Assert.Equal("no_speech", s.Label));
    }

    [Fact]
    public async Task Low_steady_noise_is_not_speech()
    {
        var random = new Random(7);
        float[] noise = [.. Enumerable.Range(0, 4 * Send.Rate).Select(_ => (float)(random.NextDouble() - 0.5) * 0.02f)];

        Prediction p = await Send.Created(await Send.Raw(_client, Send.Wav(noise)));

        Assert.Equal("no_speech", p.Label);
    }

    [Fact]
    public async Task Long_audio_gets_a_timeline_of_utterance_segments_cut_in_its_pauses()
    {
        float[] speech = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[] signal = [.. new float[4 * Send.Rate], .. speech, .. new float[3 * Send.Rate / 2], .. speech];
        double first = 4 + (speech.Length / (double)Send.Rate);

        Prediction p = await Send.Created(await Send.Raw(_client, Send.Wav(signal)));

        Assert.Equal(3, p.Segments.Count); // the leading silence beyond a second's margin, then the two utterances
        Assert.Equal("no_speech", p.Segments[0].Label);
        Assert.InRange(p.Segments[1].End, first - 0.35, first + 1.5); // inside the pause (the clip's words end 0.35 s before it)
        Assert.Equal(0.0, p.Segments[0].Start);
        Assert.All(p.Segments.Zip(p.Segments.Skip(1)), pair => Assert.Equal(pair.First.End, pair.Second.Start, 9));
        Assert.Equal(p.DurationSeconds, p.Segments[^1].End, 3);
        Assert.NotEqual("no_speech", p.Label);
        Assert.All(p.Segments.Skip(1), s => Assert.Equal(1.0, s.Probabilities.Values.Sum(), 4));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Timeline_windows_in_the_query_or_the_form_gets_two_second_windows_every_half_second_with_the_same_overall_reading(bool inQuery)
    {
        float[] speech = Send.Samples();
        float[] signal = [.. new float[4 * Send.Rate], .. speech, .. speech];

        Prediction p = await Send.Created(inQuery
            ? await Send.Raw(_client, Send.Wav(signal), url: "/api/predictions?timeline=windows")
            : await Send.Form(_client, Send.Wav(signal), timeline: "windows"));
        Prediction segments = await Send.Created(await Send.Raw(_client, Send.Wav(signal), url: "/api/predictions?timeline=segments"));

        Assert.True(p.Segments.Count >= 8);
        Assert.All(p.Segments, s => Assert.Equal(2.0, s.End - s.Start, 6));
        Assert.All(p.Segments.Zip(p.Segments.Skip(1)).SkipLast(1), pair => Assert.Equal(0.5, pair.Second.Start - pair.First.Start, 6));
        Assert.Equal(p.DurationSeconds, p.Segments[^1].End, 3);
        Assert.Equal("no_speech", p.Segments[0].Label);
        Assert.All(p.Segments.Where(s => s.Label != "no_speech"), s => Assert.Equal(1.0, s.Probabilities.Values.Sum(), 4));
        Assert.True(segments.Segments.Count < p.Segments.Count);
        Assert.Equal(segments.Label, p.Label);
        Assert.Equal(segments.Probabilities, p.Probabilities);
    }

    [Theory]
    [InlineData("/api/predictions?timeline=frames", null)]
    [InlineData("/api/predictions?timeline=Windows", null)]
    [InlineData("/api/predictions", "hops")]
    public async Task An_unknown_timeline_gets_a_400_problem_naming_the_two(string url, string? formTimeline)
    {
        HttpResponseMessage response = formTimeline is null
            ? await Send.Raw(_client, Send.Speech(), url: url)
            : await Send.Form(_client, Send.Speech(), url: url, timeline: formTimeline);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "available: segments, windows");
    }

    [Fact]
    public async Task What_was_created_is_what_a_later_get_returns()
    {
        HttpResponseMessage response = await Send.Form(_client, Send.Speech());
        Prediction created = await Send.Created(response);

        Prediction fetched = (await _client.GetFromJsonAsync<Prediction>(response.Headers.Location))!;

        Assert.Equal(created.Id, fetched.Id);
        Assert.Equal(created.CreatedAt, fetched.CreatedAt);
        Assert.Equal(created.Probabilities, fetched.Probabilities);
        Assert.Equal(created.Segments.Count, fetched.Segments.Count);
        Assert.Equal(created.Segments[0].Probabilities, fetched.Segments[0].Probabilities);
    }

    [Fact]
    public async Task Audio_is_not_kept_unless_configured()
    {
        await Send.Created(await Send.Form(_client, Send.Speech()));

        Assert.False(Directory.Exists(Path.Combine(_app.DataDirectory, "audio")));
    }

    [Fact]
    public async Task Kept_audio_is_deleted_with_its_prediction()
    {
        using var app = new RtserApp(new() { ["Rtser:StoreAudio"] = "true" });
        using HttpClient client = app.CreateClient();
        byte[] wav = Send.Speech();

        HttpResponseMessage response = await Send.Form(client, wav);
        await Send.Created(response);
        string kept = Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "audio")));
        Assert.Equal(wav, await File.ReadAllBytesAsync(kept));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(response.Headers.Location)).StatusCode);
        Assert.False(File.Exists(kept));
    }

    [Fact]
    public async Task A_request_cancelled_by_the_client_stores_nothing()
    {
        float[] speech = Send.Samples();
        // Long enough (9 min, about 1.5 s of analysis here) that the 300 ms cancellation always lands mid-analysis.
        float[] long9min = new float[540 * Send.Rate];
        for (int at = 0; at + speech.Length <= long9min.Length; at += speech.Length)
        {
            speech.CopyTo(long9min, at);
        }

        // Cancelled from a thread of its own: a timer's callback waits for a free thread-pool thread, and with the
        // other test classes running in parallel that wait can outlast the whole analysis (seen once in CI).
        using var cancel = new CancellationTokenSource();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(300);
            cancel.Cancel();
        }) { IsBackground = true };
        var content = new ByteArrayContent(Send.Wav(long9min));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("audio/wav");
        canceller.Start();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.PostAsync("/api/predictions", content, cancel.Token));

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(0, (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions"))!.Total);
    }

    private static byte[] WavStereo(float[] samples, int rate)
    {
        float[] interleaved = new float[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
        {
            interleaved[2 * i] = samples[i];
            interleaved[(2 * i) + 1] = samples[i];
        }

        byte[] mono = Send.Wav(interleaved, rate);

        // Same bytes, header patched to 2 channels: block align 4, byte rate doubled.
        BitConverter.GetBytes((short)2).CopyTo(mono, 22);
        BitConverter.GetBytes(rate * 4).CopyTo(mono, 28);
        BitConverter.GetBytes((short)4).CopyTo(mono, 32);
        return mono;
    }
}
