using NWaves.FeatureExtractors;
using NWaves.FeatureExtractors.Options;
using NWaves.Filters.Fda;
using Rtser.Features.Modulation;

namespace Rtser.Features.Tests.Modulation;

/// <summary>Why the extractor composes NWaves parts instead of using NWaves' AmsExtractor or its ERB bank as is.</summary>
public class NWavesPartsTests
{
    private static AmsExtractor Ams() => new(new AmsOptions
    {
        SamplingRate = 16000,
        FrameDuration = 0.016,
        HopDuration = 0.004,
        Window = NWaves.Windows.WindowType.Hamming,
        FilterBank = FilterBanks.Erb(23, 256, 16000, 125, 8000, normalizeGain: false),
        ModulationFftSize = 64,
        ModulationHopSize = 16,
    });

    [Fact]
    public void Ams_extractor_gives_raw_modulation_fft_bins_not_a_band_pass_filterbank()
    {
        var vectors = Ams().ComputeFrom(TestSignals.AmTone(1000, 4, 1));

        Assert.Equal(23 * 33, vectors[0].Length); // 64-point modulation FFT: 33 bins per band, DC included
    }

    [Fact]
    public void Ams_extractor_frames_depend_on_later_audio_so_it_cannot_stream()
    {
        float[] quietEnd = TestSignals.AmTone(1000, 4, 2);
        float[] loudEnd = (float[])quietEnd.Clone();
        for (int n = 16000; n < loudEnd.Length; n++)
        {
            loudEnd[n] *= 2; // only the second second changes
        }

        float first = Ams().ComputeFrom(quietEnd)[0][(9 * 33) + 1];
        float changed = Ams().ComputeFrom(loudEnd)[0][(9 * 33) + 1];
        Assert.NotEqual(first, changed, 3); // whole-utterance envelope normalisation reaches back to frame 0

        // Ours is causal: the frames before the change are identical.
        var extractor = new ModulationSpectrumExtractor();
        var a = extractor.Compute(quietEnd);
        var b = extractor.Compute(loudEnd);
        Assert.True(a.Row(0).SequenceEqual(b.Row(0)));
    }

    [Fact]
    public void Nwaves_erb_bank_designed_at_256_points_loses_the_low_bands_gain_so_we_design_finer()
    {
        float[][] coarse = FilterBanks.Erb(23, 256, 16000, 125, 8000, normalizeGain: false);
        float[][] fine = FilterBanks.Erb(23, 4096, 16000, 125, 8000, normalizeGain: false);

        Assert.True(coarse[0].Max() < 0.5f, $"coarse peak {coarse[0].Max()}");
        Assert.InRange(fine[0].Max(), 0.98f, 1.02f);
    }
}
