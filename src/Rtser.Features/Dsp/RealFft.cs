using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rtser.Features.Dsp;

/// <summary>
/// Power-of-two real-input FFT: an N/2-point complex radix-2 FFT on the even/odd samples packed as
/// real/imaginary parts (SIMD across the butterflies of a stage), then one split pass. Written here because
/// NWaves' RealFft took 1.9x as long for the 512-point power spectrum (benchmarks FftBenchmarks), and the
/// FFT is most of the feature budget: ~300 of 512 points (MFCC) and ~750 of 256 points (MS) per 3 s clip.
/// Instances hold scratch buffers: one per thread. The vector paths (stages of 1, 2 and 4 butterflies with
/// 4-wide shuffles, the split with 8 mirrored bins at once) do the scalar operations in the same order, so the
/// output is bit-identical with or without SIMD (checked by `Rtser.Perf ffthash`, with DOTNET_EnableHWIntrinsic=0 too).
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
    private readonly float[] _padded;   // zero-padded copy of a short input

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
        _padded = new float[size];
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
        int k = 1;
        if (Vector256.IsHardwareAccelerated)
        {
            // Eight bins at once, the mirrored bins N/2 - k loaded and reversed; the same operations in the same
            // order as SplitBin, so the result is bit-identical to the scalar loop.
            var halfV = Vector256.Create(0.5f);
            var minusHalf = Vector256.Create(-0.5f);
            for (; k + 8 <= half; k += 8)
            {
                int j = half - k - 7;
                var rk = Vector256.Create(re.AsSpan(k, 8));
                var ik = Vector256.Create(im.AsSpan(k, 8));
                var rj = Vector256.Shuffle(Vector256.Create(re.AsSpan(j, 8)), Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0));
                var ij = Vector256.Shuffle(Vector256.Create(im.AsSpan(j, 8)), Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0));
                var er = halfV * (rk + rj);
                var ei = halfV * (ik - ij);
                var or = halfV * (ik + ij);
                var oi = minusHalf * (rk - rj);
                var c = Vector256.Create(_splitCos.AsSpan(k, 8));
                var sn = Vector256.Create(_splitSin.AsSpan(k, 8));
                var xr = er + (or * c) - (oi * sn);
                var xi = ei + (or * sn) + (oi * c);
                ((xr * xr) + (xi * xi)).CopyTo(power.Slice(k, 8));
            }
        }

        for (; k < half; k++)
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
        if (input.Length < _size)
        {
            input.CopyTo(_padded);
            _padded.AsSpan(input.Length).Clear();
            input = _padded;
        }

        int[] bitReverse = _bitReverse;
        input = input[..(2 * half)];
        for (int i = 0; i < half; i++)
        {
            int r = bitReverse[i];
            re[r] = input[2 * i];
            im[r] = input[(2 * i) + 1];
        }

        if (Vector128.IsHardwareAccelerated && half >= 8)
        {
            SmallStagesVector128(re, im);
        }
        else
        {
            SmallStagesScalar(re, im);
        }

        int width = Vector<float>.Count;
        for (int m = 8; m < half; m <<= 1)
        {
            Stage(re, im, m, width);
        }
    }

    /// <summary>Stages of 1, 2 and 4 butterflies per group with scalar arithmetic (the reference the vector path matches bit for bit).</summary>
    private void SmallStagesScalar(float[] re, float[] im)
    {
        int half = _half;

        // First stage has unit twiddles only.
        for (int i = 0; i < half; i += 2)
        {
            float ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
            re[i] = ar + br;
            im[i] = ai + bi;
            re[i + 1] = ar - br;
            im[i + 1] = ai - bi;
        }

        for (int m = 2; m < half && m <= 4; m <<= 1)
        {
            Stage(re, im, m, int.MaxValue);
        }
    }

    /// <summary>
    /// The same three stages with 4-wide vectors: lanes are regrouped by shuffles, and a - t is computed as
    /// a + (t * -1), which IEEE arithmetic makes exactly equal, so the output is bit-identical to the scalar stages.
    /// </summary>
    private void SmallStagesVector128(float[] re, float[] im)
    {
        // Unchecked loads and stores: every index below is < half, the arrays' length.
        int half = _half;
        ref float reRef = ref MemoryMarshal.GetArrayDataReference(re);
        ref float imRef = ref MemoryMarshal.GetArrayDataReference(im);
        if (re.Length < half || im.Length < half)
        {
            throw new InvalidOperationException("scratch buffers shorter than N/2");
        }

        var alt = Vector128.Create(1f, -1f, 1f, -1f);
        for (int i = 0; i < half; i += 4)
        {
            // Stage 1: (x0, x1) -> (x0 + x1, x0 - x1), two pairs per vector.
            var r = Vector128.LoadUnsafe(ref reRef, (nuint)i);
            var m = Vector128.LoadUnsafe(ref imRef, (nuint)i);
            (Vector128.Shuffle(r, Vector128.Create(0, 0, 2, 2)) + (Vector128.Shuffle(r, Vector128.Create(1, 1, 3, 3)) * alt)).StoreUnsafe(ref reRef, (nuint)i);
            (Vector128.Shuffle(m, Vector128.Create(0, 0, 2, 2)) + (Vector128.Shuffle(m, Vector128.Create(1, 1, 3, 3)) * alt)).StoreUnsafe(ref imRef, (nuint)i);
        }

        // Stage 2: groups of 4, a = lanes 0-1, b = lanes 2-3, twiddles j = 0, 1.
        var sign = Vector128.Create(1f, 1f, -1f, -1f);
        var w2r = Vector128.Create(_twCos[1], _twCos[2], _twCos[1], _twCos[2]);
        var w2i = Vector128.Create(_twSin[1], _twSin[2], _twSin[1], _twSin[2]);
        for (int i = 0; i < half; i += 4)
        {
            var r = Vector128.LoadUnsafe(ref reRef, (nuint)i);
            var m = Vector128.LoadUnsafe(ref imRef, (nuint)i);
            var br = Vector128.Shuffle(r, Vector128.Create(2, 3, 2, 3));
            var bi = Vector128.Shuffle(m, Vector128.Create(2, 3, 2, 3));
            var tr = (br * w2r) - (bi * w2i);
            var ti = (br * w2i) + (bi * w2r);
            (Vector128.Shuffle(r, Vector128.Create(0, 1, 0, 1)) + (tr * sign)).StoreUnsafe(ref reRef, (nuint)i);
            (Vector128.Shuffle(m, Vector128.Create(0, 1, 0, 1)) + (ti * sign)).StoreUnsafe(ref imRef, (nuint)i);
        }

        // Stage 4: groups of 8, a = first 4, b = last 4: plain 4-wide butterflies.
        var w4r = Vector128.Create(_twCos.AsSpan(3, 4));
        var w4i = Vector128.Create(_twSin.AsSpan(3, 4));
        for (int a = 0; a < half; a += 8)
        {
            int b = a + 4;
            var br = Vector128.LoadUnsafe(ref reRef, (nuint)b);
            var bi = Vector128.LoadUnsafe(ref imRef, (nuint)b);
            var ar = Vector128.LoadUnsafe(ref reRef, (nuint)a);
            var ai = Vector128.LoadUnsafe(ref imRef, (nuint)a);
            var tr = (br * w4r) - (bi * w4i);
            var ti = (br * w4i) + (bi * w4r);
            (ar - tr).StoreUnsafe(ref reRef, (nuint)b);
            (ai - ti).StoreUnsafe(ref imRef, (nuint)b);
            (ar + tr).StoreUnsafe(ref reRef, (nuint)a);
            (ai + ti).StoreUnsafe(ref imRef, (nuint)a);
        }
    }

    private void Stage(float[] re, float[] im, int m, int width)
    {
        int half = _half;
        int tw = m - 1;
        ref float reRef = ref MemoryMarshal.GetArrayDataReference(re);
        ref float imRef = ref MemoryMarshal.GetArrayDataReference(im);
        ref float cosRef = ref MemoryMarshal.GetArrayDataReference(_twCos);
        ref float sinRef = ref MemoryMarshal.GetArrayDataReference(_twSin);
        for (int start = 0; start < half; start += 2 * m)
        {
            int j = 0;
            if (m >= width)
            {
                // SIMD over j: the butterflies of one group are independent. Unchecked: b + width <= start + 2m
                // <= N/2 and tw + j + width <= 2m - 1 <= N/2 - 1, within the arrays.
                for (; j <= m - width; j += width)
                {
                    int a = start + j;
                    int b = a + m;
                    var wr = Vector.LoadUnsafe(ref cosRef, (nuint)(tw + j));
                    var wi = Vector.LoadUnsafe(ref sinRef, (nuint)(tw + j));
                    var br = Vector.LoadUnsafe(ref reRef, (nuint)b);
                    var bi = Vector.LoadUnsafe(ref imRef, (nuint)b);
                    var ar = Vector.LoadUnsafe(ref reRef, (nuint)a);
                    var ai = Vector.LoadUnsafe(ref imRef, (nuint)a);
                    var tr = (br * wr) - (bi * wi);
                    var ti = (br * wi) + (bi * wr);
                    (ar - tr).StoreUnsafe(ref reRef, (nuint)b);
                    (ai - ti).StoreUnsafe(ref imRef, (nuint)b);
                    (ar + tr).StoreUnsafe(ref reRef, (nuint)a);
                    (ai + ti).StoreUnsafe(ref imRef, (nuint)a);
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
