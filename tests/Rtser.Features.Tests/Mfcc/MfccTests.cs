using Rtser.Features.Mfcc;

namespace Rtser.Features.Tests.Mfcc;

public class MfccTests
{
    private static float[] Sine(double hz, double seconds, double amplitude = 0.5, int rate = 16000) =>
        [.. Enumerable.Range(0, (int)(seconds * rate)).Select(n => (float)(amplitude * Math.Sin(2 * Math.PI * hz * n / rate)))];

    [Fact]
    public void Frame_count_follows_kaldi_snip_edges()
    {
        var mfcc = new MfccExtractor();
        Assert.Equal(0, mfcc.Compute(new float[399]).Frames);
        Assert.Equal(1, mfcc.Compute(new float[400]).Frames);
        Assert.Equal(1, mfcc.Compute(new float[559]).Frames);
        Assert.Equal(2, mfcc.Compute(new float[560]).Frames);
        Assert.Equal(298, mfcc.Compute(new float[48000]).Frames);
    }

    [Theory]
    [InlineData(300.0)]
    [InlineData(1000.0)]
    [InlineData(3000.0)]
    public void A_sine_peaks_in_the_mel_band_centred_nearest_its_frequency(double hz)
    {
        var options = new MfccOptions { Coefficients = 23, CepstralLifter = 0, UseEnergy = false };
        var frame = new MfccExtractor(options).Compute(Sine(hz, 0.5)).Row(10).ToArray();

        // Undo the orthonormal DCT-II with its transpose (DCT-III) to get the log-mel spectrum back.
        const int bins = 23;
        var logMel = new double[bins];
        for (int m = 0; m < bins; m++)
        {
            for (int j = 0; j < bins; j++)
            {
                double norm = j == 0 ? Math.Sqrt(1.0 / bins) : Math.Sqrt(2.0 / bins);
                logMel[m] += frame[j] * norm * Math.Cos(Math.PI / bins * (m + 0.5) * j);
            }
        }

        // Kaldi mel centres from the formula, independently of the extractor's tables.
        static double Mel(double f) => 1127.0 * Math.Log(1 + (f / 700.0));
        double lo = Mel(20), hi = Mel(8000), delta = (hi - lo) / (bins + 1);
        int expected = Enumerable.Range(0, bins).MinBy(m => Math.Abs(lo + ((m + 1) * delta) - Mel(hz)));
        int peak = Array.IndexOf(logMel, logMel.Max());
        Assert.Equal(expected, peak);
    }

    [Fact]
    public void The_energy_coefficient_is_the_log_of_the_frame_energy_on_the_int16_scale()
    {
        // A full-scale-0.5 sine over 400 samples: energy = N * (0.5 * 32768)^2 / 2, DC removal aside.
        float[] x = Sine(1000, 0.1);
        var c0 = new MfccExtractor().Compute(x)[0, 0];
        double energy = x.Take(400).Select(v => v * 32768.0).Sum(v => v * v);
        double mean = x.Take(400).Average() * 32768.0;
        energy -= 400 * mean * mean;
        Assert.Equal(Math.Log(energy), c0, 3);
    }

    [Fact]
    public void Digital_silence_gives_finite_coefficients_with_energy_at_its_floor()
    {
        var m = new MfccExtractor().Compute(new float[16000]);
        Assert.All(m.Data, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0f, m[5, 0]); // torchaudio's energy_floor = 1 -> log 1
    }

    [Fact]
    public void Povey_window_is_sine_to_the_power_one_point_seven_over_n_minus_one()
    {
        var e = new MfccExtractor();
        for (int n = 0; n < 400; n++)
        {
            Assert.Equal(Math.Pow(Math.Sin(Math.PI * n / 399), 1.7), e.Window[n], 5);
        }
    }

    [Fact]
    public void Delta_scales_give_the_slope_of_a_ramp_and_the_curvature_of_a_parabola()
    {
        var e = new MfccExtractor(new MfccOptions { DeltaOrder = 2 });
        Assert.Equal(5, e.DeltaScales[1].Length);
        Assert.Equal(9, e.DeltaScales[2].Length);
        double Apply(float[] s, Func<int, double> f) => s.Select((w, j) => w * f(20 + j - ((s.Length - 1) / 2))).Sum();
        Assert.Equal(3.0, Apply(e.DeltaScales[1], t => 3.0 * t), 4);
        Assert.Equal(2.0, Apply(e.DeltaScales[1], t => (double)t * t) / 20.0, 4); // d(t^2)/dt at t = 20 is 40
        Assert.Equal(2.0, Apply(e.DeltaScales[2], t => (double)t * t), 4);
    }

    [Fact]
    public void Deltas_follow_the_regression_formula_on_the_static_coefficients()
    {
        var rng = new Random(3);
        float[] x = [.. Enumerable.Range(0, 8000).Select(n => (float)((0.4 * Math.Sin(n * 0.07 * (1 + (n / 8000.0)))) + (0.01 * rng.NextDouble())))];
        var s = new MfccExtractor().Compute(x);
        var d = new MfccExtractor(new MfccOptions { DeltaOrder = 2 }).Compute(x);
        Assert.Equal(39, d.Width);
        int last = s.Frames - 1;

        // delta[t] = sum_{n=1..2} n (c[t+n] - c[t-n]) / 10, frames beyond the ends repeat the end frames.
        double Delta(Func<int, double> c, int t) =>
            Enumerable.Range(1, 2).Sum(n => n * (c(Math.Min(t + n, last)) - c(Math.Max(t - n, 0)))) / 10.0;
        for (int t = 0; t <= last; t++)
        {
            for (int c = 0; c < 13; c++)
            {
                int col = c;
                Assert.Equal(s[t, c], d[t, c]);
                Assert.Equal(Delta(u => s[u, col], t), d[t, 13 + c], 1e-3);
                if (t >= 4 && t <= last - 4)
                {
                    // In the interior the second order is the delta of the delta.
                    Assert.Equal(Delta(u => Delta(v => s[v, col], u), t), d[t, 26 + c], 1e-3);
                }
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Chunked_streaming_equals_whole_signal_output(int deltaOrder)
    {
        var rng = new Random(7);
        float[] x = [.. Enumerable.Range(0, 16000 + 123).Select(n => (float)(0.3 * Math.Sin(n * 0.05) + (0.05 * (rng.NextDouble() - 0.5))))];
        var extractor = new MfccExtractor(new MfccOptions { DeltaOrder = deltaOrder });
        var whole = extractor.Compute(x);

        var stream = extractor.CreateStream();
        var output = new FeatureBuffer(extractor.Width);
        int[] sizes = [1, 7, 160, 4096, 399, 401, 3];
        for (int pos = 0, i = 0; pos < x.Length; i++)
        {
            int n = Math.Min(sizes[i % sizes.Length], x.Length - pos);
            stream.Push(x.AsSpan(pos, n), output);
            pos += n;
        }

        stream.Flush(output);
        Assert.Equal(whole.Frames, output.Rows);
        Assert.Equal(whole.Data, output.AsSpan().ToArray());
    }

    [Theory]
    [InlineData(nameof(MfccOptions.MelBins), 2)]
    [InlineData(nameof(MfccOptions.Coefficients), 30)]
    [InlineData(nameof(MfccOptions.PreEmphasis), 1.5)]
    [InlineData(nameof(MfccOptions.DeltaOrder), 3)]
    [InlineData(nameof(MfccOptions.LowFrequency), 9000)]
    public void Invalid_options_are_rejected_with_the_setting_named(string setting, double value)
    {
        var o = setting switch
        {
            nameof(MfccOptions.MelBins) => new MfccOptions { MelBins = (int)value },
            nameof(MfccOptions.Coefficients) => new MfccOptions { Coefficients = (int)value },
            nameof(MfccOptions.PreEmphasis) => new MfccOptions { PreEmphasis = (float)value },
            nameof(MfccOptions.DeltaOrder) => new MfccOptions { DeltaOrder = (int)value },
            _ => new MfccOptions { LowFrequency = value },
        };
        var ex = Assert.Throws<ArgumentException>(() => new MfccExtractor(o));
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }
}
