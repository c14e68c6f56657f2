using System.CommandLine;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Cli.Commands;

/// <summary>
/// <c>predict files-or-folders... [--language en|de] [--model id] [--models dir]</c>: one JSON line per file (folders are walked
/// for .wav files; named files may be any format the service reads), from the same decoder, extractor and
/// analysis the service runs: the overall label comes from the recording's utterance segments, each scored whole, as in the service. A file that cannot be read gets a line with its error
/// and the exit code becomes 1; the other files are still scored. Without --model, the language's default model (the
/// card recommended for it, as in the service) answers; the language is English unless --language says otherwise.
/// A speaker-adapted model (cnn-rnn-spk-*) takes each folder as one speaker: a file is scored against the profile of
/// the other recordings in its folder by the service's rule (SpeakerProfilePolicy, with --min-profile as its minimum,
/// default 10 as the service): at most the card's profileRecordings of them (the first in name order, as the files
/// carry no recording time), and the model's per-recording fallback answers while there are too few; the line then says which.
/// Only the model asked for (and its fallback) is loaded, each file is decoded once, and files are scored on every core
/// with the lines in file order. A routed model's line ends with the channel its detector heard (clean, phone, noise,
/// room; null for other models and no_speech).
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
        using ModelRegistry registry = LoadRegistry(modelsDir, extractor, id);
        EmotionModel model = registry.Get(id);
        var scorer = new Scorer(new RecordingScorer(new EmotionAnalyzer(new EmotionPredictor(extractor)), new MediaDecoder()));
        string[] files = [.. ExpandInputs(inputs)];
        var lines = new OrderedLines(stdout, files.Length);
        if (model.AdaptsToSpeaker)
        {
            SpeakerFolders.Score(model, new SpeakerProfilePolicy(registry, minProfile), files, scorer, lines);
        }
        else
        {
            RecordingScorer.ForEachInParallel(Enumerable.Range(0, files.Length).ToArray(), i => lines.Set(i, scorer.Line(files[i], null, model, null, null)));
        }

        return lines.Failures == 0 ? 0 : 1;
    }

    /// <summary>One file's line, from the scoring path <c>evaluate</c> measures.</summary>
    private sealed class Scorer(RecordingScorer recordings)
    {
        public RecordingScorer Recordings => recordings;

        /// <summary>
        /// The file's JSON line, or its error line (a null line with <paramref name="decoded"/>'s error); the samples
        /// come from <paramref name="decoded"/> when the file was decoded already, else from the file.
        /// </summary>
        public (string Line, bool Failed) Line(string file, Decoded? decoded, EmotionModel answering, float[]? mean, SpeakerProfile? profile)
        {
            object line;
            try
            {
                float[] samples = decoded?.Samples ?? (decoded?.Error is { } error ? throw error : recordings.Load(file));
                EmotionAnalysis analysis = recordings.Analyze(answering, samples, mean);
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
                    speaker = profile is null ? null : Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))),
                    adaptation = profile is null ? null : new { model = profile.Model.Id, applied = profile.Applied, profileRecordings = profile.Recordings, requiredRecordings = profile.Required },
                    channel = p.Channel?.Heard,
                };
            }
            catch (Exception e) when (RecordingScorer.IsFileError(e))
            {
                return (JsonSerializer.Serialize(new { file, error = CliApp.Describe(e) }, CliJson.Options), true);
            }

            return (JsonSerializer.Serialize(line, CliJson.Options), false);
        }
    }

    /// <summary>A file decoded for its profile statistics: its samples while they are kept for scoring, or why it could not be read.</summary>
    private sealed class Decoded
    {
        public float[]? Samples { get; init; }

        public float[]? Statistics { get; init; }

        public Exception? Error { get; init; }
    }

    /// <summary>
    /// Each folder one speaker, a folder at a time: a file is scored against the profile of the folder's other
    /// recordings, the first <see cref="SpeakerProfilePolicy.ProfileSize"/> of them with statistics (in name order).
    /// So only the folder's first ProfileSize + 1 such recordings are needed for its profiles; they are decoded once
    /// for their statistics and their samples kept (within <see cref="KeptSamples"/>) to be scored, and every other
    /// file is decoded when it is scored. Memory stays bounded by one folder's profile, whatever the folder's size.
    /// </summary>
    private static class SpeakerFolders
    {
        /// <summary>Decoded samples a folder keeps for scoring (about 17 minutes at 16 kHz); past it a file is decoded again.</summary>
        private const long KeptSamples = 1L << 24;

        public static void Score(EmotionModel model, SpeakerProfilePolicy policy, string[] files, Scorer scorer, OrderedLines lines)
        {
            string[] folders = [.. files.Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!)];
            int needed = SpeakerProfilePolicy.ProfileSize(model) + 1;
            foreach (IGrouping<string, int> folder in Enumerable.Range(0, files.Length).GroupBy(i => folders[i], StringComparer.Ordinal))
            {
                // A file named twice is one recording of the profile (the earlier code kept one entry per name).
                string[] members = [.. folder.Select(i => files[i]).Distinct(StringComparer.Ordinal)];
                var decoded = new Dictionary<string, Decoded>(StringComparer.Ordinal);
                long kept = 0;
                int withStatistics = 0;
                for (int done = 0; done < members.Length && withStatistics < needed;)
                {
                    string[] round = members[done..Math.Min(members.Length, done + needed - withStatistics)];
                    Decoded[] results = new Decoded[round.Length];
                    RecordingScorer.ForEachInParallel(Enumerable.Range(0, round.Length).ToArray(), k => results[k] = Decode(model, scorer, round[k], ref kept));
                    for (int k = 0; k < round.Length; k++)
                    {
                        decoded[round[k]] = results[k];
                        withStatistics += results[k].Statistics is null ? 0 : 1;
                    }

                    done += round.Length;
                }

                // Members in name order with their statistics; a file's profile leaves the file itself out.
                (string File, float[] Statistics)[] rows = [.. members.Where(decoded.ContainsKey).Where(m => decoded[m].Statistics is not null).Select(m => (m, decoded[m].Statistics!))];
                SpeakerProfile ProfileWithout(string? file) => policy.Profile(model, rows.Where(r => r.File != file).Select(r => new ProfileRecording(r.Statistics)));
                SpeakerProfile others = ProfileWithout(null);
                RecordingScorer.ForEachInParallel([.. folder], i =>
                {
                    Decoded? d = decoded.GetValueOrDefault(files[i]);
                    SpeakerProfile p = d?.Statistics is null ? others : ProfileWithout(files[i]);
                    lines.Set(i, scorer.Line(files[i], d, p.Answering, p.Mean, p));
                });
            }
        }

        private static Decoded Decode(EmotionModel model, Scorer scorer, string file, ref long kept)
        {
            float[] samples;
            try
            {
                samples = scorer.Recordings.Load(file);
            }
            catch (Exception e) when (RecordingScorer.IsFileError(e))
            {
                return new Decoded { Error = e }; // reported when the file is scored
            }

            bool keep = Interlocked.Add(ref kept, samples.Length) <= KeptSamples;
            return new Decoded { Samples = keep ? samples : null, Statistics = scorer.Recordings.ProfileStatistics(model, samples) };
        }
    }

    /// <summary>Lines written in file order as soon as every earlier one is ready, whichever thread finishes first.</summary>
    private sealed class OrderedLines(TextWriter stdout, int count)
    {
        private readonly string?[] _ready = new string?[count];
        private int _written;

        public int Failures { get; private set; }

        public void Set(int index, (string Line, bool Failed) result)
        {
            lock (_ready)
            {
                _ready[index] = result.Line;
                Failures += result.Failed ? 1 : 0;
                for (; _written < _ready.Length && _ready[_written] is { } line; _written++)
                {
                    stdout.WriteLine(line);
                    _ready[_written] = null;
                }
            }
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

    private static ModelRegistry LoadRegistry(string dir, SpeechFeatureExtractor extractor, string id)
    {
        try
        {
            return ModelRegistry.Load(dir, extractor, id);
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
