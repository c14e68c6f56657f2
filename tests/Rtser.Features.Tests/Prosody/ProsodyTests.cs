using Rtser.Features.Pipeline;
using Rtser.Features.Prosody;
using Rtser.Features.Tests.Modulation;

namespace Rtser.Features.Tests.Prosody;

public sealed class ProsodyTests
{
    private const int Rate = TestSignals.Rate;
    private readonly ProsodyExtractor _prosody = new();

    [Theory]
    [InlineData(65)]
    [InlineData(82.4)]
    [InlineData(123)]
    [InlineData(200)]
    [InlineData(317)]
    [InlineData(480)]
    public void A_sine_gives_its_frequency(double hz)
    {
        FeatureMatrix p = _prosody.Compute(TestSignals.Tone(hz, 1.0, amplitude: 0.3));

        AssertF0(p, hz, tolerance: 0.01, minVoiced: 0.95);
    }

    [Theory]
    [InlineData(95, 1)]
    [InlineData(140, 2)]
    [InlineData(230, 3)]
    [InlineData(390, 4)]
    public void A_harmonic_complex_gives_its_fundamental(double hz, int seed)
    {
        // Ten harmonics falling 6 dB per octave with random phases, like a glottal source; its second harmonic
        // correlates at half the period too, so halving or doubling errors would show here.
        var rng = new Random(seed);
        double[] phases = [.. Enumerable.Range(0, 10).Select(_ => rng.NextDouble() * 2 * Math.PI)];
        var x = new float[Rate];
        for (int n = 0; n < x.Length; n++)
        {
            double sum = 0;
            for (int k = 1; k <= 10 && k * hz < Rate / 2; k++)
            {
                sum += Math.Sin((2 * Math.PI * k * hz * n / Rate) + phases[k - 1]) / k;
            }

            x[n] = (float)(0.2 * sum);
        }

        AssertF0(_prosody.Compute(x), hz, tolerance: 0.02, minVoiced: 0.95);
    }

    [Fact]
    public void A_complex_without_its_fundamental_still_gives_the_fundamental()
    {
        // Harmonics 2-6 of 150 Hz: the period is still 1/150 s, which the correlation finds and a spectral peak picker would not.
        var x = new float[Rate];
        for (int n = 0; n < x.Length; n++)
        {
            double sum = 0;
            for (int k = 2; k <= 6; k++)
            {
                sum += Math.Sin((2 * Math.PI * k * 150 * n / Rate) + k);
            }

            x[n] = (float)(0.1 * sum);
        }

        AssertF0(_prosody.Compute(x), 150, tolerance: 0.02, minVoiced: 0.95);
    }

    [Fact]
    public void Silence_is_unvoiced_at_the_energy_floor()
    {
        FeatureMatrix p = _prosody.Compute(new float[Rate]);

        Assert.Equal(98, p.Frames);
        for (int t = 0; t < p.Frames; t++)
        {
            Assert.Equal(0f, p[t, 0]);
            Assert.Equal(0f, p[t, 1]);
            Assert.Equal(0f, p[t, 2]);
            Assert.Equal(-100, p[t, 3], 3);
        }
    }

    [Theory]
    [InlineData(0.3, 1)]
    [InlineData(0.01, 2)]
    public void White_noise_is_unvoiced(double amplitude, int seed)
    {
        var rng = new Random(seed);
        float[] x = [.. Enumerable.Range(0, 3 * Rate).Select(_ => (float)(amplitude * ((rng.NextDouble() * 2) - 1)))];

        FeatureMatrix p = _prosody.Compute(x);

        double voiced = Enumerable.Range(0, p.Frames).Count(t => p[t, 2] > 0) / (double)p.Frames;
        Assert.True(voiced < 0.02, $"{voiced:P1} of noise frames voiced");
    }

    [Fact]
    public void A_tone_too_quiet_to_be_speech_is_unvoiced()
    {
        FeatureMatrix p = _prosody.Compute(TestSignals.Tone(200, 1.0, amplitude: 0.0005)); // -69 dB

        Assert.All(Enumerable.Range(0, p.Frames), t => Assert.Equal(0f, p[t, 2]));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.05)]
    [InlineData(0.005)]
    public void Energy_is_the_mean_square_in_db(double amplitude)
    {
        FeatureMatrix p = _prosody.Compute(TestSignals.Tone(440, 0.5, amplitude));

        double expected = 10 * Math.Log10(amplitude * amplitude / 2);
        for (int t = 0; t < p.Frames; t++)
        {
            // 25 ms holds 11 periods of 440 Hz: the part period at the end moves the mean square by under 1%.
            Assert.InRange(p[t, 3], expected - 0.05, expected + 0.05);
        }
    }

    [Fact]
    public void The_low_band_share_separates_low_and_high_tones()
    {
        FeatureMatrix low = _prosody.Compute(TestSignals.Tone(150, 0.5));
        FeatureMatrix high = _prosody.Compute(TestSignals.Tone(3000, 0.5));

        int mid = low.Frames / 2;
        Assert.InRange(low[mid, 4], -0.5, 0.2); // 150 Hz is in the pass band
        Assert.True(high[mid, 4] < -40, $"3 kHz keeps {high[mid, 4]:F1} dB below 1 kHz");
    }

    [Fact]
    public void Frames_computed_alone_equal_the_whole_signal_and_interior_frames_ignore_what_lies_outside()
    {
        float[] x = TestSignals.ModulatedNoise(1.0, 5);
        for (int n = 0; n < x.Length; n++)
        {
            x[n] += (float)(0.3 * Math.Sin(2 * Math.PI * 180 * n / Rate));
        }

        FeatureMatrix whole = _prosody.Compute(x);
        var row = new float[ProsodyExtractor.Width];
        for (int t = 0; t < whole.Frames; t++)
        {
            _prosody.ComputeFrame(x, t, row);
            Assert.Equal(whole.Row(t).ToArray(), row);
        }

        // A frame away from the edges of a cut-out piece reads only the piece: same numbers as in the whole signal.
        const int Start = 3200; // 20 frames in
        float[] piece = x[Start..(Start + 8000)];
        FeatureMatrix part = _prosody.Compute(piece);
        int interior = 0;
        for (int t = 0; t < part.Frames; t++)
        {
            if (_prosody.IsInterior(t, piece.Length))
            {
                interior++;
                Assert.Equal(whole.Row(t + 20).ToArray(), part.Row(t).ToArray());
            }
        }

        Assert.InRange(interior, part.Frames - 3, part.Frames - 1);
    }

    [Fact]
    public void Statistics_of_a_steady_tone_and_a_glide()
    {
        FeatureMatrix steady = _prosody.Compute(TestSignals.Tone(200, 2.0, amplitude: 0.2));
        float[] s = _prosody.UtteranceStatistics(steady, new bool[steady.Frames]);
        Assert.Equal(ProsodyExtractor.StatisticsLength, s.Length);
        double st200 = 12 * Math.Log2(200);
        Assert.Equal(1.0, s[Index("pr_voiced_fraction")], 3);
        Assert.Equal(st200, s[Index("pr_f0_mean")], 1);
        Assert.True(s[Index("pr_f0_std")] < 0.05);
        Assert.True(s[Index("pr_f0_range")] < 0.1);
        Assert.Equal(10 * Math.Log10(0.02), s[Index("pr_energy_mean")], 1);
        // One run over the whole signal (all frames count as speech when none is marked).
        Assert.Equal(steady.Frames * 0.01, s[Index("pr_voiced_run_s")], 3);
        Assert.Equal(1 / (steady.Frames * 0.01), s[Index("pr_voiced_runs_per_s")], 3);
        Assert.True(s[Index("pr_hnr_mean")] > 20);

        // An exponential glide from 100 to 400 Hz over 2 s: 24 semitones, 12 per second.
        var glide = new float[2 * Rate];
        double phase = 0;
        for (int n = 0; n < glide.Length; n++)
        {
            double hz = 100 * Math.Pow(4, n / (double)glide.Length);
            phase += 2 * Math.PI * hz / Rate;
            glide[n] = (float)(0.2 * Math.Sin(phase));
        }

        FeatureMatrix g = _prosody.Compute(glide);
        float[] gs = _prosody.UtteranceStatistics(g, [.. Enumerable.Repeat(true, g.Frames)]);
        Assert.InRange(gs[Index("pr_f0_slope")], 11.5, 12.5);
        Assert.InRange(gs[Index("pr_f0_range")], 0.8 * 24 * 0.95, 0.8 * 24 * 1.05); // p10-p90 of a linear ramp
        Assert.InRange(gs[Index("pr_f0_delta")], 0.11, 0.13); // 12 semitones per second = 0.12 per 10 ms frame
    }

    [Fact]
    public void Statistics_use_speech_frames_for_energy_and_are_zero_without_voicing()
    {
        FeatureMatrix silence = _prosody.Compute(new float[Rate]);
        float[] s = _prosody.UtteranceStatistics(silence, new bool[silence.Frames]);

        Assert.Equal(0f, s[Index("pr_voiced_fraction")]);
        Assert.Equal(0f, s[Index("pr_f0_mean")]);
        Assert.Equal(-100, s[Index("pr_energy_mean")], 3);
        Assert.All(s, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(ProsodyExtractor.StatisticsLength, ProsodyExtractor.StatisticNames.Distinct().Count());
    }

    [Fact]
    public void The_extractor_fills_prosody_only_when_asked()
    {
        var extractor = new SpeechFeatureExtractor();
        float[] x = TestSignals.Tone(200, 1.0, amplitude: 0.2);

        SpeechFeatures with = extractor.Extract(x);
        SpeechFeatures without = extractor.Extract(x, prosody: false);

        Assert.Equal(with.Mfcc.Frames, with.Prosody!.Frames);
        Assert.Equal(ProsodyExtractor.StatisticsLength, with.ProsodyStatistics!.Length);
        Assert.Null(without.Prosody);
        Assert.Null(without.ProsodyStatistics);
        Assert.Equal(with.Mfcc.Data, without.Mfcc.Data);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new ProsodyOptions { MinF0Hz = 600 }.Validate());
        Assert.Throws<ArgumentException>(() => new ProsodyOptions { LowPassTaps = 32 }.Validate());
        Assert.Throws<ArgumentException>(() => new ProsodyOptions { Decimation = 3 }.Validate());
        Assert.Throws<ArgumentException>(() => new FeatureConfig { Prosody = new ProsodyOptions { FrameShiftMs = 20 } }.Validate());
    }

    private static int Index(string name) => ProsodyExtractor.StatisticNames.ToList().IndexOf(name);

    private static void AssertF0(FeatureMatrix p, double hz, double tolerance, double minVoiced)
    {
        // Frames whose analysis reaches past either end of the signal see zeros and are left out.
        int edge = 4;
        int frames = p.Frames - (2 * edge);
        int voiced = 0;
        double worst = 0;
        for (int t = edge; t < p.Frames - edge; t++)
        {
            if (p[t, 2] > 0)
            {
                voiced++;
                double f0 = Math.Pow(2, p[t, 0] / 12.0);
                worst = Math.Max(worst, Math.Abs(f0 - hz) / hz);
            }
        }

        Assert.True(voiced >= minVoiced * frames, $"{voiced} of {frames} frames voiced at {hz} Hz");
        Assert.True(worst <= tolerance, $"worst F0 error {worst:P2} at {hz} Hz");
    }
}
