using System.Text.Json;
using System.Text.Json.Nodes;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;
using Rtser.Tests.Shared;

namespace Rtser.Cli.Tests;

public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("rtser-evaluate-").FullName;
    private readonly string _models = Path.Combine(TestPaths.RepoRoot, "models");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// A fold folder as training writes it, made of a committed model: each fold's card a copy of models/&lt;id&gt;.json
    /// (id "&lt;id&gt;-fold&lt;n&gt;", no fallback) pointing at the committed graph.
    /// </summary>
    private string Folds(string id, params string[][] testSpeakers)
    {
        string dir = Path.Combine(_temp, "folds-" + id);
        Directory.CreateDirectory(dir);
        JsonNode card = JsonNode.Parse(File.ReadAllText(Path.Combine(_models, id + ".json")))!;
        var folds = new JsonArray();
        for (int k = 0; k < testSpeakers.Length; k++)
        {
            card["id"] = $"{id}-fold{k}";
            card["onnx"] = Path.Combine(_models, id + ".onnx");
            if (card["speakerAdaptation"] is JsonObject adaptation)
            {
                adaptation["fallbackModel"] = null;
            }

            File.WriteAllText(Path.Combine(dir, $"fold{k}.json"), card.ToJsonString());
            folds.Add(new JsonObject { ["fold"] = k, ["testSpeakers"] = new JsonArray([.. testSpeakers[k].Select(s => JsonValue.Create(s))]), ["card"] = $"fold{k}.json" });
        }

        var manifest = new JsonObject { ["config"] = "test", ["corpus"] = "emodb", ["modelId"] = id, ["labels"] = card["labels"]!.DeepClone(), ["folds"] = folds };
        File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.ToJsonString());
        return dir;
    }

    /// <summary>
    /// A corpus folder named as EmoDB is, of espeak speech: speaker 03 has three 2 s clips and one of silence, speaker
    /// 08 one clip.
    /// </summary>
    private string Corpus()
    {
        string root = Path.Combine(_temp, "emodb");
        string wav = Path.Combine(root, "wav");
        Directory.CreateDirectory(wav);
        float[] speech = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        File.WriteAllBytes(Path.Combine(wav, "03a01Wa.wav"), WavWriter.Pcm16(speech[..32000], 16000));
        File.WriteAllBytes(Path.Combine(wav, "03a01Fa.wav"), WavWriter.Pcm16(speech[32000..64000], 16000));
        File.WriteAllBytes(Path.Combine(wav, "03a02Ta.wav"), WavWriter.Pcm16(speech[16000..48000], 16000));
        File.WriteAllBytes(Path.Combine(wav, "03a04Nc.wav"), WavWriter.Pcm16(new float[32000], 16000));
        File.WriteAllBytes(Path.Combine(wav, "08a01Wa.wav"), WavWriter.Pcm16(speech[8000..40000], 16000));
        return root;
    }

    private static JsonElement Evaluate(string folds, string data, params string[] more)
    {
        var (code, output, error) = Run(["evaluate", "--folds", folds, "--data", data, "--corpus", "emodb", .. more]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(output).RootElement;
    }

    /// <summary>predict's lines for the files, by file name.</summary>
    private Dictionary<string, JsonElement> Predict(string model, IEnumerable<string> files)
    {
        var (code, output, error) = Run(["predict", .. files, "--models", _models, "--model", model]);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => Path.GetFileName(e.GetProperty("file").GetString()!), StringComparer.Ordinal);
    }

    private static void AssertSameReading(JsonElement predicted, JsonElement file)
    {
        Assert.Equal(predicted.GetProperty("label").GetString(), file.GetProperty("predicted").GetString());
        var expected = predicted.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        var actual = file.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        // predict rounds to 4 decimals, evaluate to 6: the same number rounded twice is within half of 1e-4 and 1e-6.
        Assert.All(expected, kv => Assert.Equal(kv.Value, actual[kv.Key], tolerance: 0.0000505));
    }

    [Fact]
    public void Each_fold_reads_only_its_test_speakers_as_predict_does_and_no_speech_counts_as_wrong()
    {
        string data = Corpus();

        JsonElement result = Evaluate(Folds("mlr-emodb", ["03"], ["08"]), data, "--condition", "phone");

        Assert.Equal("mlr-emodb", result.GetProperty("modelId").GetString());
        Assert.Equal("phone", result.GetProperty("condition").GetString());
        Assert.Equal(5, result.GetProperty("n").GetInt32());
        Assert.Equal(1, result.GetProperty("noSpeech").GetInt32());
        JsonElement[] folds = [.. result.GetProperty("folds").EnumerateArray()];
        Assert.Equal([4, 1], folds.Select(f => f.GetProperty("n").GetInt32()));
        Assert.Equal([1, 0], folds.Select(f => f.GetProperty("noSpeech").GetInt32()));
        Assert.Equal(["08"], folds[1].GetProperty("testSpeakers").EnumerateArray().Select(s => s.GetString()));

        JsonElement[] files = [.. result.GetProperty("files").EnumerateArray()];
        Assert.Equal(["wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/03a02Ta.wav", "wav/03a04Nc.wav", "wav/08a01Wa.wav"], files.Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(["happy", "angry", "sad", "neutral", "angry"], files.Select(f => f.GetProperty("label").GetString()));
        Dictionary<string, JsonElement> predicted = Predict("mlr-emodb", files.Select(f => Path.Combine(data, f.GetProperty("path").GetString()!)));
        Assert.All(files, f => AssertSameReading(predicted[Path.GetFileName(f.GetProperty("path").GetString()!)], f));

        // The silent clip's no_speech sits in the last column, on neutral's row; each fold's UAR is its matrix's.
        string[] columns = [.. result.GetProperty("confusionColumns").EnumerateArray().Select(c => c.GetString()!)];
        Assert.Equal("no_speech", columns[^1]);
        int neutral = Array.IndexOf(columns, "neutral");
        Assert.Equal(1, result.GetProperty("confusion")[neutral][columns.Length - 1].GetInt32());
        double expected08 = files[4].GetProperty("predicted").GetString() == "angry" ? 1 : 0;
        Assert.Equal(expected08, folds[1].GetProperty("uar").GetDouble(), 12);
        Assert.Equal((folds[0].GetProperty("uar").GetDouble() + expected08) / 2, result.GetProperty("uarMean").GetDouble(), 12);
    }

    [Fact]
    public void Joined_a_speaker_of_one_recording_reads_it_as_predict_does_and_every_recording_gets_a_reading()
    {
        string data = Corpus();

        JsonElement result = Evaluate(Folds("mlr-emodb", ["03"], ["08"]), data, "--joined");

        Assert.True(result.GetProperty("joined").GetBoolean());
        JsonElement[] files = [.. result.GetProperty("files").EnumerateArray()];
        Assert.Equal(5, files.Length);
        Assert.All(files, f => Assert.Contains(f.GetProperty("predicted").GetString(), result.GetProperty("confusionColumns").EnumerateArray().Select(c => c.GetString())));

        // 08's only clip (2 s: one window) joined is the clip itself.
        AssertSameReading(Predict("mlr-emodb", [Path.Combine(data, "wav", "08a01Wa.wav")])["08a01Wa.wav"], files.Single(f => f.GetProperty("speaker").GetString() == "08"));
    }

    [Fact]
    public void Joined_a_speaker_adapted_model_reads_the_long_recording_against_its_own_profile()
    {
        string data = Corpus();

        JsonElement result = Evaluate(Folds("cnn-rnn-spk-emodb", ["08"]), data, "--joined");

        // One 2 s clip: the profile is that window's statistics (compensated), the reading the clip's against it.
        var extractor = new SpeechFeatureExtractor();
        using EmotionModel model = EmotionModel.Load(Path.Combine(_models, "cnn-rnn-spk-emodb.json"), extractor);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        float[] clip = new WavDecoder().Decode16kFile(Path.Combine(data, "wav", "08a01Wa.wav"));
        EmotionPrediction expected = analyzer.Analyze(model, clip, speakerMean: model.Profile([analyzer.ProfileStatistics(model, clip)!])).Overall;
        JsonElement file = Assert.Single(result.GetProperty("files").EnumerateArray());
        Assert.Equal(expected.Label, file.GetProperty("predicted").GetString());
        Assert.Equal(expected.Probabilities[expected.Label], file.GetProperty("probabilities").GetProperty(expected.Label).GetDouble(), 5);
    }

    [Fact]
    public void A_manifest_naming_a_speaker_the_data_lacks_exits_2_naming_the_speaker()
    {
        var (code, output, error) = Run("evaluate", "--folds", Folds("mlr-emodb", ["03"], ["11"]), "--data", Corpus(), "--corpus", "emodb");

        Assert.Equal(2, code);
        Assert.Contains("fold 1: test speaker '11' has no recordings", error, StringComparison.Ordinal);
        Assert.Contains("speakers there: 03, 08", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public void A_manifest_whose_card_is_missing_exits_2_naming_the_fold_and_card()
    {
        string folds = Folds("mlr-emodb", ["03"], ["08"]);
        File.Delete(Path.Combine(folds, "fold1.json"));

        var (code, output, error) = Run("evaluate", "--folds", folds, "--data", Corpus(), "--corpus", "emodb");

        Assert.Equal(2, code);
        Assert.Contains("fold 1: its card", error, StringComparison.Ordinal);
        Assert.Contains("fold1.json does not exist", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public void A_folder_without_a_manifest_or_of_another_corpus_exits_2()
    {
        string data = Corpus();
        string folds = Folds("mlr-emodb", ["03"]);

        var (missing, _, missingError) = Run("evaluate", "--folds", data, "--data", data, "--corpus", "emodb");
        var (other, _, otherError) = Run("evaluate", "--folds", folds, "--data", data, "--corpus", "ravdess");

        Assert.Equal(2, missing);
        Assert.Contains("no manifest.json in", missingError, StringComparison.Ordinal);
        Assert.Equal(2, other);
        Assert.Contains("the manifest is for emodb, not ravdess", otherError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_labelling_otherwise_than_the_manifest_exits_2()
    {
        string folds = Folds("mlr-emodb", ["03"]);
        JsonNode manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folds, "manifest.json")))!;
        manifest["labels"] = new JsonArray("neutral", "happy", "sad", "angry", "fearful", "disgust", "bored", "surprised");
        File.WriteAllText(Path.Combine(folds, "manifest.json"), manifest.ToJsonString());

        var (code, _, error) = Run("evaluate", "--folds", folds, "--data", Corpus(), "--corpus", "emodb");

        Assert.Equal(2, code);
        Assert.Contains("fold 0:", error, StringComparison.Ordinal);
        Assert.Contains("the manifest [neutral, happy, sad, angry, fearful, disgust, bored, surprised]", error, StringComparison.Ordinal);
    }

    [CorpusFact]
    public void An_emodb_fold_of_speaker_03_reads_every_file_as_predict_does_and_writes_the_result_file()
    {
        string data = Path.Combine(TestPaths.Datasets, "emodb");
        string output = Path.Combine(_temp, "result.json");

        var (code, _, error) = Run("evaluate", "--folds", Folds("mlr-emodb", ["03"]), "--data", data, "--corpus", "emodb", "--out", output);

        Assert.True(code == 0, error);
        JsonElement result = JsonDocument.Parse(File.ReadAllText(output)).RootElement;
        JsonElement[] files = [.. result.GetProperty("files").EnumerateArray()];
        string[] speaker03 = [.. Directory.EnumerateFiles(Path.Combine(data, "wav"), "03*.wav").Order(StringComparer.Ordinal)];
        Assert.Equal(speaker03.Select(f => "wav/" + Path.GetFileName(f)), files.Select(f => f.GetProperty("path").GetString()));
        Dictionary<string, JsonElement> predicted = Predict("mlr-emodb", speaker03);
        Assert.All(files, f => AssertSameReading(predicted[Path.GetFileName(f.GetProperty("path").GetString()!)], f));
        int right = files.Count(f => f.GetProperty("predicted").GetString() == f.GetProperty("label").GetString());
        Assert.Equal(right / (double)files.Length, result.GetProperty("accuracyMean").GetDouble(), 12);
    }

    [CorpusFact]
    public void A_speaker_adapted_fold_reads_each_recording_against_all_the_speakers_other_recordings()
    {
        string data = Path.Combine(TestPaths.Datasets, "emodb");

        JsonElement result = Evaluate(Folds("cnn-rnn-spk-emodb", ["03"]), data);

        // 03a01Wa against the compensated profile of the other 48 recordings, built here through the library.
        var extractor = new SpeechFeatureExtractor();
        using EmotionModel model = EmotionModel.Load(Path.Combine(_models, "cnn-rnn-spk-emodb.json"), extractor);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        string[] others = [.. Directory.EnumerateFiles(Path.Combine(data, "wav"), "03*.wav").Where(f => !f.EndsWith("03a01Wa.wav", StringComparison.Ordinal))];
        Assert.Equal(48, others.Length);
        float[][] rows = [.. others.Select(f => analyzer.ProfileStatistics(model, new WavDecoder().Decode16kFile(f))).OfType<float[]>()];
        EmotionPrediction expected = analyzer.Analyze(model, new WavDecoder().Decode16kFile(Path.Combine(data, "wav", "03a01Wa.wav")), speakerMean: model.Profile(rows)).Overall;
        JsonElement file = result.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "wav/03a01Wa.wav");
        Assert.Equal(expected.Label, file.GetProperty("predicted").GetString());
        Assert.Equal(expected.Probabilities[expected.Label], file.GetProperty("probabilities").GetProperty(expected.Label).GetDouble(), 5);
        Assert.Equal(49, result.GetProperty("n").GetInt32());
    }
}
