using Rtser.Features.Pipeline;

namespace Rtser.Features.Vad;

/// <summary>The three measures <see cref="SpeechLikeness"/> decides on (see there for why).</summary>
/// <param name="SpectralChange">Median distance of the coarse spectral shape (MFCC c1..c4, unliftered) between loud frames 100 ms apart.</param>
/// <param name="ModulatedBands">Median over modulation frames of the effective number of acoustic bands carrying the syllabic (4-8 Hz) modulation.</param>
/// <param name="Periodicity">Highest autocorrelation of the sound's changes (level, and level with coarse shape) at lags of 0.15-1 s: 1 for a strict rhythm.</param>
public readonly record struct SpeechLikenessMeasures(double SpectralChange, double ModulatedBands, double Periodicity);

/// <summary>
/// Tells speech from non-speech that has energy (tones, sweeps, beeps, music, modulated noise), which the energy
/// detector (<see cref="SpeechActivityDetector"/>) lets through because its level swings. It reads only features
/// every model already gets (MFCC frames and the modulation spectrum of the same window), so it costs a pass over
/// numbers in memory, decides each window (or clip) alone, and so serves uploads and live mode alike.
/// Three things separate speech from the rest, and a window is speech-like only when it passes all three:
/// <list type="bullet">
/// <item>Speech keeps changing its coarse spectral shape: formants move and vowels give way to fricatives and
/// stops every 50-150 ms, so the low cepstral coefficients of frames 100 ms apart differ. Noise whose amplitude is
/// modulated keeps one shape however its level moves, and so do beeps.</item>
/// <item>Speech's syllabic (4-8 Hz) envelope modulation is spread over many acoustic bands at once (voicing
/// harmonics up to about 4 kHz, formants, frication above); a tone, a sweep with tremolo or a pulsed beep puts it
/// in the one or two bands it occupies at that moment.</item>
/// <item>Speech's rhythm is irregular: syllables differ in length, stress and sound, so the changes of its level
/// and shape do not repeat at one period. A tremolo, beeps switched on and off and noise modulated at a
/// syllable-like rate repeat their level's changes at a fixed period; keypad tones and a beat that strikes the
/// same chord and drum each time repeat their changes of level and shape together.</item>
/// </list>
/// The thresholds leave a margin both ways on every EmoDB and RAVDESS window with speech (none is turned away) and
/// the generated non-speech of SpeechLikenessTests: spectral change at least 3.4 in speech (and mostly above 2 with
/// pink noise at 10 dB SNR, which smooths it) against at most 1.7 for modulated noise, regular or not; modulated bands at least 2.7 in speech against at most 2.3 for a linear sweep (a log sweep
/// reaches 2.8 and is caught by its tremolo's rhythm); periodicity at most 0.71 in speech (level alone; 0.50 with
/// the shape) against 0.95 for the music and the keypad tones and 1 for tremolos and pulsed beeps.
/// Loud steady noise blurs the first measure and hides speech from the energy detector, so where a window's
/// quietest frames are steady noise the check judges the frames that rise above that noise floor (see
/// <see cref="RisingSeconds"/> and <see cref="ContrastToNoise"/>): speech in pink noise at 0-10 dB SNR passes
/// (spectral change 3.5-6.5 measured so), noise alone does not (1.1 for modulated and babble-like noise).
/// </summary>
public sealed class SpeechLikeness
{
    private readonly SpeechLikenessOptions _o;
    private readonly int _coefficients;
    private readonly double[] _unlifter;
    private readonly int _acousticBands;
    private readonly int _modulationBands;
    private readonly int[] _syllabic;
    private readonly double _minSpeechSeconds;
    private readonly int _floorFrames;

    public SpeechLikeness(FeatureConfig config, SpeechLikenessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _o = (options ?? new SpeechLikenessOptions()).Validate();
        _coefficients = Math.Min(_o.ShapeCoefficients, config.Mfcc.Coefficients - 1);
        double lifter = config.Mfcc.CepstralLifter;

        // Undo Kaldi's lifter so the coarse shape is not outweighed by the fine detail it boosts.
        _unlifter = [.. Enumerable.Range(0, _coefficients + 1).Select(k => lifter > 0 ? 1 / (1 + (0.5 * lifter * Math.Sin(Math.PI * k / lifter))) : 1)];
        _acousticBands = config.Modulation.AcousticBands;
        _modulationBands = config.Modulation.ModulationBands;
        IReadOnlyList<double> centres = new Modulation.ModulationSpectrumExtractor(config.Modulation).ModulationCentersHz;
        _syllabic = [.. Enumerable.Range(0, centres.Count).Where(m => centres[m] >= _o.SyllabicLowHz && centres[m] <= _o.SyllabicHighHz)];
        EnergyFloor = config.Modulation.EnergyFloor;
        _minSpeechSeconds = config.SpeechActivity.MinSpeechSeconds;
        _floorFrames = config.SpeechActivity.FloorWindowFrames;
    }

    public SpeechLikenessOptions Options => _o;

    private double EnergyFloor { get; }

    /// <summary>Whether the features look like speech (always true when the check is off).</summary>
    public bool IsSpeechLike(SpeechFeatures f)
    {
        if (!_o.Enabled)
        {
            return true;
        }

        SpeechLikenessMeasures m = Measure(f);
        return m.SpectralChange >= _o.MinSpectralChange && m.ModulatedBands >= _o.MinModulatedBands && m.Periodicity <= _o.MaxPeriodicity;
    }

    /// <summary>
    /// Whether the features hold enough speech to say anything (else the answer is no_speech): enough speech
    /// (<see cref="SpeechSeconds"/>), and the window as a whole sounds like speech rather than energetic non-speech.
    /// </summary>
    public bool HasSpeech(SpeechFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Modulation.Frames > 0 && SpeechSeconds(f) >= _minSpeechSeconds && IsSpeechLike(f);
    }

    /// <summary>
    /// The speech a reading counts: the energy detector's, or when it found too little (speech in loud steady
    /// noise), the frames rising above the noise floor (<see cref="RisingSeconds"/>), which only the check lets
    /// through. The detector's frame decisions, which models read, stay as they are.
    /// </summary>
    public double SpeechSeconds(SpeechFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.SpeechSeconds >= _minSpeechSeconds ? f.SpeechSeconds : Math.Max(f.SpeechSeconds, RisingSeconds(f));
    }

    public SpeechLikenessMeasures Measure(SpeechFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        float gate = LoudGate(f.Mfcc);
        NoiseFloor? noise = f.Mfcc.Frames == 0 ? null : SteadyNoiseFloor(f.Mfcc);
        double change = noise is not null && noise.Level > gate ? ContrastToNoise(f.Mfcc, noise) : SpectralChange(f.Mfcc, gate);
        return new SpeechLikenessMeasures(change, ModulatedBands(f.Modulation), Periodicity(f.Mfcc, gate));
    }

    /// <summary>
    /// Seconds of frames that rise at least NoiseMarginDb above the noise floor (the level of the quietest frames,
    /// see <see cref="SpeechLikenessOptions.NoiseFloorQuantile"/>). In steady noise the energy detector's fixed
    /// margin above its running minimum can exceed what speech rises by at all (about the SNR), so speech at 0-5 dB
    /// SNR holds few or no frames it calls speech; a smaller margin is safe here because whatever rises is then
    /// judged by <see cref="IsSpeechLike"/>, which a level swing alone does not pass. 0 when the check is off or the
    /// quietest frames are no steady noise.
    /// </summary>
    public double RisingSeconds(SpeechFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (!_o.Enabled || f.Mfcc.Frames == 0)
        {
            return 0;
        }

        if (SteadyNoiseFloor(f.Mfcc) is not NoiseFloor noise)
        {
            return 0;
        }

        float floor = noise.Level + ToLogEnergy(_o.NoiseMarginDb);
        int rising = 0;
        for (int t = 0; t < f.Mfcc.Frames; t++)
        {
            rising += f.Mfcc[t, 0] >= floor ? 1 : 0;
        }

        return rising * f.Mfcc.FrameShiftSeconds;
    }

    /// <summary>
    /// c0 is the frame's log energy (natural log): frames more than LoudRangeDb below the loudest are pauses or the
    /// detector's hangover, which must pass neither for changes of shape nor for rhythm.
    /// </summary>
    private float LoudGate(FeatureMatrix mfcc)
    {
        float loudest = float.MinValue;
        for (int t = 0; t < mfcc.Frames; t++)
        {
            loudest = Math.Max(loudest, mfcc[t, 0]);
        }

        return loudest - ToLogEnergy(_o.LoudRangeDb);
    }

    /// <summary>
    /// The noise floor: the log energy below which NoiseFloorQuantile of the frames lie, and the mean coarse shape
    /// of those frames. Null when they do not keep one shape (their median distance from it above
    /// MaxFloorSpread): then the quietest frames are no steady noise (quiet music, reverberant tails, other
    /// talkers) that speech could be told from by rising above it.
    /// </summary>
    private NoiseFloor? SteadyNoiseFloor(FeatureMatrix mfcc)
    {
        float[] levels = new float[mfcc.Frames];
        for (int t = 0; t < levels.Length; t++)
        {
            levels[t] = mfcc[t, 0];
        }

        Array.Sort(levels);
        float level = levels[(int)(_o.NoiseFloorQuantile * (levels.Length - 1))];
        var shape = new float[_coefficients + 1];
        int count = 0;
        for (int t = 0; t < mfcc.Frames; t++)
        {
            if (mfcc[t, 0] <= level)
            {
                count++;
                for (int k = 1; k <= _coefficients; k++)
                {
                    shape[k] += mfcc[t, k];
                }
            }
        }

        for (int k = 1; k <= _coefficients; k++)
        {
            shape[k] /= count;
        }

        var spread = new List<double>(count);
        for (int t = 0; t < mfcc.Frames; t++)
        {
            if (mfcc[t, 0] <= level)
            {
                spread.Add(ShapeDistance(mfcc.Row(t), shape));
            }
        }

        return Median(spread) <= _o.MaxFloorSpread ? new NoiseFloor(level, shape) : null;
    }

    private sealed record NoiseFloor(float Level, float[] Shape);

    private static float ToLogEnergy(double db) => (float)(db * Math.Log(10) / 10);

    private double SpectralChange(FeatureMatrix mfcc, float gate)
    {
        int lag = _o.ChangeLagFrames;
        var distances = new List<double>(mfcc.Frames);
        for (int t = 0; t + lag < mfcc.Frames; t++)
        {
            ReadOnlySpan<float> a = mfcc.Row(t);
            ReadOnlySpan<float> b = mfcc.Row(t + lag);
            if (a[0] < gate || b[0] < gate)
            {
                continue;
            }

            distances.Add(ShapeDistance(a, b));
        }

        return Median(distances);
    }

    /// <summary>
    /// The spectral change of a window in noise (its quietest frames within LoudRangeDb of its loudest: it never
    /// falls silent). There the frames 100 ms apart are mostly noise, or speech blurred by it, and at 0-10 dB SNR they
    /// differed as little as modulated noise does; but speech that rises above noise changes the noise's shape,
    /// and noise that only grows louder (modulated, or several noises coming and going) does not. So the measure
    /// here is the median distance of the coarse shape of the frames rising NoiseMarginDb above the noise floor
    /// from the mean shape of the floor's frames (the noise's own shape).
    /// </summary>
    private double ContrastToNoise(FeatureMatrix mfcc, NoiseFloor noise)
    {
        float rising = noise.Level + ToLogEnergy(_o.NoiseMarginDb);
        var distances = new List<double>(mfcc.Frames);
        for (int t = 0; t < mfcc.Frames; t++)
        {
            if (mfcc[t, 0] >= rising)
            {
                distances.Add(ShapeDistance(mfcc.Row(t), noise.Shape));
            }
        }

        return Median(distances);
    }

    /// <summary>Euclidean distance of two frames' coarse spectral shapes (c1 onwards, lifter undone).</summary>
    private double ShapeDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int k = 1; k <= _coefficients; k++)
        {
            double d = (b[k] - a[k]) * _unlifter[k];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    private double ModulatedBands(FeatureMatrix ms)
    {
        // Per modulation frame, exp(entropy) of the bands' shares of the syllabic energy: 1 when one band holds it
        // all, the band count for an even spread. Frames without modulation (a steady tone) have no say.
        var counts = new List<double>(ms.Frames);
        var energy = new double[_acousticBands];
        for (int t = 0; t < ms.Frames; t++)
        {
            ReadOnlySpan<float> row = ms.Row(t);
            double total = 0;
            for (int a = 0; a < _acousticBands; a++)
            {
                energy[a] = 0;
                foreach (int m in _syllabic)
                {
                    energy[a] += Math.Max(0, Math.Exp(row[(a * _modulationBands) + m]) - EnergyFloor);
                }

                total += energy[a];
            }

            if (total <= EnergyFloor * _acousticBands)
            {
                continue;
            }

            double entropy = 0;
            foreach (double e in energy)
            {
                double p = e / total;
                entropy -= p > 0 ? p * Math.Log(p) : 0;
            }

            counts.Add(Math.Exp(entropy));
        }

        return Median(counts);
    }

    private double Periodicity(FeatureMatrix mfcc, float gate)
    {
        // The sound's changes over a few frames (its level, pauses floored at the gate, and its coarse shape), so
        // the slow rise and fall of a whole utterance does not read as a rhythm, and a beat that strikes the same
        // chord and drum each time repeats in every dimension.
        int step = _o.RhythmStepFrames;
        int n = mfcc.Frames - step;
        if (n <= 0)
        {
            return 0;
        }

        int dims = _coefficients + 1;
        var x = new double[n * dims];
        for (int t = 0; t < n; t++)
        {
            ReadOnlySpan<float> a = mfcc.Row(t);
            ReadOnlySpan<float> b = mfcc.Row(t + step);
            x[t * dims] = Math.Max(b[0], gate) - Math.Max(a[0], gate);
            bool loud = a[0] >= gate && b[0] >= gate;
            for (int k = 1; k < dims; k++)
            {
                x[(t * dims) + k] = loud ? (b[k] - a[k]) * _unlifter[k] : 0;
            }
        }

        for (int k = 0; k < dims; k++)
        {
            double mean = 0;
            for (int t = 0; t < n; t++)
            {
                mean += x[(t * dims) + k] / n;
            }

            for (int t = 0; t < n; t++)
            {
                x[(t * dims) + k] -= mean;
            }
        }

        // Both the level alone (a tremolo, whose sweep moves the shape smoothly) and level and shape together. Two
        // periods are enough to be believed: in a live stream's first half second that is strict (1.5 % of the
        // corpus's first 0.5-1.5 s readings with speech are turned away), but with three a tremolo sweep's first
        // reading gets a label.
        double best = 0;
        for (int lag = _o.MinRhythmLagFrames; lag <= Math.Min(_o.MaxRhythmLagFrames, n / 2); lag++)
        {
            double xy = 0, xx = 0, yy = 0, levelXy = 0, levelXx = 0, levelYy = 0;
            for (int i = 0; i + (lag * dims) < x.Length; i++)
            {
                double u = x[i], v = x[i + (lag * dims)];
                xy += u * v;
                xx += u * u;
                yy += v * v;
                if (i % dims == 0)
                {
                    levelXy += u * v;
                    levelXx += u * u;
                    levelYy += v * v;
                }
            }

            best = Math.Max(best, Math.Max(Correlation(xy, xx, yy), Correlation(levelXy, levelXx, levelYy)));
        }

        return best;
    }

    private static double Correlation(double xy, double xx, double yy) => xx > 0 && yy > 0 ? xy / Math.Sqrt(xx * yy) : 0;

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        return values[values.Count / 2];
    }
}
