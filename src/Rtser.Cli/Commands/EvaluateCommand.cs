using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Cli.Evaluation;
using Rtser.Cli.Export;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Cli.Commands;

/// <summary>
/// <c>evaluate --folds dir --data corpus-folder --corpus c [--condition name] [--joined] [--out file.json]</c>: the
/// served path measured as training measures its models. Each fold's model (written by training with a
/// manifest.json) reads only the recordings of the speakers it never heard, through the scoring <c>predict</c> runs
/// (<see cref="RecordingScorer"/>), and the result gives UAR and accuracy per fold and over folds, the confusion matrix
/// and every file's reading. A speaker-adapted model reads each recording against the profile of all the speaker's
/// other recordings (training's "all"); with --joined each speaker's recordings become one long recording, read once
/// (an adapted model against that recording's own profile), and each recording gets the timeline's reading over it.
/// A no_speech answer counts as wrong. --data may be a degraded copy of the corpus with the same file names.
/// </summary>
internal static class EvaluateCommand
{
    public const string DefaultCondition = "clean";

    /// <summary>Decimals kept of each file's probabilities.</summary>
    private const int ProbabilityDecimals = 6;

    public static Command Create()
    {
        var folds = new Option<string>("--folds") { Description = "The folder of manifest.json and each fold's card and graph", Required = true };
        var data = new Option<string>("--data") { Description = "The corpus folder (or a degraded copy with the same file names)", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "emodb or ravdess: how file names give speaker and label", Required = true };
        corpus.Validators.Add(r =>
        {
            if (r.Tokens is [{ Value: not ("emodb" or "ravdess") } given])
            {
                r.AddError($"--corpus must be emodb or ravdess (was '{given.Value}')");
            }
        });
        var condition = new Option<string>("--condition") { Description = "The name of the audio's condition, written into the result", DefaultValueFactory = _ => DefaultCondition };
        var joined = new Option<bool>("--joined") { Description = "Join each test speaker's recordings into one long recording and read each from its timeline" };
        var output = new Option<string?>("--out") { Description = "The result's JSON file (default: standard output)" };
        var command = new Command("evaluate", "Scores each fold's model on its held-out speakers through the served path: UAR per fold and over folds, per file readings.")
        {
            folds, data, corpus, condition, joined, output,
        };
        command.SetAction(p => Run(
            new Request(p.GetRequiredValue(folds), p.GetRequiredValue(data), p.GetRequiredValue(corpus), p.GetRequiredValue(condition), p.GetValue(joined)),
            p.GetValue(output),
            p.InvocationConfiguration.Output,
            p.InvocationConfiguration.Error));
        return command;
    }

    internal sealed record Request(string Folds, string Data, string Corpus, string Condition, bool Joined);

    public static int Run(Request request, string? output, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        Result result;
        try
        {
            result = Evaluate(request);
        }
        catch (ManifestException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }

        string json = JsonSerializer.Serialize(result, CliJson.Options);
        if (output is null)
        {
            stdout.WriteLine(json);
        }
        else
        {
            File.WriteAllText(output, json + "\n");
            stderr.WriteLine($"{result.ModelId} on {result.Corpus} ({result.Condition}{(request.Joined ? ", joined" : "")}): UAR {result.UarMean:P1} ± {result.UarSd:P1} over {result.Folds.Count} folds, {result.Files.Count} files, {result.NoSpeech} no_speech, {clock.Elapsed.TotalSeconds:F1} s -> {output}");
        }

        return 0;
    }

    /// <summary>One recording's reading in the result.</summary>
    internal sealed record FileReading(string Path, string Speaker, string Label, string Predicted, IReadOnlyDictionary<string, double> Probabilities, int Fold);

    internal sealed record FoldResult(int Fold, IReadOnlyList<string> TestSpeakers, double Uar, double Accuracy, int N, int NoSpeech);

    /// <summary>
    /// The result file, the same on every run of the same models and audio; the confusion matrix's rows are
    /// <see cref="Labels"/>, its columns the labels then no_speech.
    /// </summary>
    internal sealed record Result(
        string Config,
        string Corpus,
        string Condition,
        bool Joined,
        string ModelId,
        IReadOnlyList<string> Labels,
        IReadOnlyList<FoldResult> Folds,
        double UarMean,
        double UarSd,
        double AccuracyMean,
        int N,
        int NoSpeech,
        IReadOnlyList<string> ConfusionColumns,
        IReadOnlyList<int[]> Confusion,
        IReadOnlyList<FileReading> Files);

    private static Result Evaluate(Request request)
    {
        FoldManifest manifest = FoldManifest.Load(request.Folds);
        if (manifest.Corpus != request.Corpus)
        {
            throw new ManifestException($"the manifest is for {manifest.Corpus}, not {request.Corpus}");
        }

        IReadOnlyList<CorpusFile> corpus = Corpora.List(request.Corpus, request.Data);
        var bySpeaker = corpus.GroupBy(f => f.Speaker, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        foreach (FoldEntry fold in manifest.Folds)
        {
            if (fold.TestSpeakers.FirstOrDefault(s => !bySpeaker.ContainsKey(s)) is { } unknown)
            {
                throw new ManifestException($"fold {fold.Fold}: test speaker '{unknown}' has no recordings under {Path.GetFullPath(request.Data)} (speakers there: {string.Join(", ", bySpeaker.Keys.Order(StringComparer.Ordinal))})");
            }
        }

        if (corpus.FirstOrDefault(f => !manifest.Labels.Contains(f.Label)) is { } stray)
        {
            throw new ManifestException($"{stray.RelativePath} is labelled {stray.Label}, which the manifest's labels lack");
        }

        // Every card checked before the first graph is loaded: a broken fold 9 should not cost folds 0-8's time.
        string[] cards = [.. manifest.Folds.Select(f => manifest.CardPath(request.Folds, f))];
        var extractor = new SpeechFeatureExtractor();
        var scorer = new RecordingScorer(new EmotionAnalyzer(new EmotionPredictor(extractor)), new MediaDecoder());
        var files = new List<FileReading>();
        var folds = new List<FoldResult>();
        for (int k = 0; k < manifest.Folds.Length; k++)
        {
            FoldEntry fold = manifest.Folds[k];
            CorpusFile[] test = [.. fold.TestSpeakers.SelectMany(s => bySpeaker[s])];
            EmotionModel model;
            try
            {
                model = EmotionModel.Load(cards[k], extractor);
            }
            catch (ModelLoadException e)
            {
                throw new ManifestException($"fold {fold.Fold}: {e.Message}", e);
            }

            FileReading[] readings;
            using (model)
            {
                readings = request.Joined
                    ? [.. fold.TestSpeakers.SelectMany(s => ReadJoined(scorer, model, bySpeaker[s], fold.Fold))]
                    : ReadEach(scorer, model, test, fold.Fold);
            }

            int[][] confusion = Scores.Confusion(manifest.Labels, readings.Select(r => (r.Label, r.Predicted)));
            folds.Add(new FoldResult(fold.Fold, fold.TestSpeakers, Scores.Uar(confusion), Scores.Accuracy(confusion), readings.Length, readings.Count(r => r.Predicted == EmotionPrediction.NoSpeech)));
            files.AddRange(readings);
        }

        double[] uars = [.. folds.Select(f => f.Uar)];
        return new Result(
            manifest.Config,
            manifest.Corpus,
            request.Condition,
            request.Joined,
            manifest.ModelId,
            manifest.Labels,
            folds,
            uars.Average(),
            Scores.SampleSd(uars),
            folds.Average(f => f.Accuracy),
            files.Count,
            folds.Sum(f => f.NoSpeech),
            [.. manifest.Labels, EmotionPrediction.NoSpeech],
            Scores.Confusion(manifest.Labels, files.Select(r => (r.Label, r.Predicted))),
            files);
    }

    /// <summary>
    /// Each recording read alone, as <c>predict</c> reads a file; a speaker-adapted model reads it against the profile
    /// of all the speaker's other recordings with speech, each recording's statistics computed once.
    /// </summary>
    private static FileReading[] ReadEach(RecordingScorer scorer, EmotionModel model, CorpusFile[] test, int fold)
    {
        var readings = new FileReading[test.Length];
        int[] all = [.. Enumerable.Range(0, test.Length)];
        if (!model.AdaptsToSpeaker)
        {
            RecordingScorer.ForEachInParallel(all, i => readings[i] = Reading(test[i], scorer.Analyze(model, Load(scorer, test[i])).Overall, fold));
            return readings;
        }

        var samples = new float[test.Length][];
        var statistics = new float[test.Length][];
        RecordingScorer.ForEachInParallel(all, i =>
        {
            samples[i] = Load(scorer, test[i]);
            statistics[i] = scorer.ProfileStatistics(model, samples[i])!;
        });
        RecordingScorer.ForEachInParallel(all, i =>
        {
            float[][] others = [.. all.Where(j => j != i && test[j].Speaker == test[i].Speaker && statistics[j] is not null).Select(j => statistics[j])];
            if (others.Length == 0)
            {
                throw new ArgumentException($"speaker {test[i].Speaker} has no other recording with speech to make {test[i].RelativePath}'s profile of");
            }

            readings[i] = Reading(test[i], scorer.Analyze(model, samples[i], model.Profile(others)).Overall, fold);
        });
        return readings;
    }

    /// <summary>
    /// One speaker's recordings joined (<see cref="JoinedRecording"/>) and read once, a speaker-adapted model against
    /// the long recording's own profile (its windows' statistics, compensated as a speaker's recordings are); each
    /// recording gets the timeline's reading over it.
    /// </summary>
    private static IEnumerable<FileReading> ReadJoined(RecordingScorer scorer, EmotionModel model, CorpusFile[] recordings, int fold)
    {
        var sources = new float[recordings.Length][];
        RecordingScorer.ForEachInParallel([.. Enumerable.Range(0, recordings.Length)], i => sources[i] = Load(scorer, recordings[i]));
        JoinedRecording joined = JoinedRecording.Join(sources);
        float[]? profile = null;
        if (model.AdaptsToSpeaker)
        {
            IReadOnlyList<float[]> rows = scorer.Analyzer.ProfileStatisticsRows(model, joined.Samples);
            profile = rows.Count > 0 ? model.Profile(rows) : throw new ArgumentException($"speaker {recordings[0].Speaker}'s joined recording holds no speech to make a profile of");
        }

        EmotionAnalysis analysis = scorer.Analyze(model, joined.Samples, profile);
        return joined.Spans.OrderBy(s => s.Source).Select(s =>
        {
            (string label, IReadOnlyDictionary<string, double> probabilities) = JoinedRecording.Read(analysis.Segments, s.Start, s.End, model.Labels);
            CorpusFile f = recordings[s.Source];
            return new FileReading(f.RelativePath, f.Speaker, f.Label, label, Round(probabilities), fold);
        });
    }

    private static float[] Load(RecordingScorer scorer, CorpusFile file)
    {
        try
        {
            return scorer.Load(file.Path);
        }
        catch (Exception e) when (RecordingScorer.IsFileError(e))
        {
            throw new IOException($"{file.RelativePath}: {CliApp.Describe(e)}", e);
        }
    }

    private static FileReading Reading(CorpusFile f, EmotionPrediction p, int fold) =>
        new(f.RelativePath, f.Speaker, f.Label, p.Label, Round(p.Probabilities), fold);

    private static Dictionary<string, double> Round(IReadOnlyDictionary<string, double> probabilities) =>
        probabilities.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, ProbabilityDecimals), StringComparer.Ordinal);
}
