using System.Diagnostics;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Features;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Perf;

/// <summary>
/// Per-stage times on real clips, one thread, the same clips and the same stage split as the Python peer
/// (benchmarks/peer/peer.py): decode (with resampling to 16 kHz), MFCC, MS frames + statistics, inference, end to end (WAV bytes to a label,
/// the single-clip predictor) and the service's timeline analysis of the same clip (for a speaker-adapted model, as the
/// service runs it: the analysis against a profile, which also returns the recording's profile statistics). Median over repeats per clip,
/// summed over clips, and scaled to milliseconds per 3 s of audio.
/// </summary>
internal static class ClipsCommand
{
    public static int Run(Args a)
    {
        string[] files = Repo.Wavs(a.Require("dir"), (int)a.Number("n", 100));
        int repeat = (int)a.Number("repeat", 5);
        string modelId = a.Get("model", "cnn-rnn-emodb");
        var extractor = new SpeechFeatureExtractor();
        using ModelRegistry registry = ModelRegistry.Load(a.Get("models", Repo.Models), extractor);
        EmotionModel model = registry.Get(modelId);
        var predictor = new EmotionPredictor(extractor);
        var analyzer = new EmotionAnalyzer(predictor);
        var decoder = new WavDecoder();
        byte[][] wavs = [.. files.Select(File.ReadAllBytes)];
        float[]? profile = model.AdaptsToSpeaker ? analyzer.ProfileStatistics(model, Decode(decoder, wavs[0])) : null;

        // Prosody is timed (and computed by the predictor) only for models that read it.
        string[] stages = ["decode", "mfcc", "ms", "prosody", "inference", "end_to_end", "service_analysis"];
        var totals = stages.ToDictionary(s => s, _ => 0.0);
        double audioSeconds = 0;
        var timings = new double[stages.Length][];
        for (int s = 0; s < stages.Length; s++)
        {
            timings[s] = new double[repeat];
        }

        // Warm-up: JIT and ONNX Runtime's first runs.
        for (int i = 0; i < Math.Min(10, wavs.Length); i++)
        {
            float[] x = Decode(decoder, wavs[i]);
            analyzer.Analyze(model, x, speakerMean: profile);
            predictor.Predict(model, x, profile);
        }

        foreach (byte[] wav in wavs)
        {
            float[] samples = Decode(decoder, wav);
            audioSeconds += samples.Length / 16000.0;
            SpeechFeatures features = extractor.Extract(samples);
            for (int r = 0; r < repeat; r++)
            {
                timings[0][r] = Time(() => Decode(decoder, wav));
                timings[1][r] = Time(() => extractor.Mfcc.Compute(samples));
                timings[2][r] = Time(() =>
                {
                    FeatureMatrix ms = extractor.Modulation.Compute(samples);
                    extractor.Modulation.UtteranceStatistics(ms);
                });
                timings[3][r] = !model.UsesProsody ? 0 : Time(() => extractor.Prosody.UtteranceStatistics(extractor.Prosody.Compute(samples), features.Speech));
                timings[4][r] = features.Modulation.Frames == 0 ? 0 : Time(() => model.Predict(features, profile));
                timings[5][r] = Time(() => predictor.Predict(model, Decode(decoder, wav), profile));
                timings[6][r] = Time(() =>
                {
                    float[] x = Decode(decoder, wav);
                    analyzer.Analyze(model, x, speakerMean: profile, profileModel: profile is null ? null : model);
                });
            }

            for (int s = 0; s < stages.Length; s++)
            {
                totals[stages[s]] += Stats.Median(timings[s]);
            }
        }

        var perThree = totals.ToDictionary(kv => kv.Key, kv => kv.Value / audioSeconds * 3.0);
        var result = new
        {
            implementation = "csharp",
            model = modelId,
            clips = files.Length,
            audio_seconds = audioSeconds,
            repeat,
            ms_per_3s = perThree,
            ms_total = totals,
        };
        string json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
        if (a.Get("json", "") is { Length: > 0 } path)
        {
            File.WriteAllText(path, json);
        }

        Console.WriteLine(json);
        return 0;
    }

    /// <summary>WAV bytes to 16 kHz mono, as the service does (EmoDB's copy here is 22.05 kHz, so this resamples).</summary>
    private static float[] Decode(WavDecoder decoder, byte[] wav) => decoder.Decode16k(wav);

    private static double Time(Action action)
    {
        long t = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }
}
