using System.Text.Json;
using System.Text.Json.Nodes;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>The committed models, and temp copies of one with its card edited.</summary>
internal static class ModelFiles
{
    public static string Directory => Path.Combine(TestPaths.RepoRoot, "models");

    public static IEnumerable<string> CardIds() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

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
