using System.Numerics;

namespace Rtser.Features.Dsp;

/// <summary>
/// Power-of-two real-input FFT: an N/2-point complex radix-2 FFT on the even/odd samples packed as
/// real/imaginary parts (SIMD across the butterflies of a stage), then one split pass. Written here because
/// NWaves' RealFft took 1.9x as long for the 512-point power spectrum (benchmarks FftBenchmarks), and the
/// FFT is most of the feature budget: ~300 of 512 points (MFCC) and ~750 of 256 points (MS) per 3 s clip.
/// Instances hold scratch buffers: one per thread.
/// </summary>
public sealed class RealFft
{
    private readonly int _size;
    private readonly int _half;
    private readonly int[] _bitReverse;
    private readonly float[] _twCos;   // per-stage twiddles of the N/2-point complex FFT, stage m at [m - 1, 2m - 1)
    private readonly float[] _twSin;
    private readonly float[] _splitCos; // twiddles of the real split, e^{-2 pi i k / N}
    private readonly float[] _splitSin;
    private readonly float[] _re;
    private readonly float[] _im;

    public RealFft(int size)
    {
        if (size < 4 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be a power of two >= 4.");
        }

        _size = size;
        _half = size / 2;
        int bits = System.Numerics.BitOperations.Log2((uint)_half);
        _bitReverse = new int[_half];
        for (int i = 0; i < _half; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++)
            {
                r |= ((i >> b) & 1) << (bits - 1 - b);
            }

            _bitReverse[i] = r;
        }

        // Stage-contiguous twiddles so the butterflies of a stage load them as vectors.
        _twCos = new float[Math.Max(1, _half - 1)];
        _twSin = new float[_twCos.Length];
        for (int m = 1; m < _half; m <<= 1)
        {
            for (int j = 0; j < m; j++)
            {
                double a = -Math.PI * j / m;
                _twCos[m - 1 + j] = (float)Math.Cos(a);
                _twSin[m - 1 + j] = (float)Math.Sin(a);
            }
        }

        _splitCos = new float[_half + 1];
        _splitSin = new float[_half + 1];
        for (int k = 0; k <= _half; k++)
        {
            double a = -2 * Math.PI * k / size;
            _splitCos[k] = (float)Math.Cos(a);
            _splitSin[k] = (float)Math.Sin(a);
        }

        _re = new float[_half];
        _im = new float[_half];
    }

    public int Size => _size;

    /// <summary>Spectrum bins 0..N/2 of a real signal of length N (shorter input is zero-padded).</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> real, Span<float> imag)
    {
        if (input.Length > _size)
        {
            throw new ArgumentException($"Input longer than the FFT size {_size}.", nameof(input));
        }

        if (real.Length < _half + 1 || imag.Length < _half + 1)
        {
            throw new ArgumentException($"Output spans need {_half + 1} bins.");
        }

        Transform(input);
        Split(real, imag);
    }

    /// <summary>|X[k]|^2 for k = 0..N/2.</summary>
    public void PowerSpectrum(ReadOnlySpan<float> input, Span<float> power)
    {
        if (input.Length > _size)
        {
            throw new ArgumentException($"Input longer than the FFT size {_size}.", nameof(input));
        }

        if (power.Length < _half + 1)
        {
            throw new ArgumentException($"Output span needs {_half + 1} bins.", nameof(power));
        }

        Transform(input);
        float[] re = _re;
        float[] im = _im;
        int half = _half;
        power[0] = (re[0] + im[0]) * (re[0] + im[0]);
        power[half] = (re[0] - im[0]) * (re[0] - im[0]);
        for (int k = 1; k < half; k++)
        {
            SplitBin(re, im, k, out float xr, out float xi);
            power[k] = (xr * xr) + (xi * xi);
        }
    }

    private void Split(Span<float> real, Span<float> imag)
    {
        float[] re = _re;
        float[] im = _im;
        real[0] = re[0] + im[0];
        imag[0] = 0;
        real[_half] = re[0] - im[0];
        imag[_half] = 0;
        for (int k = 1; k < _half; k++)
        {
            SplitBin(re, im, k, out real[k], out imag[k]);
        }
    }

    private void SplitBin(float[] re, float[] im, int k, out float xr, out float xi)
    {
        // X[k] = E[k] + W^k O[k], with E, O recovered from Z[k] and conj(Z[N/2 - k]).
        int j = _half - k;
        float er = 0.5f * (re[k] + re[j]);
        float ei = 0.5f * (im[k] - im[j]);
        float or = 0.5f * (im[k] + im[j]);
        float oi = -0.5f * (re[k] - re[j]);
        float c = _splitCos[k];
        float s = _splitSin[k];
        xr = er + (or * c) - (oi * s);
        xi = ei + (or * s) + (oi * c);
    }

    private void Transform(ReadOnlySpan<float> input)
    {
        float[] re = _re;
        float[] im = _im;
        int half = _half;
        int n = input.Length;
        for (int i = 0; i < half; i++)
        {
            int r = _bitReverse[i];
            int e = 2 * i;
            re[r] = e < n ? input[e] : 0f;
            im[r] = e + 1 < n ? input[e + 1] : 0f;
        }

        // First stage has unit twiddles only.
        for (int i = 0; i < half; i += 2)
        {
            float ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
            re[i] = ar + br;
            im[i] = ai + bi;
            re[i + 1] = ar - br;
            im[i + 1] = ai - bi;
        }

        int width = Vector<float>.Count;
        for (int m = 2; m < half; m <<= 1)
        {
            int tw = m - 1;
            for (int start = 0; start < half; start += 2 * m)
            {
                int j = 0;
                if (m >= width)
                {
                    // SIMD over j: the butterflies of one group are independent.
                    for (; j <= m - width; j += width)
                    {
                        int a = start + j;
                        int b = a + m;
                        var wr = new Vector<float>(_twCos, tw + j);
                        var wi = new Vector<float>(_twSin, tw + j);
                        var br = new Vector<float>(re, b);
                        var bi = new Vector<float>(im, b);
                        var ar = new Vector<float>(re, a);
                        var ai = new Vector<float>(im, a);
                        var tr = (br * wr) - (bi * wi);
                        var ti = (br * wi) + (bi * wr);
                        (ar - tr).CopyTo(re, b);
                        (ai - ti).CopyTo(im, b);
                        (ar + tr).CopyTo(re, a);
                        (ai + ti).CopyTo(im, a);
                    }
                }

                for (; j < m; j++)
                {
                    float wr = _twCos[tw + j];
                    float wi = _twSin[tw + j];
                    int a = start + j;
                    int b = a + m;
                    float tr = (re[b] * wr) - (im[b] * wi);
                    float ti = (re[b] * wi) + (im[b] * wr);
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }
}
