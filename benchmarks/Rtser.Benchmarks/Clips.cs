namespace Rtser.Benchmarks;

internal static class Clips
{
    /// <summary>A deterministic speech-like test signal: a gliding harmonic tone with syllable-rate amplitude modulation and noise.</summary>
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
