using System.Numerics.Tensors;
using Rtser.Features.Dsp;

namespace Rtser.Features.Mfcc;

/// <summary>
/// Kaldi-compatible MFCC. Holds the immutable tables (window, mel bank, DCT with lifter folded in)
/// and is safe to share; the per-signal state lives in <see cref="MfccStream"/>, which
/// <see cref="Compute"/> also uses, so whole-file and streaming output come from one code path.
/// NWaves' MfccExtractor cannot express this recipe exactly (its pre-emphasis runs across frames,
/// it has no per-frame DC removal and its power-of-sine window divides by N, not N - 1), so the
/// recipe is composed here; the mel triangles follow Kaldi's mel-domain definition.
/// </summary>
public sealed class MfccExtractor
{
    internal const float Epsilon = 1.1920929e-07f; // float32 machine epsilon, Kaldi's log floor

    public MfccExtractor(MfccOptions? options = null)
    {
        Options = (options ?? new MfccOptions()).Validate();
        if (Options.FrameShift > Options.FrameLength)
        {
            throw new ArgumentException($"FrameShiftMs {Options.FrameShiftMs} must not exceed FrameLengthMs {Options.FrameLengthMs}.");
        }

        Window = MakeWindow(Options.Window, Options.FrameLength);
        (MelStart, MelWeights) = MakeMelBank(Options);
        Dct = MakeDct(Options.MelBins, Options.Coefficients, Options.CepstralLifter);
        LogEnergyFloor = Options.EnergyFloor > 0 ? (float)Math.Log(Options.EnergyFloor) : float.NegativeInfinity;
        DeltaScales = MakeDeltaScales(Options.DeltaOrder, Options.DeltaWindow);
    }

    public MfccOptions Options { get; }

    public int Width => Options.Width;

    public double FrameShiftSeconds => Options.FrameShiftSeconds;

    internal float[] Window { get; }

    internal int[] MelStart { get; }

    internal float[][] MelWeights { get; }

    /// <summary>Coefficients x mel bins, row-major, lifter included.</summary>
    internal float[] Dct { get; }

    internal float LogEnergyFloor { get; }

    internal float[][] DeltaScales { get; }

    /// <summary>Number of frames Kaldi produces with snip-edges for this many samples.</summary>
    public int FrameCount(int samples) =>
        samples < Options.FrameLength ? 0 : 1 + ((samples - Options.FrameLength) / Options.FrameShift);

    public MfccStream CreateStream() => new(this);

    public FeatureMatrix Compute(ReadOnlySpan<float> samples)
    {
        var output = new FeatureBuffer(Width, Math.Max(1, FrameCount(samples.Length)));
        var stream = CreateStream();
        stream.Push(samples, output);
        stream.Flush(output);
        return output.ToMatrix(FrameShiftSeconds);
    }

    private static float[] MakeWindow(string type, int length)
    {
        var w = new float[length];
        double denom = length - 1;
        for (int n = 0; n < length; n++)
        {
            double hann = 0.5 - (0.5 * Math.Cos(2 * Math.PI * n / denom));
            w[n] = type switch
            {
                // sin(pi n / (N - 1))^1.7 == hann^0.85, Kaldi's "povey".
                "povey" => (float)Math.Pow(hann, 0.85),
                "hamming" => (float)(0.54 - (0.46 * Math.Cos(2 * Math.PI * n / denom))),
                _ => (float)hann,
            };
        }

        return w;
    }

    internal static double MelScale(double hz) => 1127.0 * Math.Log(1.0 + (hz / 700.0));

    private static (int[] Start, float[][] Weights) MakeMelBank(MfccOptions o)
    {
        int fftBins = o.FftSize / 2; // Kaldi leaves the Nyquist bin out of the mel bank
        double binWidth = o.SampleRate / (double)o.FftSize;
        double melLow = MelScale(o.LowFrequency);
        double melHigh = MelScale(o.UpperFrequency);
        double delta = (melHigh - melLow) / (o.MelBins + 1);
        var starts = new int[o.MelBins];
        var weights = new float[o.MelBins][];
        for (int m = 0; m < o.MelBins; m++)
        {
            double left = melLow + (m * delta);
            double center = left + delta;
            double right = center + delta;
            int first = -1;
            var row = new List<float>();
            for (int k = 0; k < fftBins; k++)
            {
                double mel = MelScale(binWidth * k);
                double w = Math.Max(0.0, Math.Min((mel - left) / (center - left), (right - mel) / (right - center)));
                if (w > 0)
                {
                    if (first < 0)
                    {
                        first = k;
                    }

                    // Keep interior zeros so the row stays contiguous.
                    while (row.Count < k - first)
                    {
                        row.Add(0f);
                    }

                    row.Add((float)w);
                }
            }

            starts[m] = Math.Max(0, first);
            weights[m] = [.. row];
        }

        return (starts, weights);
    }

    private static float[] MakeDct(int melBins, int coefficients, double lifter)
    {
        var dct = new float[coefficients * melBins];
        for (int j = 0; j < coefficients; j++)
        {
            double norm = j == 0 ? Math.Sqrt(1.0 / melBins) : Math.Sqrt(2.0 / melBins);
            double lift = lifter > 0 ? 1.0 + (0.5 * lifter * Math.Sin(Math.PI * j / lifter)) : 1.0;
            for (int m = 0; m < melBins; m++)
            {
                dct[(j * melBins) + m] = (float)(norm * lift * Math.Cos(Math.PI / melBins * (m + 0.5) * j));
            }
        }

        return dct;
    }

    /// <summary>Kaldi's DeltaFeatures scales: order i is order i-1 convolved with [-w..w] / sum(j^2).</summary>
    private static float[][] MakeDeltaScales(int order, int window)
    {
        var scales = new float[order + 1][];
        scales[0] = [1f];
        double normalizer = 0;
        for (int j = -window; j <= window; j++)
        {
            normalizer += j * j;
        }

        for (int i = 1; i <= order; i++)
        {
            float[] prev = scales[i - 1];
            int prevOffset = (prev.Length - 1) / 2;
            int curOffset = prevOffset + window;
            var cur = new double[prev.Length + (2 * window)];
            for (int j = -window; j <= window; j++)
            {
                for (int k = -prevOffset; k <= prevOffset; k++)
                {
                    cur[j + k + curOffset] += j * (double)prev[k + prevOffset];
                }
            }

            scales[i] = [.. cur.Select(c => (float)(c / normalizer))];
        }

        return scales;
    }

    internal static void MelEnergies(MfccExtractor e, ReadOnlySpan<float> power, Span<float> logMel)
    {
        for (int m = 0; m < logMel.Length; m++)
        {
            float[] w = e.MelWeights[m];
            float energy = TensorPrimitives.Dot(power.Slice(e.MelStart[m], w.Length), w);
            logMel[m] = MathF.Log(Math.Max(energy, Epsilon));
        }
    }
}
