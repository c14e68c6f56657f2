using System.Text.Json.Serialization;
using static Rtser.Features.OptionChecks;

namespace Rtser.Features.Modulation;

/// <summary>
/// Modulation spectral (MS) feature configuration: acoustic band x modulation band energies over
/// sliding frames, after Wu, Falk &amp; Chan (2011) and SRMR (Falk 2010). The recipe:
/// <list type="number">
/// <item>16 kHz input; 16 ms Hamming STFT (256-point FFT) every 4 ms.</item>
/// <item>23 ERB-spaced 4th-order gammatone bands, lowest centre 125 Hz, spaced up to 8 kHz as
/// Slaney's ERBSpace / SRMR do (top centre about 6.95 kHz). The gammatone power responses are
/// applied as weights on the power spectrum; the band envelope is the square root of the weighted
/// power (a Hilbert-envelope analogue), sampled at 250 Hz.</item>
/// <item>6 second-order band-pass modulation filters (Q = 2, as SRMR) log-spaced 2-64 Hz
/// (octaves: 2, 4, 8, 16, 32, 64 Hz); no DC band.</item>
/// <item>Energy of each filtered envelope over 256 ms Hamming frames every 64 ms (SRMR, Wu et al.),
/// output as ln(energy + <see cref="EnergyFloor"/>).</item>
/// </list>
/// Sizes are in input samples rather than milliseconds so that the configuration is exact.
/// A record, so model cards can embed it (System.Text.Json) and the service can compare it for equality.
/// </summary>
public sealed record ModulationSpectrumOptions
{
    /// <summary>Input rate in Hz. 16 kHz: the service's audio format.</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Number of gammatone bands. 23: SRMR's channel count (Wu et al. recalled as ~19 critical bands).</summary>
    public int AcousticBands { get; init; } = 23;

    /// <summary>Centre of the lowest gammatone band in Hz. 125 Hz: SRMR's lowest channel.</summary>
    public double LowestCenterHz { get; init; } = 125;

    /// <summary>
    /// Upper end of the ERB scale the centres are spread over (Slaney's ERBSpace high frequency; the top
    /// centre lands one ERB step below it). 8 kHz = Nyquist: what SRMR passes, so the centres match SRMR's.
    /// </summary>
    public double UpperFrequencyHz { get; init; } = 8000;

    /// <summary>
    /// STFT window and FFT length in samples (Hamming). 256 (16 ms), our choice: MuSAE's 32 ms window
    /// attenuates envelope modulation near 32 Hz by ~7 dB and removes 64 Hz, where 16 ms keeps
    /// 64 Hz within ~-7 dB; the price is coarser resolution (62.5 Hz bins) in the lowest ERB bands.
    /// </summary>
    public int FftSize { get; init; } = 256;

    /// <summary>
    /// STFT hop in samples, i.e. the envelope sampling period. 64 (4 ms, 250 Hz envelope rate), our choice:
    /// MuSAE's 8 ms hop gives a 62.5 Hz envelope Nyquist, too low for a 64 Hz modulation band.
    /// </summary>
    public int EnvelopeHop { get; init; } = 64;

    /// <summary>Number of modulation band-pass filters. 6: octaves 2-64 Hz (SRMR has 8 over 4-128 Hz; Wu et al. recalled as 5 over ~4-64 Hz).</summary>
    public int ModulationBands { get; init; } = 6;

    /// <summary>
    /// Lowest modulation centre in Hz. 2 Hz, our choice: one octave below SRMR's and Wu's 4 Hz to cover
    /// phrase and stress rhythm, which carry prosody. Its period exceeds a frame, so per-frame values
    /// wobble with phase; the utterance mean is the stable quantity.
    /// </summary>
    public double LowestModulationHz { get; init; } = 2;

    /// <summary>Highest modulation centre in Hz. 64 Hz: Wu et al.'s top band as recalled; SRMR goes to 128 Hz for reverberation.</summary>
    public double HighestModulationHz { get; init; } = 64;

    /// <summary>Quality factor of every modulation filter. 2: SRMR's.</summary>
    public double ModulationQ { get; init; } = 2;

    /// <summary>Energy frame length in input samples, a multiple of <see cref="EnvelopeHop"/>. 4096 (256 ms): SRMR and Wu et al.</summary>
    public int FrameLength { get; init; } = 4096;

    /// <summary>Energy frame shift in input samples, a multiple of <see cref="EnvelopeHop"/>. 1024 (64 ms): SRMR and Wu et al.</summary>
    public int FrameShift { get; init; } = 1024;

    /// <summary>
    /// Added to each cell energy before the natural log, our choice: 1e-10 is about the modulation energy
    /// of 16-bit quantisation noise envelopes, so digital silence and dither land on the same value and
    /// the log stays finite.
    /// </summary>
    public double EnergyFloor { get; init; } = 1e-10;

    /// <summary>Features per frame: acoustic-major, column = a * ModulationBands + m.</summary>
    [JsonIgnore]
    public int Width => AcousticBands * ModulationBands;

    [JsonIgnore]
    public double EnvelopeRateHz => SampleRate / (double)EnvelopeHop;

    [JsonIgnore]
    public double FrameShiftSeconds => FrameShift / (double)SampleRate;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting; returns this for chaining.</summary>
    public ModulationSpectrumOptions Validate()
    {
        Check(SampleRate is >= 8000 and <= 192000, $"SampleRate {SampleRate} must be 8000-192000 Hz.");
        Check(AcousticBands is >= 1 and <= 128, $"AcousticBands {AcousticBands} must be 1-128.");
        Check(UpperFrequencyHz > 0 && UpperFrequencyHz <= SampleRate / 2.0, $"UpperFrequencyHz {UpperFrequencyHz} must be in (0, Nyquist = {SampleRate / 2.0}].");
        Check(LowestCenterHz > 0 && LowestCenterHz < UpperFrequencyHz, $"LowestCenterHz {LowestCenterHz} must be positive and below UpperFrequencyHz {UpperFrequencyHz}.");
        Check(FftSize is >= 32 and <= 8192 && (FftSize & (FftSize - 1)) == 0, $"FftSize {FftSize} must be a power of two in 32-8192.");
        Check(EnvelopeHop >= 1 && EnvelopeHop <= FftSize, $"EnvelopeHop {EnvelopeHop} must be 1-{FftSize} (FftSize).");
        Check(ModulationBands is >= 1 and <= 32, $"ModulationBands {ModulationBands} must be 1-32.");
        Check(ModulationQ > 0 && double.IsFinite(ModulationQ), $"ModulationQ {ModulationQ} must be positive.");
        Check(LowestModulationHz > 0 && LowestModulationHz <= HighestModulationHz, $"LowestModulationHz {LowestModulationHz} must be positive and not above HighestModulationHz {HighestModulationHz}.");
        Check(ModulationBands > 1 || LowestModulationHz == HighestModulationHz, "With one modulation band LowestModulationHz must equal HighestModulationHz.");
        Check(ModulationBands == 1 || LowestModulationHz < HighestModulationHz, "With several modulation bands LowestModulationHz must be below HighestModulationHz.");

        // The top filter's upper half-power edge must stay below the envelope Nyquist or it aliases.
        double upperEdge = HighestModulationHz * (1 + (1 / (2 * ModulationQ)));
        Check(upperEdge < EnvelopeRateHz / 2, $"HighestModulationHz {HighestModulationHz} (upper edge {upperEdge:F1} Hz at Q {ModulationQ}) must stay below the envelope Nyquist {EnvelopeRateHz / 2:F1} Hz; lower it or the EnvelopeHop.");
        Check(FrameLength > 0 && FrameLength % EnvelopeHop == 0 && FrameLength / EnvelopeHop >= 2, $"FrameLength {FrameLength} must be a positive multiple of EnvelopeHop {EnvelopeHop} spanning at least 2 envelope samples.");
        Check(FrameShift > 0 && FrameShift % EnvelopeHop == 0, $"FrameShift {FrameShift} must be a positive multiple of EnvelopeHop {EnvelopeHop}.");
        Check(EnergyFloor > 0 && double.IsFinite(EnergyFloor), $"EnergyFloor {EnergyFloor} must be positive and finite.");
        return this;
    }
}
