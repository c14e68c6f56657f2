using Rtser.Features.Dsp;

namespace Rtser.Features.Tests.Mfcc;

public class RealFftTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(512)]
    public void Matches_a_direct_dft(int size)
    {
        var rng = new Random(size);
        float[] x = [.. Enumerable.Range(0, size).Select(_ => (float)(rng.NextDouble() - 0.5))];
        var re = new float[(size / 2) + 1];
        var im = new float[(size / 2) + 1];
        new RealFft(size).Forward(x, re, im);
        for (int k = 0; k <= size / 2; k++)
        {
            double sr = 0, si = 0;
            for (int n = 0; n < size; n++)
            {
                sr += x[n] * Math.Cos(2 * Math.PI * k * n / size);
                si -= x[n] * Math.Sin(2 * Math.PI * k * n / size);
            }

            Assert.Equal(sr, re[k], 1e-3);
            Assert.Equal(si, im[k], 1e-3);
        }
    }

    [Fact]
    public void Power_spectrum_satisfies_parseval()
    {
        const int size = 512;
        var rng = new Random(1);
        float[] x = [.. Enumerable.Range(0, 400).Select(_ => (float)(rng.NextDouble() - 0.5))];
        var power = new float[(size / 2) + 1];
        new RealFft(size).PowerSpectrum(x, power);

        double time = x.Sum(v => (double)v * v);
        // Bins 1..N/2-1 stand for two conjugate bins each.
        double freq = power[0] + power[size / 2] + (2 * power.Skip(1).Take((size / 2) - 1).Sum(v => (double)v));
        Assert.Equal(time, freq / size, 4);
    }

    [Fact]
    public void A_bin_centred_cosine_lands_in_its_bin_only()
    {
        const int size = 64;
        float[] x = [.. Enumerable.Range(0, size).Select(n => (float)Math.Cos(2 * Math.PI * 5 * n / size))];
        var power = new float[(size / 2) + 1];
        new RealFft(size).PowerSpectrum(x, power);
        Assert.Equal(size * size / 4.0, power[5], 1);
        Assert.All(power.Where((_, k) => k != 5), p => Assert.True(p < 1e-6));
    }
}
