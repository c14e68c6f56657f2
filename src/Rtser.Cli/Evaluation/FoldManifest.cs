using System.Text.Json;
using Rtser.Inference;

namespace Rtser.Cli.Evaluation;

/// <summary>A manifest the evaluation cannot run: exit code 2, as a command line it cannot run.</summary>
internal sealed class ManifestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One fold as training wrote it: the speakers its model never heard and the card of that model.</summary>
internal sealed record FoldEntry(int Fold, string[] TestSpeakers, string Card);

/// <summary>
/// &lt;folds&gt;/manifest.json, written by training beside each fold's card and graph: which model configuration on
/// which corpus, the labels, and per fold the test speakers and the card (an ordinary model card, id "&lt;modelId&gt;-fold&lt;n&gt;").
/// </summary>
internal sealed record FoldManifest(string Config, string Corpus, string ModelId, string[] Labels, FoldEntry[] Folds)
{
    public const string FileName = "manifest.json";

    /// <summary>The manifest in <paramref name="folder"/>, checked for what it must hold; the cards' own checks come when each is loaded.</summary>
    public static FoldManifest Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new ManifestException($"no {FileName} in {Path.GetFullPath(folder)}");
        }

        FoldManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<FoldManifest>(File.ReadAllText(path), CliJson.Options);
        }
        catch (JsonException e)
        {
            throw new ManifestException($"{path} is not a valid manifest: {e.Message}", e);
        }

        if (m is null || m.Config is null || m.Corpus is null || m.ModelId is null || m.Labels is not { Length: > 0 } || m.Folds is not { Length: > 0 })
        {
            throw new ManifestException($"{path} needs config, corpus, modelId, labels and at least one fold");
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (FoldEntry f in m.Folds)
        {
            if (f?.Card is null || f.TestSpeakers is not { Length: > 0 })
            {
                throw new ManifestException($"{path}: every fold needs testSpeakers and a card");
            }

            foreach (string s in f.TestSpeakers)
            {
                if (!seen.TryAdd(s, f.Fold))
                {
                    throw new ManifestException($"{path}: speaker '{s}' is a test speaker of folds {seen[s]} and {f.Fold}");
                }
            }
        }

        return m;
    }

    /// <summary>The card file of <paramref name="fold"/>, which must exist and label as the manifest does.</summary>
    public string CardPath(string folder, FoldEntry fold)
    {
        string card = Path.GetFullPath(Path.Combine(folder, fold.Card));
        if (!File.Exists(card))
        {
            throw new ManifestException($"fold {fold.Fold}: its card {card} does not exist");
        }

        ModelCard loaded;
        try
        {
            loaded = ModelCard.Load(card);
        }
        catch (ModelLoadException e)
        {
            throw new ManifestException($"fold {fold.Fold}: {e.Message}", e);
        }

        return loaded.Labels.SequenceEqual(Labels, StringComparer.Ordinal)
            ? card
            : throw new ManifestException($"fold {fold.Fold}: {card} labels [{string.Join(", ", loaded.Labels)}], the manifest [{string.Join(", ", Labels)}]");
    }
}
