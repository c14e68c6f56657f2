using System.Text.Json;
using System.Text.Json.Nodes;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;
using Rtser.Tests.Shared;

namespace Rtser.Cli.Tests;

public sealed class PredictCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("rtser-predict-").FullName;
    private readonly string _models = Path.Combine(TestPaths.RepoRoot, "models");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static (int Code, string[] Lines, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), stderr.ToString());
    }

    private static byte[] SilentWav(int samples) => WavWriter.Pcm16(new float[samples], 16000);

    [Fact]
    public void Predict_walks_a_folder_and_prints_one_json_line_per_wav_file()
    {
        float[] speech = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        string folder = Path.Combine(_temp, "clips");
        Directory.CreateDirectory(Path.Combine(folder, "nested"));
        File.WriteAllBytes(Path.Combine(folder, "angry.wav"), WavWriter.Pcm16(speech[..32000], 16000));
        File.WriteAllBytes(Path.Combine(folder, "nested", "neutral.wav"), WavWriter.Pcm16(speech[32000..64000], 16000));
        File.WriteAllBytes(Path.Combine(folder, "silence.wav"), SilentWav(32000));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not audio, not a .wav: skipped");

        var (code, lines, err) = Run("predict", folder, "--models", _models, "--language", "de");

        Assert.True(code == 0, err);
        Assert.Equal(3, lines.Length);
        var byFile = lines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileName(e.GetProperty("file").GetString()!));
        foreach (string name in new[] { "angry.wav", "neutral.wav" })
        {
            JsonElement e = byFile[name];
            string label = e.GetProperty("label").GetString()!;
            Assert.Matches("^(neutral|happy|sad|angry|fearful|disgust|bored)$", label);
            var probabilities = e.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(7, probabilities.Count);
            Assert.Equal(1.0, probabilities.Values.Sum(), 2);
            Assert.Equal(probabilities[label], e.GetProperty("confidence").GetDouble(), 4);
            Assert.Equal(2.0, e.GetProperty("durationSeconds").GetDouble(), 3);
        }

        Assert.Equal("no_speech", byFile["silence.wav"].GetProperty("label").GetString());
        Assert.Equal("cnn-rnn-emodb", byFile["silence.wav"].GetProperty("model").GetString());
    }

    [CorpusFact]
    public void A_speaker_adapted_model_scores_each_file_against_the_other_recordings_of_its_folder()
    {
        string emodb = Path.Combine(TestPaths.Datasets, "emodb", "wav");
        string folder = Path.Combine(_temp, "speaker-03");
        Directory.CreateDirectory(folder);
        string[] clips = ["03a01Fa.wav", "03a01Nc.wav", "03a02Ta.wav", "03a01Wa.wav"];
        foreach (string c in clips)
        {
            File.Copy(Path.Combine(emodb, c), Path.Combine(folder, c));
        }

        var (code, lines, err) = Run("predict", folder, "--models", _models, "--model", "cnn-rnn-spk-emodb", "--min-profile", "3");
        var (_, fewer, _) = Run("predict", folder, "--models", _models, "--model", "cnn-rnn-spk-emodb", "--min-profile", "4");

        Assert.True(code == 0, err);
        JsonElement scored = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("file").GetString()!.EndsWith("03a01Wa.wav", StringComparison.Ordinal));
        Assert.Equal("cnn-rnn-spk-emodb", scored.GetProperty("model").GetString());
        Assert.Equal("speaker-03", scored.GetProperty("speaker").GetString());
        Assert.True(scored.GetProperty("adaptation").GetProperty("applied").GetBoolean());
        Assert.Equal(3, scored.GetProperty("adaptation").GetProperty("profileRecordings").GetInt32());

        // The same as the library run against the profile (EmotionModel.Profile) of the other three recordings' statistics.
        var extractor = new Rtser.Features.Pipeline.SpeechFeatureExtractor();
        using var registry = Rtser.Inference.ModelRegistry.Load(_models, extractor);
        var model = registry.Get("cnn-rnn-spk-emodb");
        var analyzer = new Rtser.Inference.EmotionAnalyzer(new Rtser.Inference.EmotionPredictor(extractor));
        float[][] rows = [.. clips[..3].Select(c => analyzer.ProfileStatistics(model, new WavDecoder().Decode16kFile(Path.Combine(emodb, c)))!)];
        var expected = analyzer.Analyze(model, new WavDecoder().Decode16kFile(Path.Combine(emodb, clips[3])), speakerMean: model.Profile(rows)).Overall;
        Assert.Equal(expected.Label, scored.GetProperty("label").GetString());
        Assert.Equal(expected.Confidence, scored.GetProperty("confidence").GetDouble(), 3);

        Assert.All(fewer.Select(l => JsonDocument.Parse(l).RootElement), e =>
        {
            Assert.Equal("cnn-rnn-emodb", e.GetProperty("model").GetString());
            Assert.False(e.GetProperty("adaptation").GetProperty("applied").GetBoolean());
        });
    }

    [Fact]
    public void A_browser_recording_gets_the_service_timeline_and_overall_label()
    {
        string webm = TestPaths.TestData("Rtser.Audio.Tests", "chromium-live.webm");
        var extractor = new Rtser.Features.Pipeline.SpeechFeatureExtractor();
        using var registry = Rtser.Inference.ModelRegistry.Load(_models, extractor);
        DecodedAudio audio = new MediaDecoder().DecodeFile(webm);
        var expected = new Rtser.Inference.EmotionAnalyzer(new Rtser.Inference.EmotionPredictor(extractor))
            .Analyze(registry.Get("cnn-rnn-emodb"), Resampler.ToRate(audio.Samples, audio.SampleRate, 16000));

        var (code, lines, err) = Run("predict", webm, "--models", _models, "--model", "cnn-rnn-emodb");

        Assert.True(code == 0, err);
        JsonElement e = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal(expected.Overall.Label, e.GetProperty("label").GetString());
        Assert.Equal(expected.Overall.Confidence, e.GetProperty("confidence").GetDouble(), 3);
        Assert.Equal(expected.Segments.Count, e.GetProperty("segments").GetArrayLength());
    }

    [Fact]
    public void Two_utterances_with_a_pause_print_two_segments_cut_in_the_pause_and_the_speech_weighted_overall_reading()
    {
        float[] speech = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[] signal = [.. speech, .. new float[24000], .. speech];
        string file = Path.Combine(_temp, "two.wav");
        File.WriteAllBytes(file, WavWriter.Pcm16(signal, 16000));
        var extractor = new SpeechFeatureExtractor();
        using var registry = ModelRegistry.Load(_models, extractor);
        var predictor = new EmotionPredictor(extractor);
        float[] decoded = new WavDecoder().Decode16kFile(file);
        EmotionModel model = registry.Get("mlr-ravdess");

        var (code, lines, err) = Run("predict", file, "--models", _models);

        Assert.True(code == 0, err);
        JsonElement e = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal("mlr-ravdess", e.GetProperty("model").GetString());
        JsonElement[] segments = [.. e.GetProperty("segments").EnumerateArray()];
        Assert.Equal(2, segments.Length);
        double cut = segments[0].GetProperty("end").GetDouble();
        Assert.InRange(cut, speech.Length / 16000.0, (speech.Length / 16000.0) + 1.5);
        EmotionPrediction[] parts = [predictor.Predict(model, decoded.AsSpan(0, (int)Math.Round(cut * 16000))), predictor.Predict(model, decoded.AsSpan((int)Math.Round(cut * 16000)))];
        foreach (string label in model.Labels)
        {
            double expected = parts.Sum(p => p.SpeechSeconds * p.Probabilities[label]) / parts.Sum(p => p.SpeechSeconds);
            Assert.Equal(expected, e.GetProperty("probabilities").GetProperty(label).GetDouble(), 1e-4); // printed to 4 places
        }
    }

    [Fact]
    public void A_broken_file_gets_an_error_line_and_the_others_are_still_scored()
    {
        File.WriteAllText(Path.Combine(_temp, "a-broken.wav"), "RIFF....WAVEnothing");
        File.WriteAllBytes(Path.Combine(_temp, "b-silence.wav"), SilentWav(16000));

        var (code, lines, _) = Run("predict", _temp, "--models", _models, "--model", "svm-emodb");

        Assert.Equal(1, code);
        Assert.Equal(2, lines.Length);
        Assert.Contains("error", lines[0], StringComparison.Ordinal);
        Assert.Equal("no_speech", JsonDocument.Parse(lines[1]).RootElement.GetProperty("label").GetString());
    }

    [FfmpegFact]
    public void A_file_ffmpeg_refuses_gets_an_error_line_with_what_ffmpeg_said()
    {
        // The user's own machine: ffmpeg's words help and reveal nothing new (a service logs them instead).
        string playlist = Path.Combine(_temp, "playlist.mp3");
        File.WriteAllText(playlist, "ffconcat version 1.0\nfile '/etc/passwd'\n");

        var (code, lines, _) = Run("predict", playlist, "--models", _models, "--model", "svm-emodb");

        Assert.Equal(1, code);
        string error = JsonDocument.Parse(Assert.Single(lines)).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("not an audio format", error, StringComparison.Ordinal);
        Assert.Contains("ffmpeg says", error, StringComparison.Ordinal);
        Assert.Contains("Unsafe file name", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "mlr-ravdess")]
    [InlineData(new[] { "--language", "en" }, "mlr-ravdess")]
    [InlineData(new[] { "--language", "de" }, "cnn-rnn-emodb")]
    [InlineData(new[] { "--language", "en", "--model", "svm-emodb" }, "svm-emodb")]
    public void The_language_picks_its_default_model_english_unless_told_and_a_named_model_overrides_it(string[] options, string expected)
    {
        string silence = Path.Combine(_temp, "silence.wav");
        File.WriteAllBytes(silence, SilentWav(16000));

        var (code, lines, err) = Run(["predict", silence, "--models", _models, .. options]);

        Assert.True(code == 0, err);
        Assert.Equal(expected, JsonDocument.Parse(Assert.Single(lines)).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void A_routed_models_line_ends_with_the_channel_it_heard_and_other_models_lines_with_null()
    {
        string clip = TestPaths.EspeakWav;

        JsonElement routed = JsonDocument.Parse(Assert.Single(Run("predict", clip, "--models", _models).Lines)).RootElement;
        JsonElement other = JsonDocument.Parse(Assert.Single(Run("predict", clip, "--models", _models, "--model", "svm-ravdess").Lines)).RootElement;

        Assert.Equal("mlr-ravdess", routed.GetProperty("model").GetString());
        Assert.Equal("clean", routed.GetProperty("channel").GetString());
        Assert.Equal("channel", routed.EnumerateObject().Last().Name);
        Assert.Equal(JsonValueKind.Null, other.GetProperty("channel").ValueKind);
    }

    [Fact]
    public void An_unknown_language_is_refused_with_the_available_languages()
    {
        var (code, lines, err) = Run("predict", _temp, "--models", _models, "--language", "fr");

        Assert.Equal(1, code);
        Assert.Empty(lines);
        Assert.Contains("unknown language 'fr'; available: de, en", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_model_is_refused_with_the_available_ids()
    {
        var (code, _, err) = Run("predict", _temp, "--models", _models, "--model", "nope");
        Assert.Equal(1, code);
        Assert.Contains("cnn-rnn-emodb", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_prints_in_name_order_the_same_lines_as_each_file_predicted_alone()
    {
        // A long clip first, shorter ones, a broken file and a silent one: on two cores they finish out of order.
        float[] speech = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        string folder = Path.Combine(_temp, "clips");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "0-long.wav"), WavWriter.Pcm16([.. Enumerable.Repeat(speech, 8).SelectMany(s => s)], 16000));
        (int From, int To)[] pieces = [(0, 24000), (8000, 56000), (16000, 40000), (4000, 66480), (24000, 50000), (0, 40000), (30000, 62000)];
        for (int k = 0; k < pieces.Length; k++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"{k + 1}-speech.wav"), WavWriter.Pcm16(speech[pieces[k].From..pieces[k].To], 16000));
        }

        File.WriteAllText(Path.Combine(folder, "3-broken.wav"), "RIFF....WAVEnothing");
        File.WriteAllBytes(Path.Combine(folder, "5-silence.wav"), SilentWav(16000));

        var (code, lines, _) = Run("predict", folder, "--models", _models);
        string[] alone = [.. Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(f => Assert.Single(Run("predict", f, "--models", _models).Lines))];

        Assert.Equal(1, code);
        Assert.Equal(10, alone.Length);
        Assert.Equal(alone, lines);
    }

    [Fact]
    public void A_speaker_adapted_folder_scores_each_file_against_its_first_other_recordings_with_speech()
    {
        // A card whose profile holds two recordings: each file's profile is the first two others with speech, in name order.
        string models = Path.Combine(_temp, "models");
        Directory.CreateDirectory(models);
        foreach (string f in new[] { "cnn-rnn-emodb.json", "cnn-rnn-emodb.onnx", "cnn-rnn-spk-emodb.onnx" })
        {
            File.Copy(Path.Combine(_models, f), Path.Combine(models, f));
        }

        JsonNode card = JsonNode.Parse(File.ReadAllText(Path.Combine(_models, "cnn-rnn-spk-emodb.json")))!;
        card["speakerAdaptation"]!["profileRecordings"] = 2;
        File.WriteAllText(Path.Combine(models, "cnn-rnn-spk-emodb.json"), card.ToJsonString());
        float[] speech = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[][] recordings = [.. Enumerable.Range(0, 5).Select(k => speech[(k * 8000)..((k * 8000) + 32000)])];
        string folder = Path.Combine(_temp, "speaker");
        Directory.CreateDirectory(folder);
        for (int k = 0; k < recordings.Length; k++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"{k + 1}.wav"), WavWriter.Pcm16(recordings[k], 16000));
        }

        File.WriteAllBytes(Path.Combine(folder, "0-silence.wav"), SilentWav(32000)); // no statistics: in no profile

        var (code, lines, err) = Run("predict", folder, "--models", models, "--language", "de", "--model", "cnn-rnn-spk-emodb", "--min-profile", "2");

        Assert.True(code == 0, err);
        Assert.Equal(recordings.Length + 1, lines.Length);
        JsonElement[] found = [.. lines.Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Equal("no_speech", found[0].GetProperty("label").GetString());
        Assert.Equal("cnn-rnn-spk-emodb", found[0].GetProperty("model").GetString());
        var extractor = new SpeechFeatureExtractor();
        using EmotionModel model = EmotionModel.Load(Path.Combine(models, "cnn-rnn-spk-emodb.json"), extractor);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        float[][] statistics = [.. recordings.Select(r => analyzer.ProfileStatistics(model, WavRoundTrip(r))!)];
        int[][] profileOf = [[1, 2], [0, 2], [0, 1], [0, 1], [0, 1]];
        for (int k = 0; k < recordings.Length; k++)
        {
            float[] profile = model.Profile([.. profileOf[k].Select(j => statistics[j])]);
            EmotionPrediction expected = analyzer.Analyze(model, WavRoundTrip(recordings[k]), speakerMean: profile).Overall;
            JsonElement e = found[k + 1];
            Assert.Equal("cnn-rnn-spk-emodb", e.GetProperty("model").GetString());
            Assert.Equal(2, e.GetProperty("adaptation").GetProperty("profileRecordings").GetInt32());
            Assert.Equal(expected.Label, e.GetProperty("label").GetString());
            foreach (JsonProperty p in e.GetProperty("probabilities").EnumerateObject())
            {
                Assert.Equal(expected.Probabilities[p.Name], p.Value.GetDouble(), 4);
            }
        }
    }

    /// <summary>The samples as the command reads them back from a 16-bit file.</summary>
    private static float[] WavRoundTrip(float[] samples) => new WavDecoder().Decode16k(WavWriter.Pcm16(samples, 16000));

    [Fact]
    public void Only_the_model_asked_for_and_its_fallback_are_loaded_so_broken_cards_beside_them_do_not_matter()
    {
        string models = Path.Combine(_temp, "models");
        Directory.CreateDirectory(models);
        foreach (string f in new[] { "cnn-rnn-emodb.json", "cnn-rnn-emodb.onnx", "cnn-rnn-spk-emodb.json", "cnn-rnn-spk-emodb.onnx" })
        {
            File.Copy(Path.Combine(_models, f), Path.Combine(models, f));
        }

        // Cards that read (the language defaults come from every card) with graphs that do not: one missing, one garbage.
        JsonNode missing = JsonNode.Parse(File.ReadAllText(Path.Combine(_models, "mlr-emodb.json")))!;
        missing["onnx"] = "gone.onnx";
        File.WriteAllText(Path.Combine(models, "mlr-emodb.json"), missing.ToJsonString());
        File.Copy(Path.Combine(_models, "rnn-emodb.json"), Path.Combine(models, "rnn-emodb.json"));
        File.WriteAllText(Path.Combine(models, "rnn-emodb.onnx"), "not an ONNX graph");
        string clip = TestPaths.EspeakWav;

        var (code, lines, err) = Run("predict", clip, "--models", models, "--language", "de");
        var (spkCode, spkLines, spkErr) = Run("predict", clip, "--models", models, "--language", "de", "--model", "cnn-rnn-spk-emodb");
        var (unknownCode, _, unknownErr) = Run("predict", clip, "--models", models, "--language", "de", "--model", "nope");

        Assert.True(code == 0, err);
        Assert.Equal("cnn-rnn-emodb", JsonDocument.Parse(Assert.Single(lines)).RootElement.GetProperty("model").GetString());
        Assert.True(spkCode == 0, spkErr);
        Assert.Equal("cnn-rnn-emodb", JsonDocument.Parse(Assert.Single(spkLines)).RootElement.GetProperty("model").GetString()); // the fallback: no profile yet
        Assert.Equal(1, unknownCode);
        Assert.Contains("cnn-rnn-emodb, cnn-rnn-spk-emodb, mlr-emodb, rnn-emodb", unknownErr, StringComparison.Ordinal);
        Assert.Throws<ModelLoadException>(() => ModelRegistry.Load(models, new SpeechFeatureExtractor()).Dispose()); // the whole folder does not load
    }

    private sealed class FfmpegFactAttribute : FactAttribute
    {
        public FfmpegFactAttribute()
        {
            if (FfmpegDecoder.Locate() is null)
            {
                Skip = "ffmpeg is not installed (tools/setup.sh installs it; CI has it)";
            }
        }
    }
}
