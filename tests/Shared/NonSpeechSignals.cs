namespace Rtser.Tests.Shared;

/// <summary>Non-speech with energy, generated at 16 kHz: what the speech-likeness check must turn away.</summary>
internal static class NonSpeechSignals
{
    public const int Rate = 16000;

    /// <summary>A sine gliding from <paramref name="fromHz"/> to <paramref name="toHz"/> (linearly or on a log scale) with a tremolo.</summary>
    public static float[] Sweep(double fromHz, double toHz, bool logarithmic, double tremoloHz, double seconds = 4)
    {
        var x = new float[(int)(seconds * Rate)];
        double phase = 0;
        for (int n = 0; n < x.Length; n++)
        {
            double u = n / (double)x.Length;
            double hz = logarithmic ? fromHz * Math.Pow(toHz / fromHz, u) : fromHz + ((toHz - fromHz) * u);
            phase += 2 * Math.PI * hz / Rate;
            double tremolo = 0.55 + (0.45 * Math.Sin(2 * Math.PI * tremoloHz * n / Rate));
            x[n] = (float)(0.4 * tremolo * Math.Sin(phase));
        }

        return x;
    }

    /// <summary>A 1 kHz beep, steady or switched on and off every <paramref name="periodSeconds"/> (with 5 ms ramps, as real beeps have).</summary>
    public static float[] Beep(double seconds, double periodSeconds = 0)
    {
        var x = new float[(int)(seconds * Rate)];
        for (int n = 0; n < x.Length; n++)
        {
            double t = n / (double)Rate;
            x[n] = (float)(0.3 * Gate(t, periodSeconds) * Math.Sin(2 * Math.PI * 1000 * t));
        }

        return x;
    }

    /// <summary>Telephone keypad tones: 200 ms two-tone digits with 100 ms gaps.</summary>
    public static float[] Dtmf(string digits = "0123456789*#0815")
    {
        double[] rows = [697, 770, 852, 941];
        double[] columns = [1209, 1336, 1477];
        const string keys = "123456789*0#";
        int tone = Rate / 5;
        int gap = Rate / 10;
        var x = new float[digits.Length * (tone + gap)];
        for (int d = 0; d < digits.Length; d++)
        {
            int key = keys.IndexOf(digits[d], StringComparison.Ordinal);
            double low = rows[key / 3];
            double high = columns[key % 3];
            for (int n = 0; n < tone; n++)
            {
                double t = n / (double)Rate;
                double ramp = Math.Min(1, Math.Min(n, tone - n) / (0.005 * Rate));
                x[(d * (tone + gap)) + n] = (float)(0.2 * ramp * (Math.Sin(2 * Math.PI * low * t) + Math.Sin(2 * Math.PI * high * t)));
            }
        }

        return x;
    }

    /// <summary>
    /// Synthetic music at 120 beats a minute: a triad of harmonic tones (six partials, 1/h) struck on every beat
    /// and decaying, the chord changing every two beats, a bass note every bar, and a drum-like noise burst every beat.
    /// </summary>
    public static float[] Music(double seconds = 6, int seed = 3)
    {
        double[][] chords = [[261.6, 329.6, 392.0], [220.0, 261.6, 329.6], [174.6, 220.0, 261.6], [196.0, 246.9, 293.7]];
        var rng = new Random(seed);
        var x = new float[(int)(seconds * Rate)];
        int beat = Rate / 2;
        for (int n = 0; n < x.Length; n++)
        {
            double t = n / (double)Rate;
            int b = n / beat;
            double sinceBeat = (n % beat) / (double)Rate;
            double sinceBar = (n % (4 * beat)) / (double)Rate;
            double[] chord = chords[(b / 2) % chords.Length];
            double v = 0;
            foreach (double f in chord)
            {
                v += Harmonic(f, t) * Math.Exp(-sinceBeat / 0.35);
            }

            v += 1.5 * Harmonic(chord[0] / 4, t) * Math.Exp(-sinceBar / 0.8);
            v += 2.0 * ((rng.NextDouble() * 2) - 1) * Math.Exp(-sinceBeat / 0.04);
            x[n] = (float)(0.08 * v);
        }

        return x;
    }

    /// <summary>White or pink noise whose amplitude is modulated at <paramref name="modulationHz"/> (a syllable-like rate).</summary>
    public static float[] ModulatedNoise(bool pink, double modulationHz, double seconds = 4, int seed = 5)
    {
        float[] noise = pink ? PinkNoise(seconds, seed) : WhiteNoise(seconds, seed);
        for (int n = 0; n < noise.Length; n++)
        {
            noise[n] *= (float)(0.5 + (0.5 * Math.Sin(2 * Math.PI * modulationHz * n / Rate)));
        }

        return noise;
    }

    public static float[] WhiteNoise(double seconds, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, (int)(seconds * Rate)).Select(_ => (float)(0.3 * ((rng.NextDouble() * 2) - 1)))];
    }

    /// <summary>Pink noise by Paul Kellet's economy filter (within 0.5 dB of -3 dB per octave above 10 Hz).</summary>
    public static float[] PinkNoise(double seconds, int seed)
    {
        var rng = new Random(seed);
        var x = new float[(int)(seconds * Rate)];
        double b0 = 0, b1 = 0, b2 = 0;
        for (int n = 0; n < x.Length; n++)
        {
            double w = (rng.NextDouble() * 2) - 1;
            b0 = (0.99765 * b0) + (w * 0.0990460);
            b1 = (0.96300 * b1) + (w * 0.2965164);
            b2 = (0.57000 * b2) + (w * 1.0526913);
            x[n] = (float)(0.1 * (b0 + b1 + b2 + (w * 0.1848)));
        }

        return x;
    }

    /// <summary>
    /// Babble-like noise without speech: <paramref name="talkers"/> streams of pink noise, each switched on and off
    /// in irregular syllable-like bursts (90-350 ms, raised-cosine edges, gaps of 30-400 ms, levels within 12 dB),
    /// summed: the level of a crowd's murmur with none of its sounds.
    /// </summary>
    public static float[] Babble(double seconds, int talkers = 4, int seed = 7)
    {
        var rng = new Random(seed);
        var x = new float[(int)(seconds * Rate)];
        for (int k = 0; k < talkers; k++)
        {
            float[] noise = PinkNoise(seconds, seed + 100 + k);
            int n = rng.Next(0, Rate / 4);
            while (n < x.Length)
            {
                int length = (int)(Rate * (0.09 + (0.26 * rng.NextDouble())));
                double gain = Math.Pow(10, -12 * rng.NextDouble() / 20);
                for (int i = 0; i < length && n + i < x.Length; i++)
                {
                    x[n + i] += (float)(gain * 0.5 * (1 - Math.Cos(2 * Math.PI * i / length)) * noise[n + i]);
                }

                n += length + (int)(Rate * (0.03 + (0.37 * rng.NextDouble())));
            }
        }

        return x;
    }

    /// <summary>Scaled to an RMS level of <paramref name="dbfs"/> dB re full scale (a sine of amplitude 1 being -3 dB).</summary>
    public static float[] AtLevel(float[] x, double dbfs)
    {
        double rms = Math.Sqrt(x.Average(v => (double)v * v));
        double gain = Math.Pow(10, dbfs / 20) / rms;
        return [.. x.Select(v => (float)(v * gain))];
    }

    /// <summary><paramref name="signal"/> plus <paramref name="noise"/> scaled to <paramref name="snrDb"/> below it (by mean power), noise looped.</summary>
    public static float[] Mix(float[] signal, float[] noise, double snrDb)
    {
        double ps = signal.Average(v => (double)v * v);
        double pn = noise.Average(v => (double)v * v);
        double gain = Math.Sqrt(ps / pn / Math.Pow(10, snrDb / 10));
        return [.. signal.Select((v, i) => (float)(v + (gain * noise[i % noise.Length])))];
    }

    private static double Harmonic(double hz, double t)
    {
        double v = 0;
        for (int h = 1; h <= 6; h++)
        {
            v += Math.Sin(2 * Math.PI * h * hz * t) / h;
        }

        return v;
    }

    private static double Gate(double t, double period)
    {
        if (period <= 0)
        {
            return 1;
        }

        double inCycle = t % (2 * period);
        if (inCycle >= period)
        {
            return 0;
        }

        return Math.Min(1, Math.Min(inCycle, period - inCycle) / 0.005);
    }
}
