using System.Diagnostics;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Perf;

/// <summary>
/// The service's analysis of one recording of a given length (WAV bytes -> decode -> utterance segments -> overall),
/// in a fresh process per length: time (fastest of --repeat runs), and for the first run the peak RSS during the
/// analysis above the RSS before it and the bytes allocated.
/// </summary>
internal static class ScaleCommand
{
    public static int Run(Args a)
    {
        double seconds = a.Number("seconds", 10);
        string modelId = a.Get("model", "cnn-rnn-emodb");
        var extractor = new SpeechFeatureExtractor();
        using ModelRegistry registry = ModelRegistry.Load(Repo.Models, extractor);
        EmotionModel model = registry.Get(modelId);
        var analyzer = new EmotionAnalyzer(new EmotionPredictor(extractor));
        var decoder = new WavDecoder();

        // Warm up so tiered JIT (hot loops recompiled after ~30 calls and a short delay) and ONNX Runtime's
        // first runs are not counted: the service answers most requests with warm code too.
        float[] warm = Repo.Speech(a.Require("dir"), 10);
        for (int i = 0; i < 20; i++)
        {
            analyzer.Analyze(model, warm);
            Thread.Sleep(10);
        }
        byte[] wav = WavWriter.Pcm16(Repo.Speech(a.Require("dir"), seconds), 16000);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        double rssBefore = Memory.StatusMiB("VmRSS");
        bool reset = Memory.ResetPeak();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long t = Stopwatch.GetTimestamp();
        EmotionAnalysis result = analyzer.Analyze(model, decoder.Decode(wav).Samples);
        double ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        long allocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        double peak = Memory.StatusMiB("VmHWM");

        // The time is the fastest of --repeat runs (default 3): the machine is shared, and the work is the same.
        for (int r = 1; r < (int)a.Number("repeat", 3); r++)
        {
            t = Stopwatch.GetTimestamp();
            analyzer.Analyze(model, decoder.Decode(wav).Samples);
            ms = Math.Min(ms, Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        var doc = new
        {
            seconds,
            model = modelId,
            segments = result.Segments.Count,
            ms,
            ms_per_audio_second = ms / seconds,
            wav_mib = wav.Length / 1048576.0,
            rss_before_mib = rssBefore,
            peak_rss_mib = reset ? peak : double.NaN,
            peak_above_before_mib = reset ? peak - rssBefore : double.NaN,
            allocated_mib = allocatedBytes / 1048576.0,
        };
        Console.WriteLine(JsonSerializer.Serialize(doc));
        return 0;
    }
}
