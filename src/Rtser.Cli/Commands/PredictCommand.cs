using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Cli.Commands;

/// <summary>
/// <c>predict files-or-folders... [--model id] [--models dir]</c>: one JSON line per file (folders are walked
/// for .wav files; named files may be any format the service reads), from the same decoder, extractor and
/// timeline analysis the service runs: the overall label comes from the speech windows, as in the service. A file that cannot be read gets a line with its error
/// and the exit code becomes 1; the other files are still scored.
/// </summary>
internal static class PredictCommand
{
    public const string DefaultModel = "cnn-rnn-emodb";

    public static int Run(CliArgs a, TextWriter stdout)
    {
        if (a.Positional.Count == 0)
        {
            throw new ArgumentException("predict needs at least one file or folder");
        }

        var extractor = new SpeechFeatureExtractor();
        string modelsDir = a.Option("models") ?? FindModelsDirectory();
        using ModelRegistry registry = LoadRegistry(modelsDir, extractor);
        string id = a.Option("model") ?? DefaultModel;
        if (!registry.TryGet(id, out EmotionModel model))
        {
            throw new ArgumentException($"unknown model '{id}'; available: {string.Join(", ", registry.Models.Select(m => m.Id).Order(StringComparer.Ordinal))}");
        }

        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        var decoder = new MediaDecoder();
        int failures = 0;
        foreach (string file in ExpandInputs(a.Positional))
        {
            object line;
            try
            {
                DecodedAudio audio = decoder.DecodeFile(file);
                float[] samples = audio.SampleRate == Resampler.TargetRate ? audio.Samples : Resampler.ToRate(audio.Samples, audio.SampleRate, Resampler.TargetRate);
                EmotionAnalysis analysis = analyzer.Analyze(model, samples);
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
                };
            }
            catch (Exception e) when (e is AudioFormatException or IOException or UnauthorizedAccessException)
            {
                failures++;
                line = new { file, error = e.Message };
            }

            stdout.WriteLine(JsonSerializer.Serialize(line, CliJson.Options));
        }

        return failures == 0 ? 0 : 1;
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
