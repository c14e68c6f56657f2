using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rtser.Api.Models;
using Rtser.Api.Predictions;
using Rtser.Features.Pipeline;
using Rtser.Inference;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>
/// Speaker-adapted models: a client names who speaks; the speaker's earlier recordings form a profile the model
/// scores the next one against, and the per-recording fallback answers until the profile is long enough.
/// </summary>
public sealed class SpeakerProfileTests : IDisposable
{
    private const string Adapted = "cnn-rnn-spk-emodb";
    private const string Fallback = "cnn-rnn-emodb";

    // EmoDB speaker 03: the first three form the profile, the fourth is scored against it.
    private static readonly string[] Clips = ["03a01Fa.wav", "03a01Nc.wav", "03a02Ta.wav", "03a01Wa.wav"];

    private readonly RtserApp _app = new(new()
    {
        ["Rtser:SpeakerProfileMinimum"] = "3",
        ["Rtser:ApiKeys:clinic-a"] = "key-a-0123456789",
        ["Rtser:ApiKeys:clinic-b"] = "key-b-9876543210",
    });

    private readonly HttpClient _a;
    private readonly HttpClient _b;

    public SpeakerProfileTests()
    {
        _a = Client("key-a-0123456789");
        _b = Client("key-b-9876543210");
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _app.Dispose();
    }

    [CorpusFact]
    public async Task An_adapted_model_without_a_speaker_gets_400_naming_the_field() =>
        await Problem.AssertAsync(await Upload(_a, Clips[0], speaker: null), HttpStatusCode.BadRequest, "'speaker'");

    [CorpusTheory]
    [InlineData("Jane Doe")]
    [InlineData("p/../1")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("-_.")]
    [InlineData("a-speaker-name-that-goes-on-for-more-than-sixty-four-characters-x")]
    public async Task A_speaker_that_is_not_a_short_pseudonym_gets_400(string speaker) =>
        await Problem.AssertAsync(await Upload(_a, Clips[0], speaker), HttpStatusCode.BadRequest, "pseudonym");

    [CorpusFact]
    public async Task The_fallback_answers_until_the_profile_is_long_enough_then_the_adapted_model_does()
    {
        Prediction[] p = [.. await UploadAllAsync(_a, "p03")];

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Fallback, p[i].Model);
            AssertAdaptation(p[i].Adaptation, false, i);
            Assert.Equal("p03", p[i].Speaker);
        }

        Assert.Equal(Adapted, p[3].Model);
        AssertAdaptation(p[3].Adaptation, true, 3);
        Assert.DoesNotContain("p03", _app.Log.ToString(), StringComparison.Ordinal); // pseudonyms stay out of logs too

        // The fallback's answer is the per-recording model's own.
        Prediction plain = await Send.Created(await Upload(_a, Clips[0], speaker: null, model: Fallback));
        Assert.Equal(plain.Probabilities, p[0].Probabilities);
    }

    [CorpusFact]
    public async Task The_adapted_reading_is_the_model_run_against_the_profile_of_the_speakers_earlier_recordings()
    {
        Prediction served = (await UploadAllAsync(_a, "p03"))[3];

        // The same computation done here from the library: the model's profile (EmotionModel.Profile: the mean, or
        // emotion-compensated as its card says) of the three earlier recordings' statistics.
        var extractor = new SpeechFeatureExtractor();
        using ModelRegistry models = ModelRegistry.Load(Path.Combine(TestPaths.RepoRoot, "models"), extractor);
        EmotionModel model = models.Get(Adapted);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        float[][] rows = [.. Clips[..3].Select(c => analyzer.ProfileStatistics(model, Send.Samples(c))!)];
        EmotionAnalysis expected = analyzer.Analyze(model, Send.Samples(Clips[3]), speakerMean: model.Profile(rows, out bool compensated));
        Assert.Equal(compensated, served.Adaptation!.Compensated);

        Assert.Equal(expected.Overall.Label, served.Label);
        foreach ((string label, double prob) in expected.Overall.Probabilities)
        {
            Assert.Equal(prob, served.Probabilities[label], 4);
        }
    }

    [CorpusFact]
    public async Task Speaker_self_reads_a_long_recording_against_its_own_profile_and_keeps_none()
    {
        // Speaker 03's four clips joined with a second of silence between them: a short session of one speaker.
        float[] session = [.. Clips.SelectMany((c, i) => (i == 0 ? [] : new float[Send.Rate]).Concat(Send.Samples(c)))];
        byte[] wav = Send.Wav(session);

        Prediction served = await Send.Created(await Upload(_a, wav, SpeakerProfilePolicy.Self));

        // The library's run: the profile (EmotionModel.Profile, compensated as the card says) of the session's own speech windows.
        var extractor = new SpeechFeatureExtractor();
        using ModelRegistry models = ModelRegistry.Load(Path.Combine(TestPaths.RepoRoot, "models"), extractor);
        EmotionModel model = models.Get(Adapted);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        float[] heard = Rtser.Audio.AudioDecoding.Decode16k(new Rtser.Audio.WavDecoder(), wav);
        IReadOnlyList<float[]> windows = analyzer.ProfileStatisticsRows(model, heard);
        EmotionPrediction expected = analyzer.Analyze(model, heard, speakerMean: model.Profile(windows)).Overall;
        Assert.True(windows.Count >= 3, $"{windows.Count} speech windows");
        Assert.Equal(Adapted, served.Model);
        Assert.Equal((true, windows.Count, 3), (served.Adaptation!.Applied, served.Adaptation.ProfileRecordings, served.Adaptation.RequiredRecordings));
        Assert.Equal(expected.Label, served.Label);
        Assert.All(expected.Probabilities, kv => Assert.Equal(kv.Value, served.Probabilities[kv.Key], 4));

        // Nothing of it joins a stored profile.
        await Problem.AssertAsync(await _a.DeleteAsync($"/api/speakers/{SpeakerProfilePolicy.Self}/profile"), HttpStatusCode.NotFound);
    }

    [CorpusFact]
    public async Task Speaker_self_on_a_recording_with_too_few_speech_windows_gets_the_fallback()
    {
        // 2 s is one window, fewer than the 3 this service requires.
        Prediction p = await Send.Created(await Upload(_a, Send.Wav(Send.Samples(Clips[0])[..(2 * Send.Rate)]), SpeakerProfilePolicy.Self));

        Assert.Equal(Fallback, p.Model);
        Assert.Equal((false, 1, 3), (p.Adaptation!.Applied, p.Adaptation.ProfileRecordings, p.Adaptation.RequiredRecordings));
    }

    [Fact]
    public async Task Live_mode_refuses_speaker_self_for_an_adapted_model() =>
        await Problem.AssertAsync(await _a.GetAsync($"/api/stream?model={Adapted}&speaker=self"), HttpStatusCode.BadRequest, "speaker=self");

    [CorpusFact]
    public async Task Profiles_belong_to_one_speaker_of_one_key()
    {
        await UploadAllAsync(_a, "p03");

        Prediction otherSpeaker = await Send.Created(await Upload(_a, Clips[3], "p04"));
        Prediction otherKey = await Send.Created(await Upload(_b, Clips[3], "p03"));

        AssertAdaptation(otherSpeaker.Adaptation, false, 0);
        AssertAdaptation(otherKey.Adaptation, false, 0);
    }

    [CorpusFact]
    public async Task A_deleted_prediction_leaves_the_profile()
    {
        Prediction[] p = [.. await UploadAllAsync(_a, "p03", count: 3)];
        Assert.Equal(HttpStatusCode.NoContent, (await _a.DeleteAsync($"/api/predictions/{p[1].Id}")).StatusCode);

        Prediction next = await Send.Created(await Upload(_a, Clips[3], "p03"));

        AssertAdaptation(next.Adaptation, false, 2);
    }

    [CorpusFact]
    public async Task A_forgotten_profile_starts_again_and_the_predictions_stay()
    {
        Prediction[] p = [.. await UploadAllAsync(_a, "p03", count: 3)];

        HttpResponseMessage forget = await _a.DeleteAsync("/api/speakers/p03/profile");
        Prediction next = await Send.Created(await Upload(_a, Clips[3], "p03"));

        Assert.Equal(HttpStatusCode.OK, forget.StatusCode);
        Assert.Equal(3, (await forget.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recordings").GetInt32());
        AssertAdaptation(next.Adaptation, false, 0);
        Assert.Equal(HttpStatusCode.OK, (await _a.GetAsync($"/api/predictions/{p[0].Id}")).StatusCode);
        await Problem.AssertAsync(await _a.DeleteAsync("/api/speakers/nobody/profile"), HttpStatusCode.NotFound);
        await Problem.AssertAsync(await _a.DeleteAsync("/api/speakers/Jane%20Doe/profile"), HttpStatusCode.BadRequest, "pseudonym");
    }

    [CorpusFact]
    public async Task Silence_adds_nothing_to_the_profile_and_gets_no_speech()
    {
        await UploadAllAsync(_a, "p03", count: 2);
        Prediction quiet = await Send.Created(await Upload(_a, Send.Wav(new float[2 * Send.Rate]), "p03"));
        Prediction next = await Send.Created(await Upload(_a, Clips[3], "p03"));

        Assert.Equal(EmotionPrediction.NoSpeech, quiet.Label);
        Assert.Equal(2, next.Adaptation!.ProfileRecordings);
    }

    [CorpusFact]
    public async Task The_history_lists_one_speakers_predictions()
    {
        await UploadAllAsync(_a, "p03", count: 2);
        await Send.Created(await Upload(_a, Clips[3], "p04"));

        PredictionPage page = (await _a.GetFromJsonAsync<PredictionPage>("/api/predictions?speaker=p03"))!;

        Assert.Equal(2, page.Total);
        Assert.All(page.Items, i => Assert.Equal("p03", i.Speaker));
    }

    [Fact]
    public async Task The_model_list_says_which_models_need_a_speaker_and_live_mode_refuses_them()
    {
        using JsonDocument models = JsonDocument.Parse(await _a.GetStringAsync("/api/models"));
        JsonElement adapted = models.RootElement.EnumerateArray().Single(m => m.GetProperty("id").GetString() == Adapted);
        JsonElement plain = models.RootElement.EnumerateArray().Single(m => m.GetProperty("id").GetString() == Fallback);

        JsonElement adaptation = adapted.GetProperty("speakerAdaptation");
        Assert.Equal(Fallback, adaptation.GetProperty("fallbackModel").GetString());
        Assert.True(adaptation.TryGetProperty("compensatesProfiles", out _));
        Assert.False(adaptation.TryGetProperty("compensation", out _)); // the card's numbers stay on the server
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("speakerAdaptation").ValueKind);
        await Problem.AssertAsync(await _a.GetAsync($"/api/stream?model={Adapted}"), HttpStatusCode.BadRequest, "'speaker'");
    }

    [CorpusFact]
    public async Task Live_mode_reads_a_stream_against_the_speakers_profile_and_a_saved_session_joins_it_as_an_upload_would()
    {
        // Too short a profile: the fallback reads the stream; the saved session still adds its statistics.
        JsonElement early = await LiveAsync("p03", Clips[3]);
        Assert.Equal(Fallback, early.GetProperty("ready").GetProperty("model").GetString());
        Assert.False(early.GetProperty("ready").GetProperty("adaptation").GetProperty("applied").GetBoolean());

        // p03's profile: the live session and three uploads; p07's: the same audio, all uploaded (the streamed clip as
        // the WAV of the samples streamed).
        byte[] streamed = Send.Wav(Send.Samples(Clips[3]));
        await UploadAllAsync(_a, "p03", 3);
        _app.Clock.Now = _app.Clock.Now.AddMinutes(1);
        await Send.Created(await Upload(_a, streamed, "p07"));
        await UploadAllAsync(_a, "p07", 3);
        JsonElement live = await LiveAsync("p03", Clips[3]);
        _app.Clock.Now = _app.Clock.Now.AddMinutes(1);
        Prediction upload = await Send.Created(await Upload(_a, streamed, "p07"));

        JsonElement ready = live.GetProperty("ready"), summary = live.GetProperty("summary");
        Assert.Equal(Adapted, ready.GetProperty("model").GetString());
        Assert.Equal(4, ready.GetProperty("adaptation").GetProperty("profileRecordings").GetInt32());
        Assert.Equal(4, upload.Adaptation!.ProfileRecordings);
        Assert.Equal(upload.Label, summary.GetProperty("label").GetString());
        Assert.Equal(upload.Confidence, summary.GetProperty("confidence").GetDouble(), 4);
        Prediction saved = (await _a.GetFromJsonAsync<Prediction>($"/api/predictions/{summary.GetProperty("id").GetGuid()}"))!;
        Assert.Equal(("p03", Adapted, true), (saved.Speaker, saved.Model, saved.Adaptation!.Applied));
        _app.Clock.Now = _app.Clock.Now.AddMinutes(1);
        Assert.Equal(5, (await Send.Created(await Upload(_a, Clips[0], "p03"))).Adaptation!.ProfileRecordings);
    }

    [CorpusFact]
    public async Task A_speaker_named_with_spaces_around_is_the_same_speaker_in_uploads_and_live_mode()
    {
        foreach ((string clip, string name) in Clips[..3].Zip(["p03", " p03", "p03  "]))
        {
            _app.Clock.Now = _app.Clock.Now.AddMinutes(1);
            Assert.Equal("p03", (await Send.Created(await Upload(_a, clip, name))).Speaker);
        }

        JsonElement ready = (await LiveAsync("%20p03%20", Clips[3])).GetProperty("ready");
        Assert.Equal(Adapted, ready.GetProperty("model").GetString());
        Assert.Equal(3, ready.GetProperty("adaptation").GetProperty("profileRecordings").GetInt32());
    }

    [CorpusTheory]
    [InlineData("0", true, true)] // every profile compensated
    [InlineData("1", false, false)] // none
    public async Task The_service_can_replace_the_cards_compensation_gate(string gate, bool varied, bool oneEmotion)
    {
        using var app = new RtserApp(new() { ["Rtser:SpeakerProfileMinimum"] = "3", ["Rtser:ProfileCompensationGate"] = gate });
        using HttpClient client = app.CreateClient();
        var p = new List<Prediction>();
        foreach ((string clip, string speaker) in Clips.Select(c => (c, "p03")).Concat(Enumerable.Repeat((Clips[3], "p05"), 4)))
        {
            app.Clock.Now = app.Clock.Now.AddMinutes(1);
            p.Add(await Send.Created(await Upload(client, clip, speaker)));
        }

        Assert.True(p[3].Adaptation!.Applied && p[7].Adaptation!.Applied);
        Assert.Equal(varied, p[3].Adaptation!.Compensated); // p03: three emotions
        Assert.Equal(oneEmotion, p[7].Adaptation!.Compensated); // p05: the angry clip three times
        ModelInfo[] models = (await client.GetFromJsonAsync<ModelInfo[]>("/api/models"))!;
        Assert.Equal(double.Parse(gate, CultureInfo.InvariantCulture), models.Single(m => m.Id == Adapted).SpeakerAdaptation!.CompensationGate); // the gate in use, not the card's
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_compensation_gate_outside_0_to_1_is_refused_at_start(double gate) =>
        Assert.Contains("ProfileCompensationGate", string.Join(" ", RtserOptions.Check(new RtserOptions { ProfileCompensationGate = gate })), StringComparison.Ordinal);

    /// <summary>Streams a clip live for the speaker (key of clinic A, saved); returns {ready, summary}.</summary>
    private async Task<JsonElement> LiveAsync(string speaker, string clip)
    {
        using System.Net.WebSockets.WebSocket ws = await LiveStreamTests.ConnectAsync(_app, $"?model={Adapted}&speaker={speaker}&save=true&key=key-a-0123456789");
        JsonElement ready = await LiveStreamTests.ReceiveAsync(ws);
        await ws.SendAsync(LiveStreamTests.Pcm(Send.Samples(clip)), System.Net.WebSockets.WebSocketMessageType.Binary, true, default);
        await LiveStreamTests.StopAsync(ws);
        JsonElement summary = await LiveStreamTests.SkipReadingsAsync(ws);
        return JsonSerializer.SerializeToElement(new { ready, summary });
    }

    private static void AssertAdaptation(SpeakerAdaptation? adaptation, bool applied, int recordings)
    {
        Assert.NotNull(adaptation);
        Assert.Equal((Adapted, applied, recordings, 3), (adaptation.Model, adaptation.Applied, adaptation.ProfileRecordings, adaptation.RequiredRecordings));
        Assert.Equal(recordings, adaptation.ProfileLabels?.Values.Sum() ?? 0);
    }

    private async Task<List<Prediction>> UploadAllAsync(HttpClient client, string speaker, int count = 4)
    {
        var done = new List<Prediction>();
        foreach (string clip in Clips[..count])
        {
            _app.Clock.Now = _app.Clock.Now.AddMinutes(1); // distinct times: the profile takes the latest recordings
            done.Add(await Send.Created(await Upload(client, clip, speaker)));
        }

        return done;
    }

    private static Task<HttpResponseMessage> Upload(HttpClient client, string clip, string? speaker, string model = Adapted) =>
        Upload(client, Send.Speech(clip), speaker, model);

    private static Task<HttpResponseMessage> Upload(HttpClient client, byte[] wav, string? speaker, string model = Adapted)
    {
        string query = $"/api/predictions?model={model}" + (speaker is null ? "" : $"&speaker={Uri.EscapeDataString(speaker)}");
        return Send.Raw(client, wav, url: query);
    }

    private HttpClient Client(string key)
    {
        HttpClient client = _app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }
}
