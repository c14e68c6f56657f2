using System.Text.Json.Serialization;
using static Rtser.Features.OptionChecks;

namespace Rtser.Features.Mfcc;

/// <summary>
/// MFCC configuration. The defaults are Kaldi's compute-mfcc-feats recipe as torchaudio's
/// <c>torchaudio.compliance.kaldi.mfcc(w * 32768, sample_frequency=16000, dither=0.0, use_energy=True)</c>
/// computes it: 25 ms Povey window, 10 ms shift, snip edges, per-frame DC removal, pre-emphasis 0.97,
/// 512-point FFT power spectrum, 23 mel bins from 20 Hz to Nyquist, log, orthonormal DCT-II,
/// 13 coefficients, lifter 22, raw log energy (before pre-emphasis and window) as c0.
/// torchaudio's own default is use_energy=False; Kaldi's binary defaults to true, which is what
/// the recipe names, so both are offered and both are tested against torchaudio.
/// A record, so model cards can embed it and the service can compare it for equality.
/// </summary>
public sealed record MfccOptions
{
    public int SampleRate { get; init; } = 16000;

    public double FrameLengthMs { get; init; } = 25.0;

    public double FrameShiftMs { get; init; } = 10.0;

    /// <summary>Kaldi works on 16-bit integer scale; our samples are in [-1, 1].</summary>
    public float InputScale { get; init; } = 32768f;

    public bool RemoveDcOffset { get; init; } = true;

    public float PreEmphasis { get; init; } = 0.97f;

    /// <summary>"povey" (sin(pi n / (N - 1))^1.7, Kaldi's default), "hamming" or "hann" (symmetric).</summary>
    public string Window { get; init; } = "povey";

    public int MelBins { get; init; } = 23;

    public double LowFrequency { get; init; } = 20.0;

    /// <summary>Upper mel edge in Hz; zero or negative means Nyquist plus this value (Kaldi convention).</summary>
    public double HighFrequency { get; init; }

    public int Coefficients { get; init; } = 13;

    public double CepstralLifter { get; init; } = 22.0;

    /// <summary>Replace c0 with the frame's log energy.</summary>
    public bool UseEnergy { get; init; } = true;

    /// <summary>Log energy of the frame before pre-emphasis and windowing (Kaldi default).</summary>
    public bool RawEnergy { get; init; } = true;

    /// <summary>Floor of the energy before the log; torchaudio's default is 1.0 (so log energy >= 0).</summary>
    public double EnergyFloor { get; init; } = 1.0;

    /// <summary>0: static coefficients only; 1: plus deltas; 2: plus delta-deltas (Kaldi add-deltas).</summary>
    public int DeltaOrder { get; init; }

    public int DeltaWindow { get; init; } = 2;

    [JsonIgnore]
    public int FrameLength => (int)Math.Round(SampleRate * FrameLengthMs / 1000.0);

    [JsonIgnore]
    public int FrameShift => (int)Math.Round(SampleRate * FrameShiftMs / 1000.0);

    [JsonIgnore]
    public int FftSize => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)FrameLength);

    [JsonIgnore]
    public int Width => Coefficients * (DeltaOrder + 1);

    [JsonIgnore]
    public double FrameShiftSeconds => FrameShift / (double)SampleRate;

    [JsonIgnore]
    public double UpperFrequency => HighFrequency > 0 ? HighFrequency : (SampleRate / 2.0) + HighFrequency;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public MfccOptions Validate()
    {
        Check(SampleRate is >= 8000 and <= 192000, $"SampleRate {SampleRate} must be 8000-192000 Hz.");
        Check(FrameLengthMs > 0 && FrameLength >= 16 && FrameLength <= 16384, $"FrameLengthMs {FrameLengthMs} gives {FrameLength} samples; need 16-16384.");
        Check(FrameShiftMs > 0 && FrameShift >= 1, $"FrameShiftMs {FrameShiftMs} must give at least one sample.");
        Check(InputScale > 0 && float.IsFinite(InputScale), $"InputScale {InputScale} must be positive.");
        Check(PreEmphasis is >= 0f and < 1f, $"PreEmphasis {PreEmphasis} must be in [0, 1).");
        Check(Window is "povey" or "hamming" or "hann", $"Window '{Window}' must be povey, hamming or hann.");
        Check(MelBins is >= 3 and <= 256, $"MelBins {MelBins} must be 3-256.");
        Check(LowFrequency >= 0 && LowFrequency < UpperFrequency, $"LowFrequency {LowFrequency} must be >= 0 and below the upper edge {UpperFrequency}.");
        Check(UpperFrequency <= SampleRate / 2.0, $"HighFrequency {HighFrequency} must not exceed Nyquist.");
        Check(Coefficients >= 1 && Coefficients <= MelBins, $"Coefficients {Coefficients} must be 1-{MelBins} (MelBins).");
        Check(CepstralLifter >= 0, $"CepstralLifter {CepstralLifter} must be >= 0.");
        Check(EnergyFloor >= 0, $"EnergyFloor {EnergyFloor} must be >= 0.");
        Check(DeltaOrder is >= 0 and <= 2, $"DeltaOrder {DeltaOrder} must be 0, 1 or 2.");
        Check(DeltaWindow is >= 1 and <= 10, $"DeltaWindow {DeltaWindow} must be 1-10.");
        return this;
    }
}
