using Rtser.Features.Modulation;
using static Rtser.Features.Tests.Modulation.TestSignals;

namespace Rtser.Features.Tests.Modulation;

public class ModulationSpectrumExtractorTests
{
    private static readonly ModulationSpectrumExtractor Extractor = new();
    private static readonly double Floor = Extractor.Options.EnergyFloor;

    [Theory]
    [InlineData(1000.0, 4.0)]
    [InlineData(2500.0, 16.0)]
    [InlineData(500.0, 8.0)]
    public void An_am_tone_peaks_in_the_acoustic_band_nearest_its_carrier_and_the_modulation_band_nearest_its_rate(double carrierHz, double modulationHz)
    {
        var ms = Extractor.Compute(AmTone(carrierHz, modulationHz, 2.5));
        double[] mean = MeanLinearEnergy(ms, Floor);

        int cell = ArgMax(mean);
        int bandsM = Extractor.Options.ModulationBands;
        Assert.Equal(Nearest(Extractor.AcousticCentersHz, carrierHz), cell / bandsM);
        Assert.Equal(Nearest(Extractor.ModulationCentersHz, modulationHz, logScale: true), cell % bandsM);
    }

    [Fact]
    public void The_default_configuration_is_23_erb_bands_by_6_octave_modulation_bands_every_64_ms()
    {
        Assert.Equal(23, Extractor.AcousticCentersHz.Count);
        Assert.Equal([2.0, 4.0, 8.0, 16.0, 32.0, 64.0], Extractor.ModulationCentersHz.Select(f => Math.Round(f, 9)));
        Assert.Equal(23 * 6, Extractor.Width);
        Assert.Equal(0.064, Extractor.FrameShiftSeconds, 12);
        Assert.Equal(0.064, Extractor.Compute(new float[16000]).FrameShiftSeconds, 12);
    }

    [Fact]
    public void Acoustic_centres_are_equally_spaced_on_the_erb_rate_scale_from_125_hz_to_about_7_khz()
    {
        static double ErbRate(double f) => 21.4 * Math.Log10(1 + (0.00437 * f));
        var centers = Extractor.AcousticCentersHz;

        Assert.Equal(125.0, centers[0], 6);
        Assert.InRange(centers[^1], 6500, 7200);
        double step = (ErbRate(centers[^1]) - ErbRate(centers[0])) / (centers.Count - 1);
        for (int a = 1; a < centers.Count; a++)
        {
            Assert.Equal(step, ErbRate(centers[a]) - ErbRate(centers[a - 1]), 3);
        }

        // Slaney's ERBSpace puts the top centre one step below the upper frequency (8 kHz).
        Assert.Equal(step, ErbRate(8000) - ErbRate(centers[^1]), 3);
    }

    [Fact]
    public void Each_gammatone_band_peaks_at_its_centre_and_is_one_erb_wide()
    {
        var o = Extractor.Options;
        double binHz = o.SampleRate / (double)o.FftSize;
        for (int a = 0; a < o.AcousticBands; a++)
        {
            float[] w = Extractor.BandWeights[a];
            double fc = Extractor.AcousticCentersHz[a];
            int peak = Extractor.BandStart[a] + Array.IndexOf(w, w.Max());
            Assert.True(Math.Abs((peak * binHz) - fc) <= binHz / 2, $"band {a}: peak at {peak * binHz} Hz, centre {fc:F1} Hz");

            // The equivalent rectangular bandwidth of the sampled power response; sampling only
            // resolves it where the ERB spans several bins.
            if (fc >= 2000)
            {
                double erb = 24.7 * (1 + (0.00437 * fc));
                double measured = w.Sum() * binHz / w.Max();
                Assert.InRange(measured / erb, 0.92, 1.08);
            }
        }
    }

    [Theory]
    [InlineData(0, 1.0, 0.3)]
    [InlineData(9, 0.25, 2.0)]
    [InlineData(16, 0.7, 4.1)]
    [InlineData(22, 0.1, 1.2)]
    public void A_sine_at_a_band_centre_has_an_envelope_equal_to_its_amplitude(int band, double amplitude, double phase)
    {
        var stream = Extractor.CreateStream();
        stream.ComputeEnvelope(Tone(Extractor.AcousticCentersHz[band], 0.016, amplitude, phase));
        Assert.Equal(amplitude, stream.Envelope[band], amplitude * 0.02);
    }

    [Fact]
    public void The_modulation_energy_of_an_am_tone_is_half_its_squared_modulation_amplitude()
    {
        // Envelope A (1 + m sin): the 4 Hz filter (0 dB at its centre) passes A m sin, of mean power (A m)^2 / 2.
        const double amplitude = 0.5;
        const double depth = 0.6;
        int band = 9;
        var ms = Extractor.Compute(AmTone(Extractor.AcousticCentersHz[band], 4, 3, depth, amplitude));
        double[] mean = MeanLinearEnergy(ms, Floor);

        double expected = amplitude * amplitude * depth * depth / 2;
        Assert.InRange(mean[(band * Extractor.Options.ModulationBands) + 1] / expected, 0.9, 1.1);
    }

    [Fact]
    public void A_rate_midway_between_two_filters_on_a_log_scale_excites_both_equally()
    {
        var ms = Extractor.Compute(AmTone(1000, Math.Sqrt(4 * 8), 3));
        double[] mean = MeanLinearEnergy(ms, Floor);
        int cell = Nearest(Extractor.AcousticCentersHz, 1000) * Extractor.Options.ModulationBands;

        Assert.InRange(mean[cell + 1] / mean[cell + 2], 0.85, 1.15);
        Assert.True(mean[cell + 1] > 5 * mean[cell + 3], "the next band up should be well below");
    }

    [Fact]
    public void An_unmodulated_tone_puts_little_energy_in_the_modulation_bands()
    {
        double am = MeanLinearEnergy(Extractor.Compute(AmTone(1000, 4, 3)), Floor).Sum();
        double steady = MeanLinearEnergy(Extractor.Compute(Tone(1000, 3)), Floor).Sum();

        Assert.True(steady < 1e-3 * am, $"steady {steady:E2} vs modulated {am:E2}");
    }

    [Fact]
    public void Doubling_the_amplitude_quadruples_the_energies()
    {
        double[] quiet = MeanLinearEnergy(Extractor.Compute(AmTone(1000, 8, 2, amplitude: 0.2)), Floor);
        double[] loud = MeanLinearEnergy(Extractor.Compute(AmTone(1000, 8, 2, amplitude: 0.4)), Floor);
        int peak = ArgMax(quiet);

        Assert.Equal(4.0, loud[peak] / quiet[peak], 2);
    }

    [Fact]
    public void Silence_gives_finite_values_at_the_energy_floor()
    {
        var ms = Extractor.Compute(new float[3 * Rate]);

        Assert.Equal(43, ms.Frames);
        Assert.All(ms.Data.Take(ms.Frames * ms.Width), v => Assert.Equal(Math.Log(Floor), v, 3));
        Assert.All(Extractor.UtteranceStatistics(ms), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Noise_and_clipping_level_input_give_finite_values()
    {
        var loud = ModulatedNoise(2, seed: 3).Select(v => Math.Clamp(v * 10, -1f, 1f)).ToArray();
        var faint = ModulatedNoise(2, seed: 4).Select(v => v * 1e-6f).ToArray();

        Assert.All(Extractor.Compute(loud).Data, v => Assert.True(float.IsFinite(v)));
        Assert.All(Extractor.Compute(faint).Data, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(100, 0)]
    [InlineData(4287, 0)]  // 256 ms frame + 16 ms STFT window - one 4 ms hop, minus a sample
    [InlineData(4288, 1)]
    [InlineData(4288 + 1023, 1)]
    [InlineData(4288 + 1024, 2)]
    [InlineData(48000, 43)]
    public void Short_input_gives_no_frames_and_frames_start_once_a_whole_window_has_arrived(int samples, int frames)
    {
        var ms = Extractor.Compute(new float[samples]);

        Assert.Equal(frames, ms.Frames);
        Assert.Equal(frames, Extractor.FrameCount(samples));
        Assert.Equal(Extractor.Width, ms.Width);
    }

    [Fact]
    public void Utterance_statistics_have_a_name_for_every_entry()
    {
        int a = Extractor.Options.AcousticBands, m = Extractor.Options.ModulationBands;

        Assert.Equal((2 * a * m) + (3 * m), Extractor.StatisticsLength);
        Assert.Equal(Extractor.StatisticsLength, Extractor.StatisticNames.Count);
        Assert.Equal(Extractor.StatisticNames.Count, Extractor.StatisticNames.Distinct().Count());
        Assert.Equal("ms_mean_a00_m0", Extractor.StatisticNames[0]);
        Assert.Equal("ms_std_a00_m0", Extractor.StatisticNames[a * m]);
        Assert.Equal("ms_centroid_hz_m0", Extractor.StatisticNames[2 * a * m]);
        Assert.Equal("ms_crest_m5", Extractor.StatisticNames[^1]);
    }

    [Fact]
    public void Utterance_means_and_deviations_are_the_moments_of_each_column()
    {
        var ms = Extractor.Compute(ModulatedNoise(3, seed: 1));
        float[] stats = Extractor.UtteranceStatistics(ms);

        foreach (int c in new[] { 0, 17, 60, ms.Width - 1 })
        {
            var column = Enumerable.Range(0, ms.Frames).Select(t => (double)ms[t, c]).ToArray();
            double mean = column.Average();
            double std = Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average());
            Assert.Equal(mean, stats[c], 3);
            Assert.Equal(std, stats[ms.Width + c], 3);
        }
    }

    [Fact]
    public void Utterance_descriptors_locate_an_am_tone_across_acoustic_bands()
    {
        var ms = Extractor.Compute(AmTone(2500, 16, 3));
        float[] stats = Extractor.UtteranceStatistics(ms);
        int bandsM = Extractor.Options.ModulationBands;
        int offset = 2 * ms.Width;
        int m16 = 3;

        // Energy sits in the bands around 2.5 kHz: centroid near it, profile peaky, not flat.
        Assert.InRange(stats[offset + m16], 2000, 3100);
        Assert.True(stats[offset + bandsM + m16] < 0.2, $"flatness {stats[offset + bandsM + m16]}");
        Assert.True(stats[offset + (2 * bandsM) + m16] > 5, $"crest {stats[offset + (2 * bandsM) + m16]}");
    }

    [Fact]
    public void Utterance_statistics_of_silence_and_of_no_frames_are_a_flat_floor()
    {
        int width = Extractor.Width, bandsM = Extractor.Options.ModulationBands;
        foreach (var ms in new[] { Extractor.Compute(new float[3 * Rate]), Extractor.Compute([]) })
        {
            float[] stats = Extractor.UtteranceStatistics(ms);
            Assert.All(stats.Take(width), v => Assert.Equal(Math.Log(Floor), v, 3));
            Assert.All(stats.Skip(width).Take(width), v => Assert.Equal(0, v, 3));
            Assert.All(stats.Skip(2 * width).Take(bandsM), v => Assert.Equal(Extractor.AcousticCentersHz.Average(), v, 0));
            Assert.All(stats.Skip((2 * width) + bandsM), v => Assert.Equal(1, v, 4));
        }
    }

    [Fact]
    public void Utterance_statistics_reject_a_matrix_of_another_width() =>
        Assert.Throws<ArgumentException>(() => Extractor.UtteranceStatistics(new FeatureMatrix(2, 10, 0.064)));
}
