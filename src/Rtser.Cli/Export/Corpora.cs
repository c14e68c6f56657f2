namespace Rtser.Cli.Export;

/// <summary>One labelled recording of a corpus.</summary>
internal sealed record CorpusFile(string Path, string RelativePath, string Speaker, string Label);

/// <summary>
/// File-name conventions of the corpora we train on, mapped to one label vocabulary
/// (neutral, happy, sad, angry, fearful, disgust, surprised, bored).
/// </summary>
internal static class Corpora
{
    public static readonly string[] Vocabulary = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised", "bored"];

    public static IReadOnlyList<string> Labels(string corpus) => corpus switch
    {
        "emodb" => ["neutral", "happy", "sad", "angry", "fearful", "disgust", "bored"],
        "ravdess" => ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
        _ => throw new ArgumentException($"Unknown corpus '{corpus}': use emodb or ravdess."),
    };

    public static IReadOnlyList<CorpusFile> List(string corpus, string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Dataset folder not found: {folder}");
        }

        var files = Directory.EnumerateFiles(folder, "*.wav", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => Parse(corpus, p, Path.GetRelativePath(folder, p)))
            .ToList();
        return files.Count > 0 ? files : throw new ArgumentException($"No .wav files under {folder}.");
    }

    private static CorpusFile Parse(string corpus, string path, string relative)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return corpus switch
        {
            // 03a01Fa: speaker 03, text a01, emotion F (German initial), version a.
            "emodb" when name.Length == 7 => new CorpusFile(path, relative, name[..2], name[5] switch
            {
                'W' => "angry",
                'L' => "bored",
                'E' => "disgust",
                'A' => "fearful",
                'F' => "happy",
                'T' => "sad",
                'N' => "neutral",
                var c => throw new FormatException($"{name}: unknown EmoDB emotion code '{c}'."),
            }),
            // 03-01-05-02-01-01-03: modality-channel-emotion-intensity-statement-repetition-actor; calm joins neutral.
            "ravdess" when name.Split('-') is { Length: 7 } f => new CorpusFile(path, relative, f[6], f[2] switch
            {
                "01" or "02" => "neutral",
                "03" => "happy",
                "04" => "sad",
                "05" => "angry",
                "06" => "fearful",
                "07" => "disgust",
                "08" => "surprised",
                var c => throw new FormatException($"{name}: unknown RAVDESS emotion code '{c}'."),
            }),
            "emodb" or "ravdess" => throw new FormatException($"{relative}: file name does not follow the {corpus} scheme."),
            _ => throw new ArgumentException($"Unknown corpus '{corpus}': use emodb or ravdess."),
        };
    }
}
