using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Perf;

/// <summary>
/// The CI regression check: the time of the service's path for a 3 s upload (WAV bytes -> decode -> timeline
/// analysis with the default model) divided by the time of a fixed reference computation (a scalar radix-2 complex
/// FFT of 1024 points, 200 times), both timed interleaved in the same process so machine load cancels out.
/// Fails when the ratio exceeds the committed baseline by more than <c>--limit</c> (default 2x).
/// </summary>
internal static class CiCommand
{
    public static int Run(Args a)
    {
        string baselinePath = a.Get("baseline", Path.Combine(Repo.Root(), "benchmarks", "Rtser.Perf", "ci-baseline.json"));
        double seconds = a.Number("seconds", 6);
        double limit = a.Number("limit", 2.0);
        string modelId = a.Get("model", "cnn-rnn-emodb");

        var extractor = new SpeechFeatureExtractor();
        using ModelRegistry registry = ModelRegistry.Load(Repo.Models, extractor);
        EmotionModel model = registry.Get(modelId);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        var decoder = new WavDecoder();
        // Speech, so the timeline reaches the model (a steady tremolo, like the benchmarks' Clips.Speechlike, is answered no_speech).
        byte[] wav = WavWriter.Pcm16(new WavDecoder().Decode16kFile(Path.Combine(Repo.Root(), "tests", "Rtser.Features.Tests", "TestData", "espeak-16k.wav"))[..(3 * 16000)], 16000);

        var reference = new List<double>();
        var endToEnd = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            Reference.Run();
            analyzer.Analyze(model, decoder.Decode(wav).Samples);
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || reference.Count < 20)
        {
            long t = Stopwatch.GetTimestamp();
            Reference.Run();
            reference.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            t = Stopwatch.GetTimestamp();
            analyzer.Analyze(model, decoder.Decode(wav).Samples);
            endToEnd.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        // The fastest quarter of each: the least disturbed by whatever else the machine runs.
        double refMs = Stats.Percentile(reference, 25);
        double e2eMs = Stats.Percentile(endToEnd, 25);
        double ratio = e2eMs / refMs;
        Console.WriteLine($"perf ci: end-to-end 3 s upload ({modelId}, timeline) {Stats.F(e2eMs, 3)} ms, reference FFT loop {Stats.F(refMs, 3)} ms, ratio {Stats.F(ratio, 3)} ({endToEnd.Count} runs each)");

        if (a.Flag("write"))
        {
            var doc = new JsonObject
            {
                ["ratio"] = Math.Round(ratio, 4),
                ["model"] = modelId,
                ["end_to_end_ms"] = Math.Round(e2eMs, 4),
                ["reference_ms"] = Math.Round(refMs, 4),
                ["written"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["note"] = "written by: dotnet benchmarks/Rtser.Perf/bin/Release/net10.0/Rtser.Perf.dll ci --write",
            };
            File.WriteAllText(baselinePath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"perf ci: baseline written to {baselinePath}");
            return 0;
        }

        double baseline = JsonNode.Parse(File.ReadAllText(baselinePath))!["ratio"]!.GetValue<double>();
        double change = ratio / baseline;
        if (change > limit)
        {
            Console.WriteLine($"perf ci: FAIL, ratio {Stats.F(ratio, 3)} is {Stats.F(change)}x the baseline {Stats.F(baseline, 3)} (limit {Stats.F(limit)}x)");
            return 1;
        }

        Console.WriteLine($"perf ci: pass, {Stats.F(change)}x the baseline ratio {Stats.F(baseline, 3)} (limit {Stats.F(limit)}x)");
        return 0;
    }
}

/// <summary>A fixed computation that no project change touches: scalar iterative radix-2 complex FFT.</summary>
internal static class Reference
{
    private const int N = 1024;
    private static readonly double[] Re = new double[N];
    private static readonly double[] Im = new double[N];

    public static double Run()
    {
        double sum = 0;
        for (int rep = 0; rep < 200; rep++)
        {
            for (int i = 0; i < N; i++)
            {
                Re[i] = Math.Sin(i * 0.01 * (rep + 1));
                Im[i] = 0;
            }

            Fft(Re, Im);
            sum += Re[rep % N];
        }

        return sum;
    }

    private static void Fft(double[] re, double[] im)
    {
        int n = re.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }

            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }

        for (int len = 2; len <= n; len <<= 1)
        {
            double ang = -2 * Math.PI / len;
            for (int i = 0; i < n; i += len)
            {
                for (int k = 0; k < len / 2; k++)
                {
                    double wr = Math.Cos(ang * k), wi = Math.Sin(ang * k);
                    int p = i + k, q = i + k + (len / 2);
                    double xr = (re[q] * wr) - (im[q] * wi);
                    double xi = (re[q] * wi) + (im[q] * wr);
                    re[q] = re[p] - xr;
                    im[q] = im[p] - xi;
                    re[p] += xr;
                    im[p] += xi;
                }
            }
        }
    }
}
