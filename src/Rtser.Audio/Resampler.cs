using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Numerics.Tensors;

namespace Rtser.Audio;

/// <summary>Band-limited sample-rate conversion of mono audio (default target 16 kHz).</summary>
/// <remarks>
/// Our own polyphase windowed-sinc (Kaiser) filter, because the libraries in reach fall short of
/// "passband within 0.1 dB up to 0.9 × 8 kHz, at least 60 dB rejection from 8 kHz up, a 3 s 48 kHz clip in a
/// couple of ms" (figures from ResamplerLibraryComparisonTests, 9 kHz tone, 48 kHz → 16 kHz):
/// NAudio's WdlResampler in its default IIR mode rejects only ~20 dB and loses ~4 dB at 5 kHz; in sinc mode
/// (64 taps) ~24 dB, and from 192 kHz it needs ~1024 taps, which costs ~80 ms per 3 s clip;
/// NWaves' Resampler.Resample rejects ~42 dB (~11 dB from 192 kHz) and takes ~35-45 ms.
/// </remarks>
public static class Resampler
{
    public const int TargetRate = 16000;
    public const int MinRate = 1000;
    public const int MaxRate = 1_000_000;

    // Rates come from client files; a cap keeps odd rates from growing the cache without bound. The usual device
    // and file rates are always cached, so a stream of odd rates cannot push them out and make every upload
    // design its filter again.
    private const int MaxCachedFilters = 32;

    private static readonly FrozenSet<int> CommonRates = FrozenSet.ToFrozenSet([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000]);

    private static readonly ConcurrentDictionary<(int From, int To), PolyphaseFilter> Filters = new();

    public static float[] ToRate(ReadOnlySpan<float> input, int fromRate, int toRate = TargetRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromRate, MinRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromRate, MaxRate);
        ArgumentOutOfRangeException.ThrowIfLessThan(toRate, MinRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(toRate, MaxRate);
        return fromRate == toRate ? input.ToArray() : GetFilter(fromRate, toRate).Process(input);
    }

    /// <summary><paramref name="audio"/> at <paramref name="toRate"/>; the same object when it is at that rate already.</summary>
    public static DecodedAudio Resample(DecodedAudio audio, int toRate = TargetRate)
    {
        ArgumentNullException.ThrowIfNull(audio);
        return audio.SampleRate == toRate ? audio : audio with { Samples = ToRate(audio.Samples, audio.SampleRate, toRate), SampleRate = toRate };
    }

    internal static PolyphaseFilter GetFilter(int fromRate, int toRate)
    {
        if (Filters.TryGetValue((fromRate, toRate), out var filter))
        {
            return filter;
        }

        filter = new PolyphaseFilter(fromRate, toRate);
        bool common = CommonRates.Contains(fromRate) && CommonRates.Contains(toRate);
        return common || Filters.Count < MaxCachedFilters ? Filters.GetOrAdd((fromRate, toRate), filter) : filter;
    }
}

/// <summary>
/// Rational L/M resampler: output sample n sits at input time n·M/L and is a dot product of the input around it
/// with one precomputed phase of a Kaiser-windowed sinc.
/// </summary>
internal sealed class PolyphaseFilter
{
    /// <summary>Kaiser design attenuation; 80 dB leaves margin over the 60 dB requirement and makes passband ripple ~0.001 dB.</summary>
    internal const double AttenuationDb = 80;

    /// <summary>Passband edge as a fraction of the lower Nyquist frequency. The stopband starts at that Nyquist, so nothing aliases.</summary>
    internal const double PassbandFraction = 0.9;

    /// <summary>
    /// Up to this many phases are exact (22.05 kHz → 16 kHz needs 320). Beyond, e.g. 44.056 kHz (L = 2000),
    /// we interpolate linearly between this many phases; the kernel error is then below -100 dB.
    /// </summary>
    internal const int MaxPhases = 512;

    private readonly int _up;
    private readonly int _down;
    private readonly int _phases;
    private readonly bool _interpolate;
    private readonly float[] _coefficients;

    public PolyphaseFilter(int fromRate, int toRate)
    {
        int gcd = Gcd(fromRate, toRate);
        _up = toRate / gcd;
        _down = fromRate / gcd;
        _interpolate = _up > MaxPhases;
        _phases = _interpolate ? MaxPhases : _up;

        double nyquist = Math.Min(fromRate, toRate) / 2.0;
        double passEdge = PassbandFraction * nyquist;
        double cutoff = (passEdge + nyquist) / 2 / fromRate;
        double transition = 2 * Math.PI * (nyquist - passEdge) / fromRate;
        int taps = (int)Math.Ceiling((AttenuationDb - 7.95) / (2.285 * transition)) + 1;
        Taps = taps + (taps & 1);
        double beta = 0.1102 * (AttenuationDb - 8.7);

        // One extra phase (time offset 1.0) so interpolation can always read phase p + 1.
        int rows = _phases + (_interpolate ? 1 : 0);
        _coefficients = new float[rows * Taps];
        var row = new double[Taps];
        double half = Taps / 2.0;
        double i0Beta = BesselI0(beta);
        for (int p = 0; p < rows; p++)
        {
            double sum = 0;
            for (int m = 0; m < Taps; m++)
            {
                // Tap m multiplies input sample (i - Taps/2 + 1 + m) for an output at input time i + p/phases.
                double t = (double)p / _phases + half - 1 - m;
                double u = t / half;
                double window = BesselI0(beta * Math.Sqrt(Math.Max(0, 1 - (u * u)))) / i0Beta;
                double x = Math.PI * 2 * cutoff * t;
                double sinc = x == 0 ? 1 : Math.Sin(x) / x;
                row[m] = 2 * cutoff * sinc * window;
                sum += row[m];
            }

            // Unit DC gain per phase; otherwise the phases differ slightly and a constant picks up a ripple.
            for (int m = 0; m < Taps; m++)
            {
                _coefficients[(p * Taps) + m] = (float)(row[m] / sum);
            }
        }
    }

    /// <summary>Taps per phase, i.e. input samples per output sample.</summary>
    internal int Taps { get; }

    /// <summary>Resamples all of <paramref name="input"/>: the same outputs as feeding it to <see cref="Stream"/> in pieces.</summary>
    public float[] Process(ReadOnlySpan<float> input)
    {
        var stream = Stream(input.Length);
        stream.Push(input);
        return stream.Finish();
    }

    /// <summary>A resampling of input that arrives in pieces; <paramref name="expectedInput"/> sizes the output.</summary>
    public ResamplingStream Stream(long expectedInput) => new(this, expectedInput);

    /// <summary>Output samples for <paramref name="inputLength"/> input samples.</summary>
    internal long OutputLength(long inputLength) => ((inputLength * _up) + (_down / 2)) / _down;

    /// <summary>Output n: the dot product of the padded input from <paramref name="window"/> with the phase <paramref name="fraction"/> gives.</summary>
    internal float Output(ReadOnlySpan<float> window, int fraction)
    {
        ReadOnlySpan<float> coefficients = _coefficients;
        if (!_interpolate)
        {
            return TensorPrimitives.Dot(window, coefficients.Slice(fraction * Taps, Taps));
        }

        double position = (double)fraction * _phases / _up;
        int phase = (int)position;
        float weight = (float)(position - phase);
        float y0 = TensorPrimitives.Dot(window, coefficients.Slice(phase * Taps, Taps));
        float y1 = TensorPrimitives.Dot(window, coefficients.Slice((phase + 1) * Taps, Taps));
        return y0 + (weight * (y1 - y0));
    }

    /// <summary>Advances a window start and phase by one output step (M/L input samples).</summary>
    internal void Step(ref long index, ref int fraction)
    {
        index += _down / _up;
        fraction += _down % _up;
        if (fraction >= _up)
        {
            fraction -= _up;
            index++;
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static double BesselI0(double x)
    {
        double sum = 1;
        double term = 1;
        double quarterSquare = x * x / 4;
        for (int k = 1; term > 1e-12 * sum; k++)
        {
            term *= quarterSquare / ((double)k * k);
            sum += term;
        }

        return sum;
    }
}

/// <summary>
/// Resamples input given in pieces, holding only a block of it: output n is computed as soon as the input its
/// window covers has arrived. The input is padded as if it were one array with Taps/2 - 1 zeros before it and
/// Taps + 1 after, so the outputs equal those of resampling the whole input at once (ResamplerTests compare).
/// </summary>
internal sealed class ResamplingStream
{
    private const int Block = 16384;

    private readonly PolyphaseFilter _filter;
    private readonly int _taps;
    private readonly float[] _window;
    private float[] _output;
    private long _base; // padded position of _window[0]
    private int _count;
    private long _index; // padded position where the next output's window starts
    private int _fraction;
    private int _written;
    private long _input;
    private long _limit = long.MaxValue;

    public ResamplingStream(PolyphaseFilter filter, long expectedInput)
    {
        _filter = filter;
        _taps = filter.Taps;
        _output = new float[CheckedLength(filter.OutputLength(Math.Max(0, expectedInput)))];
        _window = new float[_taps + Block];
        _count = (_taps / 2) - 1; // the leading zeros
    }

    public void Push(ReadOnlySpan<float> input)
    {
        _input += input.Length;
        Append(input);
    }

    /// <summary>The output for all input pushed; the stream is finished with.</summary>
    public float[] Finish()
    {
        _limit = CheckedLength(_filter.OutputLength(_input));
        Span<float> zeros = stackalloc float[256];
        zeros.Clear();
        for (int left = _taps + 1; left > 0; left -= zeros.Length)
        {
            Append(zeros[..Math.Min(left, zeros.Length)]);
        }

        int length = (int)Math.Min(_written, _limit);
        return length == _output.Length ? _output : _output[..length];
    }

    private void Append(ReadOnlySpan<float> input)
    {
        while (!input.IsEmpty)
        {
            if (_count == _window.Length)
            {
                // Keep from the next output's window on (less than Taps samples): all before it is done with.
                int done = (int)(_index - _base);
                _window.AsSpan(done, _count - done).CopyTo(_window);
                _count -= done;
                _base = _index;
            }

            int n = Math.Min(input.Length, _window.Length - _count);
            input[..n].CopyTo(_window.AsSpan(_count));
            _count += n;
            input = input[n..];
            while (_written < _limit && _index + _taps <= _base + _count)
            {
                if (_written == _output.Length)
                {
                    Array.Resize(ref _output, (int)Math.Min(Array.MaxLength, Math.Max(1024, 2L * _output.Length)));
                }

                _output[_written++] = _filter.Output(_window.AsSpan((int)(_index - _base), _taps), _fraction);
                _filter.Step(ref _index, ref _fraction);
            }
        }
    }

    private static int CheckedLength(long outputs) =>
        outputs <= Array.MaxLength ? (int)outputs : throw new ArgumentException($"resampling would make {outputs} samples, more than an array holds");
}
