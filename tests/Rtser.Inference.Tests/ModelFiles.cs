using System.Text.Json;
using System.Text.Json.Nodes;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>The committed models, and temp copies of one with its card edited.</summary>
internal static class ModelFiles
{
    public static string Directory => Path.Combine(TestPaths.RepoRoot, "models");

    public static IEnumerable<string> CardIds() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    /// <summary>EmoDB speaker 03's recordings a test profile is made of (the test clip 03a01Wa is not among them).</summary>
    public static readonly string[] ProfileClips = ["03a01Fa.wav", "03a01Nc.wav", "03a02Ta.wav", "03a04Ad.wav", "03a04Lc.wav", "03a02Wb.wav"];

    /// <summary>A real speaker profile for a model that adapts to the speaker (null for any other).</summary>
    public static float[]? ProfileFor(EmotionModel model, SpeechFeatureExtractor extractor)
    {
        if (!model.AdaptsToSpeaker)
        {
            return null;
        }

        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        float[][] rows = [.. ProfileClips.Select(c => analyzer.ProfileStatistics(model, new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", c)))!)];
        return [.. Enumerable.Range(0, model.ProfileLength).Select(i => rows.Average(r => r[i]))];
    }

    /// <summary>Copies models/&lt;id&gt;.onnx and an edited card into <paramref name="folder"/>; returns the card path.</summary>
    public static string CopyWithEditedCard(string id, string folder, Action<JsonObject> edit)
    {
        JsonObject card = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, id + ".json")))!.AsObject();
        string onnx = card["onnx"]!.GetValue<string>();
        File.Copy(Path.Combine(Directory, onnx), Path.Combine(folder, onnx), overwrite: true);
        edit(card);
        string path = Path.Combine(folder, id + ".json");
        File.WriteAllText(path, card.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }
}
