using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rtser.Features.Prosody;

/// <summary>
/// Frame-level prosody (columns in <see cref="ColumnNames"/>) on the MFCC's framing, and its utterance
/// functionals. Every frame depends only on the samples around its own centre (the low-pass runs per output
/// sample over zero-padded input), so windows cut from a longer signal can share interior frames and recompute
/// only the few at their edges (<see cref="IsInterior"/>), bit for bit what the window alone gives.
/// NWaves' <c>Pitch.FromYin</c> was set aside: it searches every lag up to half the segment at the full rate
/// (about 100k multiply-adds per 40 ms frame at 16 kHz, some 30 M per 3 s clip), allocates per call and returns
/// no voicing strength, so it can neither decide voicing nor fit the budget of a fraction of a millisecond.
/// Thread-safe: tables only.
/// </summary>
public sealed class ProsodyExtractor
{
    /// <summary>Columns per frame.</summary>
    public const int Width = 5;

    private static readonly string[] Columns = ["f0_semitones", "voicing", "voiced", "energy_db", "lowband_db"];

    private static readonly string[] Statistics =
    [
        "pr_voiced_fraction",
        "pr_f0_mean", "pr_f0_std", "pr_f0_p10", "pr_f0_p50", "pr_f0_p90", "pr_f0_range", "pr_f0_slope", "pr_f0_delta",
        "pr_voicing_mean", "pr_hnr_mean",
        "pr_energy_mean", "pr_energy_std", "pr_energy_range", "pr_energy_slope", "pr_energy_delta",
        "pr_lowband_mean", "pr_lowband_std",
        "pr_voiced_runs_per_s", "pr_voiced_run_s", "pr_speech_fraction",
    ];

    private readonly float[] _lowPass;
    private readonly int _half;
    private readonly int _w;
    private readonly int _minLag;
    private readonly int _maxLag;

    /// <summary>Analysis samples from a frame's region start to its centre.</summary>
    private readonly int _before;

    /// <summary>Analysis samples a frame reads: the reference segment plus the largest lag (and one more, for the peak's neighbour).</summary>
    private readonly int _regionLength;

    public ProsodyExtractor(ProsodyOptions? options = null)
    {
        Options = (options ?? new ProsodyOptions()).Validate();
        _half = Options.LowPassTaps / 2;
        _lowPass = MakeLowPass(Options.LowPassTaps, Options.LowPassHz / Options.SampleRate);
        _w = Options.CorrelationLength;
        _minLag = Options.MinLag;
        _maxLag = Options.MaxLag;
        _before = (_w + _maxLag) / 2;
        _regionLength = _w + _maxLag + 1;
    }

    public ProsodyOptions Options { get; }

    public double FrameShiftSeconds => Options.FrameShiftSeconds;

    /// <summary>
    /// f0_semitones: 12 log2(F0 / 1 Hz) in voiced frames, else 0; voicing: the highest NCCF peak in [0, 1] (0 when the
    /// frame is below the energy floor or the low-band minimum, where no lag search is made); voiced: 0/1; energy_db:
    /// 10 log10 of the frame's mean square after its mean is removed (-100 for silence); lowband_db: the energy below
    /// ~1 kHz relative to energy_db.
    /// </summary>
    public static IReadOnlyList<string> ColumnNames => Array.AsReadOnly(Columns);

    public static IReadOnlyList<string> StatisticNames => Array.AsReadOnly(Statistics);

    /// <summary>Length of <see cref="UtteranceStatistics"/>.</summary>
    public static int StatisticsLength => Statistics.Length;

    /// <summary>Same count as the MFCC's snip-edges framing.</summary>
    public int FrameCount(int samples) =>
        samples < Options.FrameLength ? 0 : 1 + ((samples - Options.FrameLength) / Options.FrameShift);

    public FeatureMatrix Compute(ReadOnlySpan<float> samples)
    {
        int frames = FrameCount(samples.Length);
        var result = new FeatureMatrix(frames, Width, FrameShiftSeconds);
        if (frames == 0)
        {
            return result;
        }

        int first = RegionStart(0);
        int count = RegionStart(frames - 1) + _regionLength - first;
        float[] rented = ArrayPool<float>.Shared.Rent(count);
        try
        {
            Span<float> analysis = rented.AsSpan(0, count);
            Decimate(samples, first, analysis);
            for (int t = 0; t < frames; t++)
            {
                Analyze(analysis.Slice(RegionStart(t) - first, _regionLength), samples.Slice(t * Options.FrameShift, Options.FrameLength), result.Row(t));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>Frame <paramref name="t"/> of <see cref="Compute"/>(<paramref name="samples"/>), computed alone.</summary>
    public void ComputeFrame(ReadOnlySpan<float> samples, int t, Span<float> row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)t, (uint)FrameCount(samples.Length), nameof(t));
        Span<float> analysis = _regionLength <= 1024 ? stackalloc float[_regionLength] : new float[_regionLength];
        Decimate(samples, RegionStart(t), analysis);
        Analyze(analysis, samples.Slice(t * Options.FrameShift, Options.FrameLength), row);
    }

    /// <summary>
    /// Whether frame <paramref name="t"/> reads only samples in [0, <paramref name="length"/>): then it is the same in
    /// any longer signal holding those samples at the same place.
    /// </summary>
    public bool IsInterior(int t, int length)
    {
        int d = Options.Decimation;
        long first = ((long)RegionStart(t) * d) - _half;
        long last = ((long)(RegionStart(t) + _regionLength - 1) * d) + _half;
        return first >= 0 && last < length && (t * (long)Options.FrameShift) + Options.FrameLength <= length;
    }

    /// <summary>
    /// Utterance functionals (names in <see cref="StatisticNames"/>) of prosody frames and their speech decisions.
    /// Speech frames S (all frames when fewer than 2 are speech, as the MFCC statistics do); V = voiced frames in S.
    /// F0 values in semitones and over V: mean, population std, 10th/50th/90th percentiles (linear interpolation, as
    /// numpy), the 10-90 range, the least-squares slope in semitones per second, and the mean absolute change between
    /// adjacent voiced frames (a frame-level jitter). Voicing strength and HNR = 10 log10(r / (1 - r)) (r capped at
    /// 0.999) averaged over V. Energy in dB over S: mean, std, 10-90 range, slope per second; its mean absolute change
    /// between adjacent voiced frames (a frame-level shimmer). Low-band share over V: mean and std. Rhythm: voiced runs
    /// per second of speech (a syllable-rate proxy), their mean length in seconds, and the speech fraction. Values
    /// that need two voiced frames are 0 without them.
    /// </summary>
    public float[] UtteranceStatistics(FeatureMatrix prosody, ReadOnlySpan<bool> speech)
    {
        ArgumentNullException.ThrowIfNull(prosody);
        if (prosody.Width != Width)
        {
            throw new ArgumentException($"Matrix width {prosody.Width} is not {Width}.", nameof(prosody));
        }

        if (speech.Length != prosody.Frames)
        {
            throw new ArgumentException($"{speech.Length} speech decisions for {prosody.Frames} frames.", nameof(speech));
        }

        int n = prosody.Frames;
        double dt = FrameShiftSeconds;
        int speechCount = 0;
        foreach (bool s in speech)
        {
            speechCount += s ? 1 : 0;
        }

        bool allSpeech = speechCount < 2;
        int sCount = allSpeech ? n : speechCount;
        var result = new float[StatisticsLength];
        if (n == 0)
        {
            return result;
        }

        var f0 = new List<double>(n);
        var f0Time = new List<double>(n);
        var energy = new List<double>(n);
        var energyTime = new List<double>(n);
        double voicedInSpeech = 0, voicingSum = 0, hnrSum = 0, lowSum = 0, lowSq = 0;
        double f0Delta = 0, energyDelta = 0;
        int deltas = 0, runs = 0, runFrames = 0;
        bool previousVoiced = false;
        for (int t = 0; t < n; t++)
        {
            ReadOnlySpan<float> row = prosody.Row(t);
            bool isSpeech = allSpeech || speech[t];
            // Voiced frames outside speech are mostly steady background (hum, a fan) the detector rightly leaves out.
            bool voiced = row[2] > 0.5f && isSpeech;
            if (isSpeech)
            {
                energy.Add(row[3]);
                energyTime.Add(t * dt);
            }

            if (voiced)
            {
                voicedInSpeech += isSpeech ? 1 : 0;
                f0.Add(row[0]);
                f0Time.Add(t * dt);
                double r = Math.Min(row[1], 0.999);
                voicingSum += row[1];
                hnrSum += 10 * Math.Log10(r / (1 - r));
                lowSum += row[4];
                lowSq += (double)row[4] * row[4];
                runFrames++;
                if (previousVoiced)
                {
                    ReadOnlySpan<float> before = prosody.Row(t - 1);
                    f0Delta += Math.Abs(row[0] - before[0]);
                    energyDelta += Math.Abs(row[3] - before[3]);
                    deltas++;
                }
                else
                {
                    runs++;
                }
            }

            previousVoiced = voiced;
        }

        int v = f0.Count;
        double speechSeconds = sCount * dt;
        result[0] = (float)(voicedInSpeech / sCount);
        if (v >= 2)
        {
            (double mean, double std) = MeanStd(f0);
            double[] sorted = [.. f0];
            Array.Sort(sorted);
            result[1] = (float)mean;
            result[2] = (float)std;
            result[3] = (float)Quantile(sorted, 0.1);
            result[4] = (float)Quantile(sorted, 0.5);
            result[5] = (float)Quantile(sorted, 0.9);
            result[6] = result[5] - result[3];
            result[7] = (float)Slope(f0Time, f0);
            result[8] = deltas > 0 ? (float)(f0Delta / deltas) : 0;
            result[9] = (float)(voicingSum / v);
            result[10] = (float)(hnrSum / v);
            double lowMean = lowSum / v;
            result[16] = (float)lowMean;
            result[17] = (float)Math.Sqrt(Math.Max(0, (lowSq / v) - (lowMean * lowMean)));
            result[15] = deltas > 0 ? (float)(energyDelta / deltas) : 0;
        }

        if (energy.Count > 0)
        {
            (double mean, double std) = MeanStd(energy);
            double[] sorted = [.. energy];
            Array.Sort(sorted);
            result[11] = (float)mean;
            result[12] = (float)std;
            result[13] = (float)(Quantile(sorted, 0.9) - Quantile(sorted, 0.1));
            result[14] = (float)Slope(energyTime, energy);
        }

        result[18] = (float)(runs / speechSeconds);
        result[19] = runs > 0 ? (float)(runFrames * dt / runs) : 0;
        result[20] = (float)(speechCount / (double)n);
        return result;
    }

    /// <summary>Where frame t's analysis region starts, in analysis samples (may be negative: zeros before the signal).</summary>
    private int RegionStart(int t) => (((t * Options.FrameShift) + (Options.FrameLength / 2)) / Options.Decimation) - _before;

    /// <summary>
    /// Low-passed analysis samples <paramref name="first"/>.. into <paramref name="output"/>; input outside the signal
    /// is zero. Each output is one dot product over the same taps whatever the range asked for, so a sample computed
    /// for a window alone equals the one computed for a longer signal wherever its taps lie inside both.
    /// </summary>
    private void Decimate(ReadOnlySpan<float> samples, int first, Span<float> output)
    {
        int taps = _lowPass.Length;
        Span<float> padded = stackalloc float[taps];
        for (int i = 0; i < output.Length; i++)
        {
            long start = ((long)(first + i) * Options.Decimation) - _half;
            if (start >= 0 && start + taps <= samples.Length)
            {
                output[i] = Dot(_lowPass, samples.Slice((int)start, taps));
                continue;
            }

            padded.Clear();
            long from = Math.Max(0, start);
            long to = Math.Min(samples.Length, start + taps);
            if (to > from)
            {
                samples[(int)from..(int)to].CopyTo(padded[(int)(from - start)..]);
            }

            output[i] = Dot(_lowPass, padded);
        }
    }

    private void Analyze(ReadOnlySpan<float> region, ReadOnlySpan<float> frame, Span<float> row)
    {
        int w = _w;
        Span<double> squares = stackalloc double[region.Length + 1];
        for (int i = 0; i < region.Length; i++)
        {
            squares[i + 1] = squares[i] + ((double)region[i] * region[i]);
        }

        // Energy in float SIMD: 400 samples of [-1, 1] lose nothing that matters at the 1e-10 floor.
        float mean = Sum(frame) / frame.Length;
        double energy = Math.Max(0, (Dot(frame, frame) / (double)frame.Length) - ((double)mean * mean));
        double energyDb = 10 * Math.Log10(energy + 1e-10);
        int centre = _before - (w / 2);
        double low = (squares[centre + w] - squares[centre]) / w;
        double lowDb = (10 * Math.Log10(low + 1e-10)) - energyDb;
        row[3] = (float)energyDb;
        row[4] = (float)lowDb;
        if (energyDb < Options.EnergyFloorDb || lowDb < Options.MinLowBandDb)
        {
            // Too quiet or too little below 1 kHz to be voiced whatever it correlates like: skip the lag search
            // (silence and fricatives, a good part of speech).
            row[0] = row[1] = row[2] = 0;
            return;
        }

        double e0 = squares[w];
        Span<float> nccf = stackalloc float[_maxLag + 2];
        ReadOnlySpan<float> reference = region[..w];
        int last = _maxLag + 1;
        int first = _minLag - 1;
        for (; first + 3 <= last; first += 4)
        {
            Dot4(reference, region[first..], nccf[first..]);
        }

        for (; first <= last; first++)
        {
            nccf[first] = Dot(reference, region[first..]);
        }

        for (int lag = _minLag - 1; lag <= last; lag++)
        {
            double el = squares[lag + w] - squares[lag];
            double denominator = Math.Sqrt(e0 * el);
            nccf[lag] = denominator > 1e-20 ? (float)(nccf[lag] / denominator) : 0f;
        }

        // Only peaks count: a smooth low-frequency rumble correlates ever better towards the shortest lag without
        // having a period in the range.
        float best = 0;
        int bestLag = _minLag;
        for (int lag = _minLag; lag <= _maxLag; lag++)
        {
            if (IsPeak(nccf, lag) && nccf[lag] > best)
            {
                best = nccf[lag];
                bestLag = lag;
            }
        }

        bool voiced = best >= Options.VoicingThreshold;
        float f0Semitones = 0;
        float strength = Math.Clamp(best, 0f, 1f);
        if (voiced)
        {
            int lag = bestLag;
            float needed = (float)(Options.PeakRatio * best);
            for (int l = _minLag; l < bestLag; l++)
            {
                if (nccf[l] >= needed && IsPeak(nccf, l))
                {
                    lag = l;
                    break;
                }
            }

            // A parabola through the peak and its neighbours places it between analysis samples.
            double a = nccf[lag - 1], b = nccf[lag], c = nccf[lag + 1];
            double curvature = a - (2 * b) + c;
            double offset = curvature < 0 ? Math.Clamp(0.5 * (a - c) / curvature, -0.5, 0.5) : 0;
            double period = lag + offset;
            double f0 = Options.AnalysisRate / period;
            f0Semitones = (float)(12 * Math.Log2(f0));
            strength = (float)Math.Clamp(b - (0.25 * (a - c) * offset), 0, 1);
        }

        row[0] = f0Semitones;
        row[1] = strength;
        row[2] = voiced ? 1f : 0f;
    }

    private static bool IsPeak(ReadOnlySpan<float> nccf, int lag) => nccf[lag] >= nccf[lag - 1] && nccf[lag] > nccf[lag + 1];

    private static float Sum(ReadOnlySpan<float> a)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                acc += new Vector<float>(a[i..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i];
        }

        return sum;
    }

    /// <summary>Sum of a[i] b[i] over a's length (b at least as long), in a fixed order: vector lanes, then the tail.</summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(b.Length, a.Length, nameof(b));
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        int n = a.Length;
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                acc += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        }

        return sum;
    }

    /// <summary>
    /// <see cref="Dot"/> of <paramref name="a"/> with b, b+1, b+2 and b+3 into <paramref name="output"/>[0..4]: each sum in
    /// Dot's order (so bit for bit the same), four at a time so a's lanes are loaded once.
    /// </summary>
    private static void Dot4(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(b.Length, a.Length + 3, nameof(b));
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, 4, nameof(output));
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        int n = a.Length;
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            Vector<float> c0 = Vector<float>.Zero, c1 = Vector<float>.Zero, c2 = Vector<float>.Zero, c3 = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> x = Vector.LoadUnsafe(ref ra, (nuint)i);
                c0 += x * Vector.LoadUnsafe(ref rb, (nuint)i);
                c1 += x * Vector.LoadUnsafe(ref rb, (nuint)(i + 1));
                c2 += x * Vector.LoadUnsafe(ref rb, (nuint)(i + 2));
                c3 += x * Vector.LoadUnsafe(ref rb, (nuint)(i + 3));
            }

            s0 = Vector.Sum(c0);
            s1 = Vector.Sum(c1);
            s2 = Vector.Sum(c2);
            s3 = Vector.Sum(c3);
        }

        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref ra, i);
            s0 += x * Unsafe.Add(ref rb, i);
            s1 += x * Unsafe.Add(ref rb, i + 1);
            s2 += x * Unsafe.Add(ref rb, i + 2);
            s3 += x * Unsafe.Add(ref rb, i + 3);
        }

        output[0] = s0;
        output[1] = s1;
        output[2] = s2;
        output[3] = s3;
    }

    /// <summary>Hamming-windowed sinc low-pass with unit gain at DC; <paramref name="cutoff"/> in cycles per input sample.</summary>
    private static float[] MakeLowPass(int taps, double cutoff)
    {
        var h = new double[taps];
        int half = taps / 2;
        double sum = 0;
        for (int k = 0; k < taps; k++)
        {
            int m = k - half;
            double sinc = m == 0 ? 2 * cutoff : Math.Sin(2 * Math.PI * cutoff * m) / (Math.PI * m);
            h[k] = sinc * (0.54 - (0.46 * Math.Cos(2 * Math.PI * k / (taps - 1))));
            sum += h[k];
        }

        return [.. h.Select(x => (float)(x / sum))];
    }

    private static (double Mean, double Std) MeanStd(List<double> values)
    {
        double mean = 0;
        foreach (double x in values)
        {
            mean += x;
        }

        mean /= values.Count;
        double variance = 0;
        foreach (double x in values)
        {
            variance += (x - mean) * (x - mean);
        }

        return (mean, Math.Sqrt(variance / values.Count));
    }

    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    private static double Slope(List<double> x, List<double> y)
    {
        if (x.Count < 2)
        {
            return 0;
        }

        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }

        return sxx > 0 ? sxy / sxx : 0;
    }
}
