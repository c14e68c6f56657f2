using System.Text.Json;
using Rtser.Audio;
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
