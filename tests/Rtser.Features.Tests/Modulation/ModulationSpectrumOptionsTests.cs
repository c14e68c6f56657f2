using System.Text.Json;
using Rtser.Features.Modulation;

namespace Rtser.Features.Tests.Modulation;

public class ModulationSpectrumOptionsTests
{
    public static TheoryData<string, ModulationSpectrumOptions> BadOptions => new()
    {
        { "SampleRate", new() { SampleRate = 1000 } },
        { "AcousticBands", new() { AcousticBands = 0 } },
        { "UpperFrequencyHz", new() { UpperFrequencyHz = 9000 } },
        { "LowestCenterHz", new() { LowestCenterHz = 0 } },
        { "LowestCenterHz", new() { LowestCenterHz = 8000 } },
        { "LowestCenterHz", new() { LowestCenterHz = double.NaN } },
        { "FftSize", new() { FftSize = 300 } },
        { "EnvelopeHop", new() { EnvelopeHop = 0 } },
        { "EnvelopeHop", new() { EnvelopeHop = 512 } },
        { "ModulationBands", new() { ModulationBands = 0 } },
        { "ModulationQ", new() { ModulationQ = 0 } },
        { "LowestModulationHz", new() { LowestModulationHz = 0 } },
        { "LowestModulationHz", new() { LowestModulationHz = 80 } },
        { "HighestModulationHz", new() { HighestModulationHz = 110 } },
        { "HighestModulationHz", new() { EnvelopeHop = 128 } },
        { "FrameLength", new() { FrameLength = 4000 } },
        { "FrameLength", new() { FrameLength = 64 } },
        { "FrameShift", new() { FrameShift = 0 } },
        { "FrameShift", new() { FrameShift = 1000 } },
        { "EnergyFloor", new() { EnergyFloor = 0 } },
        { "EnergyFloor", new() { EnergyFloor = double.PositiveInfinity } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validation_rejects_a_bad_setting_and_names_it(string setting, ModulationSpectrumOptions options)
    {
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ModulationSpectrumExtractor(options));
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        var options = new ModulationSpectrumOptions();
        Assert.Same(options, options.Validate());
    }

    [Fact]
    public void Options_round_trip_through_json_and_compare_by_value()
    {
        var options = new ModulationSpectrumOptions { AcousticBands = 19, ModulationBands = 5, LowestModulationHz = 4 };
        string json = JsonSerializer.Serialize(options);
        var back = JsonSerializer.Deserialize<ModulationSpectrumOptions>(json);

        Assert.Equal(options, back);
        Assert.NotEqual(new ModulationSpectrumOptions(), back);
        Assert.Contains("\"AcousticBands\":19", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Width", json, StringComparison.Ordinal); // derived values are not configuration
    }

    [Fact]
    public void A_configuration_with_other_values_still_computes()
    {
        // Wu et al. as recalled: 19 bands, 5 octave modulation filters from 4 Hz.
        var extractor = new ModulationSpectrumExtractor(new() { AcousticBands = 19, ModulationBands = 5, LowestModulationHz = 4 });
        var ms = extractor.Compute(TestSignals.AmTone(1000, 8, 2));

        Assert.Equal(19 * 5, ms.Width);
        Assert.Equal([4.0, 8.0, 16.0, 32.0, 64.0], extractor.ModulationCentersHz.Select(f => Math.Round(f, 9)));
        Assert.Equal(2, TestSignals.ArgMax(TestSignals.MeanLinearEnergy(ms, 1e-10)) % 5 + 1);
    }
}
