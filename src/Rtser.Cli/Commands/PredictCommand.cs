using System.CommandLine;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Cli.Commands;

/// <summary>
/// <c>predict files-or-folders... [--language en|de] [--model id] [--models dir]</c>: one JSON line per file (folders are walked
/// for .wav files; named files may be any format the service reads), from the same decoder, extractor and
/// timeline analysis the service runs: the overall label comes from the speech windows, as in the service. A file that cannot be read gets a line with its error
/// and the exit code becomes 1; the other files are still scored. Without --model, the language's default model (the
/// card recommended for it, as in the service) answers; the language is English unless --language says otherwise.
/// A speaker-adapted model (cnn-rnn-spk-*) takes each folder as one speaker: a file is scored against the profile of
/// the other recordings in its folder by the service's rule (SpeakerProfilePolicy, with --min-profile as its minimum,
/// default 10 as the service): at most the card's profileRecordings of them (the first in name order, as the files
/// carry no recording time), and the model's per-recording fallback answers while there are too few; the line then says which.
/// </summary>
internal static class PredictCommand
{
    /// <summary>As the service's Rtser:DefaultLanguage.</summary>
    public const string DefaultLanguage = "en";

    public static Command Create()
    {
        var inputs = new Argument<string[]>("files-or-folders") { Description = "Audio files, or folders walked for .wav files", Arity = ArgumentArity.OneOrMore }.RefusingOptions();
        var model = new Option<string?>("--model") { Description = "The model's id (overrides --language)" };
        var language = new Option<string>("--language") { Description = "The language spoken (en, de): its default model answers", DefaultValueFactory = _ => DefaultLanguage };
        var models = new Option<string?>("--models") { Description = "The models folder (default: the one beside the binary or in the repository)" };
        var minProfile = new Option<int>("--min-profile") { Description = "Recordings a speaker-adapted model needs in a folder before it adapts", DefaultValueFactory = _ => SpeakerProfilePolicy.DefaultMinimumRecordings }.InRange(1);
        var command = new Command("predict", "Prints one JSON line per file: label, confidence, probabilities, duration (folders are walked).") { inputs, model, language, models, minProfile };
        command.SetAction(p => Run(p.GetRequiredValue(inputs), p.GetValue(model), p.GetRequiredValue(language), p.GetValue(models), p.GetValue(minProfile), p.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(IReadOnlyList<string> inputs, string? id, string language, string? modelsOption, int minProfile, TextWriter stdout)
    {
        var extractor = new SpeechFeatureExtractor();
        string modelsDir = modelsOption ?? FindModelsDirectory();
        id = ChooseModel(modelsDir, id, language);
        using ModelRegistry registry = LoadRegistry(modelsDir, extractor);
        if (!registry.TryGet(id, out EmotionModel model))
        {
            throw new ArgumentException($"unknown model '{id}'; available: {string.Join(", ", registry.Models.Select(m => m.Id).Order(StringComparer.Ordinal))}");
        }

        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        var decoder = new MediaDecoder();
        string[] files = [.. ExpandInputs(inputs)];
        SpeakerFolders? speakers = model.AdaptsToSpeaker
            ? SpeakerFolders.Build(model, registry, files, f => analyzer.ProfileStatistics(model, Load(decoder, f)), minProfile)
            : null;
        int failures = 0;
        foreach (string file in files)
        {
            object line;
            try
            {
                float[] samples = Load(decoder, file);
                (EmotionModel answering, float[]? mean, object? adaptation) = speakers?.For(file) ?? (model, null, null);
                EmotionAnalysis analysis = analyzer.Analyze(answering, samples, speakerMean: mean);
                EmotionPrediction p = analysis.Overall;
                line = new
                {
                    file,
                    model = p.Model,
                    label = p.Label,
                    confidence = Math.Round(p.Confidence, 4),
                    probabilities = p.Probabilities.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 4)),
                    durationSeconds = Math.Round(p.DurationSeconds, 3),
                    speechSeconds = Math.Round(p.SpeechSeconds, 3),
                    segments = analysis.Segments.Select(g => new
                    {
                        start = Math.Round(g.Start, 3),
                        end = Math.Round(g.End, 3),
                        label = g.Label,
                        confidence = Math.Round(g.Confidence, 4),
                    }),
                    speaker = speakers is null ? null : Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))),
                    adaptation,
                };
            }
            catch (Exception e) when (e is AudioFormatException or IOException or UnauthorizedAccessException)
            {
                failures++;
                line = new { file, error = CliApp.Describe(e) };
            }

            stdout.WriteLine(JsonSerializer.Serialize(line, CliJson.Options));
        }

        return failures == 0 ? 0 : 1;
    }

    private static float[] Load(MediaDecoder decoder, string file) => decoder.Decode16kFile(file);

    /// <summary>Each folder one speaker: every readable recording's profile statistics, for its folder-mates' profiles.</summary>
    private sealed class SpeakerFolders
    {
        private readonly EmotionModel _model;
        private readonly SpeakerProfilePolicy _policy;
        private readonly Dictionary<string, (string Folder, float[]? Stats)> _files = new(StringComparer.Ordinal);

        private SpeakerFolders(EmotionModel model, SpeakerProfilePolicy policy) => (_model, _policy) = (model, policy);

        public static SpeakerFolders Build(EmotionModel model, ModelRegistry registry, IEnumerable<string> files, Func<string, float[]?> statistics, int required)
        {
            var folders = new SpeakerFolders(model, new SpeakerProfilePolicy(registry, required));
            foreach (string f in files)
            {
                float[]? stats;
                try
                {
                    stats = statistics(f);
                }
                catch (Exception e) when (e is AudioFormatException or IOException or UnauthorizedAccessException)
                {
                    stats = null; // reported when the file is scored
                }

                folders._files[f] = (Path.GetDirectoryName(Path.GetFullPath(f))!, stats);
            }

            return folders;
        }

        /// <summary>The model to answer with, the speaker profile (from the folder's other recordings) and what to report.</summary>
        public (EmotionModel, float[]?, object?) For(string file)
        {
            string folder = _files[file].Folder;
            SpeakerProfile p = _policy.Profile(_model, _files.Where(kv => kv.Key != file && kv.Value.Folder == folder && kv.Value.Stats is not null).Select(kv => new ProfileRecording(kv.Value.Stats!)));
            return (p.Answering, p.Mean, new { model = _model.Id, applied = p.Applied, profileRecordings = p.Recordings, requiredRecordings = p.Required });
        }
    }

    /// <summary>The model named, else the language's default, from the cards alone (no graph is loaded to choose).</summary>
    private static string ChooseModel(string modelsDir, string? id, string language)
    {
        if (!Directory.Exists(modelsDir))
        {
            return id ?? ""; // the registry's load says the folder is missing
        }

        IReadOnlyDictionary<string, string> defaults;
        try
        {
            defaults = LanguageDefaults.InDirectory(modelsDir);
        }
        catch (ModelLoadException e)
        {
            throw new ArgumentException(e.Message, e);
        }

        // An unknown language is a mistake even beside --model, as in the service.
        return defaults.TryGetValue(language, out string? byLanguage)
            ? id ?? byLanguage
            : throw new ArgumentException($"unknown language '{language}'; available: {string.Join(", ", defaults.Keys)}");
    }

    private static ModelRegistry LoadRegistry(string dir, SpeechFeatureExtractor extractor)
    {
        try
        {
            return ModelRegistry.Load(dir, extractor);
        }
        catch (ModelLoadException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    /// <summary>Files as given; folders walked for .wav files in a stable order.</summary>
    private static IEnumerable<string> ExpandInputs(IEnumerable<string> inputs)
    {
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                foreach (string f in Directory.EnumerateFiles(input, "*.*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal))
                {
                    yield return f;
                }
            }
            else
            {
                yield return input;
            }
        }
    }

    /// <summary>models/ of the repository (walking up from here), else beside the binary.</summary>
    private static string FindModelsDirectory()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "models");
            if (File.Exists(Path.Combine(dir.FullName, "RTSER.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "models");
    }
}
