using Rtser.Audio;

namespace Rtser.Benchmarks;

internal static class Clips
{
    /// <summary>
    /// The first 3 s of the committed espeak sentence (tests/Rtser.Features.Tests/TestData): what benchmarks that
    /// reach the model score. <see cref="Speechlike"/> has a fixed 4 Hz tremolo, which the speech-likeness check
    /// rightly answers no_speech without running the model.
    /// </summary>
    public static float[] Speech3s()
    {
        string root = Path.GetDirectoryName(InferenceBenchmarks.FindModels())!;
        return new WavDecoder().Decode16kFile(Path.Combine(root, "tests", "Rtser.Features.Tests", "TestData", "espeak-16k.wav"))[..(3 * 16000)];
    }

    /// <summary>
    /// <see cref="Speech3s"/> with pink noise (Paul Kellet's filter) at <paramref name="snrDb"/> below its mean power:
    /// the speech-likeness check then measures against the noise floor.
    /// </summary>
    public static float[] Speech3sInPinkNoise(double snrDb)
    {
        float[] x = Speech3s();
        var rng = new Random(1);
        var noise = new double[x.Length];
        double b0 = 0, b1 = 0, b2 = 0;
        for (int n = 0; n < noise.Length; n++)
        {
            double w = (rng.NextDouble() * 2) - 1;
            b0 = (0.99765 * b0) + (w * 0.0990460);
            b1 = (0.96300 * b1) + (w * 0.2965164);
            b2 = (0.57000 * b2) + (w * 1.0526913);
            noise[n] = b0 + b1 + b2 + (w * 0.1848);
        }

        double gain = Math.Sqrt(x.Average(v => (double)v * v) / noise.Average(v => v * v) / Math.Pow(10, snrDb / 10));
        return [.. x.Select((v, n) => (float)(v + (gain * noise[n])))];
    }

    /// <summary>A deterministic speech-like test signal for feature and decode costs: a gliding harmonic tone with syllable-rate amplitude modulation and noise.</summary>
    public static float[] Speechlike(double seconds, int rate)
    {
        var rng = new Random(42);
        var x = new float[(int)(seconds * rate)];
        double phase = 0;
        for (int n = 0; n < x.Length; n++)
        {
            double t = n / (double)rate;
            double f0 = 120 + (30 * Math.Sin(2 * Math.PI * 0.7 * t));
            phase += 2 * Math.PI * f0 / rate;
            double env = 0.5 * (1 + Math.Sin(2 * Math.PI * 4 * t));
            double v = 0;
            for (int h = 1; h <= 10; h++)
            {
                v += Math.Sin(h * phase) / h;
            }

            x[n] = (float)((0.2 * env * v) + (0.01 * (rng.NextDouble() - 0.5)));
        }

        return x;
    }
}
