namespace Rtser.Audio.Tests;

/// <summary>Test signals and measurements. Measurements use the middle 60% so filter edges do not count.</summary>
internal static class Signal
{
    public static float[] Tone(int rate, double frequency, double seconds = 1, double amplitude = 0.5)
    {
        var x = new float[(int)(rate * seconds)];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * frequency * i / rate));
        }

        return x;
    }

    public static double MiddleRms(float[] x)
    {
        var (start, end) = Middle(x);
        double sum = 0;
        for (int i = start; i < end; i++)
        {
            sum += (double)x[i] * x[i];
        }

        return Math.Sqrt(sum / (end - start));
    }

    /// <summary>Output level relative to input level, in dB.</summary>
    public static double GainDb(float[] input, float[] output) => 20 * Math.Log10(MiddleRms(output) / MiddleRms(input));

    /// <summary>Frequency from the spacing of upward zero crossings (linearly interpolated).</summary>
    public static double ZeroCrossingFrequency(float[] x, int rate)
    {
        var (start, end) = Middle(x);
        double first = double.NaN;
        double last = double.NaN;
        int crossings = 0;
        for (int i = start + 1; i < end; i++)
        {
            if (x[i - 1] < 0 && x[i] >= 0)
            {
                double t = i - 1 + (x[i - 1] / (x[i - 1] - x[i]));
                if (crossings == 0)
                {
                    first = t;
                }

                last = t;
                crossings++;
            }
        }

        return (crossings - 1) * rate / (last - first);
    }

    /// <summary>
    /// Everything except the expected tone (aliases, images, distortion), relative to <paramref name="referenceRms"/>,
    /// in dB: the tone is removed by a least-squares fit of a sine and cosine at <paramref name="frequency"/>.
    /// </summary>
    public static double ResidualDb(float[] x, int rate, double frequency, double referenceRms)
    {
        var (start, end) = Middle(x);
        double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
        for (int i = start; i < end; i++)
        {
            double s = Math.Sin(2 * Math.PI * frequency * i / rate);
            double c = Math.Cos(2 * Math.PI * frequency * i / rate);
            ss += s * s;
            cc += c * c;
            sc += s * c;
            xs += x[i] * s;
            xc += x[i] * c;
        }

        double det = (ss * cc) - (sc * sc);
        double a = ((xs * cc) - (xc * sc)) / det;
        double b = ((xc * ss) - (xs * sc)) / det;
        double residual = 0;
        for (int i = start; i < end; i++)
        {
            double fit = (a * Math.Sin(2 * Math.PI * frequency * i / rate)) + (b * Math.Cos(2 * Math.PI * frequency * i / rate));
            residual += (x[i] - fit) * (x[i] - fit);
        }

        return 20 * Math.Log10(Math.Sqrt(residual / (end - start)) / referenceRms);
    }

    private static (int Start, int End) Middle(float[] x) => (x.Length / 5, x.Length - (x.Length / 5));
}
