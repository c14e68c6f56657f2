namespace Rtser.Features.Tests.Modulation;

internal static class TestSignals
{
    public const int Rate = 16000;

    /// <summary>amplitude (1 + depth sin(2 pi fm t)) sin(2 pi fc t + phase).</summary>
    public static float[] AmTone(double carrierHz, double modulationHz, double seconds, double depth = 0.9, double amplitude = 0.5, double phase = 0)
    {
        var x = new float[(int)(seconds * Rate)];
        for (int n = 0; n < x.Length; n++)
        {
            double t = n / (double)Rate;
            x[n] = (float)(amplitude * (1 + (depth * Math.Sin(2 * Math.PI * modulationHz * t))) * Math.Sin((2 * Math.PI * carrierHz * t) + phase));
        }

        return x;
    }

    public static float[] Tone(double hz, double seconds, double amplitude = 0.5, double phase = 0) =>
        AmTone(hz, 0, seconds, 0, amplitude, phase);

    /// <summary>Noise with a slowly wandering amplitude: broadband and modulated, speech-like enough for plumbing tests.</summary>
    public static float[] ModulatedNoise(double seconds, int seed)
    {
        var rng = new Random(seed);
        var x = new float[(int)(seconds * Rate)];
        for (int n = 0; n < x.Length; n++)
        {
            double t = n / (double)Rate;
            double envelope = 0.2 * (1.1 + Math.Sin(2 * Math.PI * 3.7 * t) * Math.Sin(2 * Math.PI * 0.6 * t));
            x[n] = (float)(envelope * ((rng.NextDouble() * 2) - 1));
        }

        return x;
    }

    /// <summary>Mean over frames of each column, in linear energy (the extractor outputs ln(E + floor)).</summary>
    public static double[] MeanLinearEnergy(FeatureMatrix ms, double floor)
    {
        var mean = new double[ms.Width];
        for (int t = 0; t < ms.Frames; t++)
        {
            for (int c = 0; c < ms.Width; c++)
            {
                mean[c] += (Math.Exp(ms[t, c]) - floor) / ms.Frames;
            }
        }

        return mean;
    }

    public static int ArgMax(IReadOnlyList<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    public static int Nearest(IReadOnlyList<double> centers, double hz, bool logScale = false)
    {
        int best = 0;
        double Distance(double c) => logScale ? Math.Abs(Math.Log(c / hz)) : Math.Abs(c - hz);
        for (int i = 1; i < centers.Count; i++)
        {
            if (Distance(centers[i]) < Distance(centers[best]))
            {
                best = i;
            }
        }

        return best;
    }
}
