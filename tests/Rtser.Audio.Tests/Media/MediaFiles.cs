using Rtser.Tests.Shared;

namespace Rtser.Audio.Tests.Media;

/// <summary>The committed recordings (tools/reference/make_media_testdata.sh) and measurements on decoded audio.</summary>
internal static class MediaFiles
{
    public static string Path(string name) => TestPaths.TestData("Rtser.Audio.Tests", name);

    public static byte[] Read(string name) => File.ReadAllBytes(Path(name));

    /// <summary>The espeak-ng sentence every speech file was encoded from (16 kHz mono).</summary>
    public static float[] SpeechSource16k() => new WavDecoder().DecodeFile(TestPaths.TestData("Rtser.Features.Tests", "espeak-16k.wav")).Samples;

    public static bool FfmpegInstalled => FfmpegDecoder.Locate() is not null;

    /// <summary>Amplitude of the sinusoid at <paramref name="frequency"/> over the middle 60% (least-squares fit).</summary>
    public static double ToneAmplitude(float[] x, int rate, double frequency)
    {
        int start = x.Length / 5, end = x.Length - (x.Length / 5);
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
        return Math.Sqrt((a * a) + (b * b));
    }

    /// <summary>The frequency (1 Hz steps from <paramref name="low"/> to <paramref name="high"/>) with the largest fitted amplitude.</summary>
    public static double DominantFrequency(float[] x, int rate, int low = 50, int high = 4000)
    {
        // Coarse 10 Hz scan on a 0.25 s piece, then 1 Hz around the best on the middle 60%.
        var piece = x.AsSpan(x.Length / 2, Math.Min(rate / 4, x.Length / 2)).ToArray();
        int best = low;
        double bestAmplitude = -1;
        for (int f = low; f <= high; f += 10)
        {
            double a = ToneAmplitude(piece, rate, f);
            if (a > bestAmplitude)
            {
                (best, bestAmplitude) = (f, a);
            }
        }

        double fine = best;
        bestAmplitude = -1;
        for (int f = best - 10; f <= best + 10; f++)
        {
            double a = ToneAmplitude(x, rate, f);
            if (a > bestAmplitude)
            {
                (fine, bestAmplitude) = (f, a);
            }
        }

        return fine;
    }

    /// <summary>
    /// <see cref="BestCorrelation"/> over lags up to <paramref name="maxLagSeconds"/>: first on 2 kHz copies, then at
    /// 16 kHz around the best coarse lag.
    /// </summary>
    public static (double Correlation, int Lag) AlignedCorrelation16k(float[] source, float[] decoded, double maxLagSeconds)
    {
        var (_, coarse) = BestCorrelation(Resampler.ToRate(source, 16000, 2000), Resampler.ToRate(decoded, 16000, 2000), (int)(maxLagSeconds * 2000), 0);
        return BestCorrelation(source, decoded, 16, coarse * 8);
    }

    /// <summary>
    /// The largest normalised cross-correlation of <paramref name="decoded"/> with <paramref name="source"/> over lags
    /// <paramref name="centre"/> ± <paramref name="maxLag"/> samples (decoded[i + lag] against source[i]), and that lag.
    /// </summary>
    public static (double Correlation, int Lag) BestCorrelation(float[] source, float[] decoded, int maxLag, int centre = 0)
    {
        double best = double.NegativeInfinity;
        int bestLag = 0;
        for (int lag = centre - maxLag; lag <= centre + maxLag; lag++)
        {
            double xy = 0, xx = 0, yy = 0;
            int from = Math.Max(0, -lag);
            int to = Math.Min(source.Length, decoded.Length - lag);
            for (int i = from; i < to; i++)
            {
                double x = source[i];
                double y = decoded[i + lag];
                xy += x * y;
                xx += x * x;
                yy += y * y;
            }

            double r = xx > 0 && yy > 0 ? xy / Math.Sqrt(xx * yy) : 0;
            if (r > best)
            {
                (best, bestLag) = (r, lag);
            }
        }

        return (best, bestLag);
    }
}
