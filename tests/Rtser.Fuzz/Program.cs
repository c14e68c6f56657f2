using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;
using Rtser.Tests.Shared;

namespace Rtser.Fuzz;

/// <summary>
/// A mutation fuzzer for everything an upload touches: container sniffing, the WAV, Ogg and WebM readers,
/// Opus decoding, resampling, features and models, and (every Nth input) the HTTP upload paths, raw and
/// multipart. Every input must finish within a time bound with audio or an AudioFormatException (a status
/// below 500 over HTTP). Usage: rtser-fuzz [--inputs N] [--seed S] [--http-every N] [--findings DIR]
/// </summary>
internal static class FuzzProgram
{
    public static async Task<int> Main(string[] args)
    {
        var options = FuzzOptions.Parse(args);
        var random = new Random(options.Seed);
        byte[][] seeds = Seeds.Load();
        Console.WriteLine($"fuzz: speech seeds from {Seeds.SpeechSource}");
        var decoder = new MediaDecoder(new MediaDecoderOptions { UseFfmpeg = false, MaxDurationSeconds = 60, RejectTruncatedData = true });
        var extractor = new SpeechFeatureExtractor();
        using ModelRegistry models = ModelRegistry.Load(Path.Combine(TestPaths.RepoRoot, "models"), extractor);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        EmotionModel[] modelList = [.. models.Models];

        // Speaker-adapted models score against a profile: one made from a real recording, as the service would.
        float[] profileClip = Seeds.Speech("03a01Fa.wav", part: 1);
        Dictionary<string, float[]> profiles = modelList.Where(m => m.AdaptsToSpeaker).ToDictionary(m => m.Id, m => analyzer.ProfileStatistics(m, profileClip)!);

        string data = Path.Combine(Path.GetTempPath(), "rtser-fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        using var app = new WebApplicationFactory<global::Program>().WithWebHostBuilder(b =>
        {
            b.UseContentRoot(Path.Combine(TestPaths.RepoRoot, "src", "Rtser.Api"));
            b.UseSetting("Rtser:DataDirectory", data);
            b.UseSetting("Rtser:ModelsDirectory", Path.Combine(TestPaths.RepoRoot, "models"));
            b.UseSetting("Rtser:RateLimitPerMinute", "0");
            b.UseSetting("Rtser:UseFfmpeg", "false");
            b.UseSetting("Rtser:MaxDurationSeconds", "60");
            b.UseSetting("Logging:LogLevel:Default", "Warning");
            b.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
        });
        using HttpClient client = app.CreateClient();

        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        int failures = 0;
        double slowestMs = 0;
        long peakBytes = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < options.Inputs; i++)
        {
            byte[] input = Mutator.Mutate(seeds[random.Next(seeds.Length)], seeds, random);
            var watch = Stopwatch.StartNew();
            Task<string> run = options.HttpEvery > 0 && i % options.HttpEvery == 0
                ? PostAsync(client, input, i % (2 * options.HttpEvery) == 0)
                : Task.Run(() => Analyse(input, modelList[i % modelList.Length]));
            string outcome;
            try
            {
                outcome = await run.WaitAsync(options.Bound);
            }
            catch (TimeoutException)
            {
                outcome = "FAIL hang";
            }
            catch (Exception e)
            {
                outcome = "FAIL " + e.GetType().Name + ": " + e.Message;
            }

            slowestMs = Math.Max(slowestMs, watch.Elapsed.TotalMilliseconds);
            peakBytes = Math.Max(peakBytes, Environment.WorkingSet);
            string key = outcome.StartsWith("FAIL", StringComparison.Ordinal) ? outcome.Split(':')[0] : outcome;
            tally[key] = tally.GetValueOrDefault(key) + 1;
            if (outcome.StartsWith("FAIL", StringComparison.Ordinal))
            {
                failures++;
                Directory.CreateDirectory(options.Findings);
                string file = Path.Combine(options.Findings, $"input-{options.Seed}-{i}.bin");
                await File.WriteAllBytesAsync(file, input);
                Console.Error.WriteLine($"input {i}: {outcome} (saved to {file})");
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fuzz: {options.Inputs} inputs (seed {options.Seed}, {seeds.Length} seed files) in {clock.Elapsed.TotalSeconds:0.0} s; slowest {slowestMs:0} ms; peak working set {peakBytes / (1024 * 1024)} MiB"));
        foreach ((string outcome, int count) in tally.OrderByDescending(kv => kv.Value))
        {
            Console.WriteLine($"  {count,8}  {outcome}");
        }

        Console.WriteLine(failures == 0 ? "fuzz: no crash, hang or 5xx" : $"fuzz: {failures} failures");
        app.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
        return failures == 0 ? 0 : 1;

        string Analyse(byte[] input, EmotionModel model)
        {
            float[] samples;
            try
            {
                samples = decoder.Decode16k(input);
            }
            catch (AudioFormatException e)
            {
                return e.Message.StartsWith("unexpected error", StringComparison.Ordinal) ? "FAIL unexpected: " + e.Message : "refused " + e.Problem;
            }

            float[]? profile = profiles.GetValueOrDefault(model.Id);
            if (profile is not null && analyzer.ProfileStatistics(model, samples) is { } added && !added.All(float.IsFinite))
            {
                return "FAIL non-finite profile statistics";
            }

            EmotionAnalysis a = analyzer.Analyze(model, samples, speakerMean: profile);
            bool sane = a.Overall.Probabilities.Values.All(double.IsFinite) && (a.Overall.Label == EmotionPrediction.NoSpeech || Math.Abs(a.Overall.Probabilities.Values.Sum() - 1) < 1e-3);
            return sane ? (a.Overall.Label == EmotionPrediction.NoSpeech ? "decoded, no speech" : "decoded, labelled") : "FAIL non-finite or unnormalised probabilities";
        }

        static async Task<string> PostAsync(HttpClient client, byte[] input, bool multipart)
        {
            HttpContent content;
            if (multipart)
            {
                var part = new ByteArrayContent(input);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                content = new MultipartFormDataContent { { part, "file", "fuzz.bin" } };
            }
            else
            {
                content = new ByteArrayContent(input);
                content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
            }

            using HttpResponseMessage r = await client.PostAsync("/api/predictions", content);
            int status = (int)r.StatusCode;
            return status >= 500 ? $"FAIL http {status}" : $"http {(multipart ? "form" : "raw")} {status}";
        }
    }
}
