using System.Text.Json.Serialization;
using static Rtser.Features.OptionChecks;

namespace Rtser.Features.Prosody;

/// <summary>
/// Prosody stream configuration: per MFCC frame (same 25 ms / 10 ms framing, so the speech decisions apply row
/// for row) the F0 by normalised cross-correlation (NCCF, as RAPT's first pass, Talkin 1995) on the signal
/// low-passed at 1 kHz and decimated to 4 kHz, a voicing strength and decision, the frame energy and the share
/// of it below 1 kHz. Decimating first is what keeps it cheap: the lag search runs over 4 kHz samples,
/// a sixteenth of the work at 16 kHz, and parabolic interpolation of the NCCF peak recovers the lag's fraction.
/// A record, so model cards embed it and the service compares it.
/// </summary>
public sealed record ProsodyOptions
{
    public int SampleRate { get; init; } = 16000;

    /// <summary>The MFCC frame length; frame t is centred where MFCC frame t is.</summary>
    public double FrameLengthMs { get; init; } = 25.0;

    public double FrameShiftMs { get; init; } = 10.0;

    /// <summary>16 kHz / 4 = 4 kHz: a 500 Hz F0 is still 8 samples of lag.</summary>
    public int Decimation { get; init; } = 4;

    /// <summary>-6 dB point of the anti-alias low-pass (Hamming-windowed sinc); the F0 and the first harmonics lie below it.</summary>
    public double LowPassHz { get; init; } = 1000;

    /// <summary>Low-pass length at the input rate, odd so the filter has an integer delay; stop band (-53 dB) from about 1.8 kHz.</summary>
    public int LowPassTaps { get; init; } = 33;

    /// <summary>Lowest F0 searched. 60 Hz: below low male voices (EmoDB's men reach about 70 Hz when bored or sad).</summary>
    public double MinF0Hz { get; init; } = 60;

    /// <summary>Highest F0 searched. 500 Hz: above angry or happy female speech.</summary>
    public double MaxF0Hz { get; init; } = 500;

    /// <summary>Length of the correlated segments. 25 ms: one and a half periods at 60 Hz.</summary>
    public double CorrelationMs { get; init; } = 25.0;

    /// <summary>A frame is voiced when its NCCF peak reaches this (and its energy <see cref="EnergyFloorDb"/>).</summary>
    public double VoicingThreshold { get; init; } = 0.5;

    /// <summary>
    /// The F0 is the shortest-lag NCCF peak within this fraction of the highest: a periodic signal correlates
    /// as well at two periods as at one, and taking the first such peak avoids halving the F0.
    /// </summary>
    public double PeakRatio { get; init; } = 0.9;

    /// <summary>Frames quieter than this (dB re a full-scale square wave, mean square of [-1, 1] samples) are unvoiced.</summary>
    public double EnergyFloorDb { get; init; } = -60;

    /// <summary>
    /// Voiced frames have at least this share of their energy below ~1 kHz (lowband_db). -15 dB: a fricative's
    /// residue in the low-pass's transition band is narrow-band noise that correlates at short lags; voiced speech
    /// keeps most of its energy below 1 kHz.
    /// </summary>
    public double MinLowBandDb { get; init; } = -15;

    [JsonIgnore]
    public int FrameLength => (int)Math.Round(SampleRate * FrameLengthMs / 1000.0);

    [JsonIgnore]
    public int FrameShift => (int)Math.Round(SampleRate * FrameShiftMs / 1000.0);

    [JsonIgnore]
    public double FrameShiftSeconds => FrameShift / (double)SampleRate;

    [JsonIgnore]
    public int AnalysisRate => SampleRate / Decimation;

    [JsonIgnore]
    public int MinLag => (int)Math.Floor(AnalysisRate / MaxF0Hz);

    [JsonIgnore]
    public int MaxLag => (int)Math.Ceiling(AnalysisRate / MinF0Hz);

    /// <summary>Correlated segment length at the analysis rate.</summary>
    [JsonIgnore]
    public int CorrelationLength => (int)Math.Round(AnalysisRate * CorrelationMs / 1000.0);

    public ProsodyOptions Validate()
    {
        Check(SampleRate is >= 8000 and <= 192000, $"SampleRate {SampleRate} must be 8000-192000 Hz.");
        Check(FrameLength >= 16 && FrameShift >= 1 && FrameShift <= FrameLength, $"FrameLengthMs {FrameLengthMs} / FrameShiftMs {FrameShiftMs} must give 16+ samples and a shift within the frame.");
        Check(Decimation is >= 1 and <= 16, $"Decimation {Decimation} must be 1-16.");
        Check(SampleRate % Decimation == 0 && FrameShift % Decimation == 0 && FrameLength % (2 * Decimation) == 0,
            $"Decimation {Decimation} must divide the rate, the frame shift and half the frame length, so frame centres fall on analysis samples.");
        Check(LowPassTaps is >= 3 and <= 255 && LowPassTaps % 2 == 1, $"LowPassTaps {LowPassTaps} must be odd, 3-255.");
        Check(LowPassHz > 0 && LowPassHz <= AnalysisRate / 2.0, $"LowPassHz {LowPassHz} must be positive and at most the analysis Nyquist {AnalysisRate / 2.0}.");
        Check(MinF0Hz > 0 && MaxF0Hz > MinF0Hz && MinLag >= 2, $"F0 range {MinF0Hz}-{MaxF0Hz} Hz must be increasing with at least 2 samples of lag at {AnalysisRate} Hz.");
        Check(CorrelationLength >= 8, $"CorrelationMs {CorrelationMs} must give at least 8 samples.");
        Check(VoicingThreshold is > 0 and < 1, $"VoicingThreshold {VoicingThreshold} must be in (0, 1).");
        Check(PeakRatio is > 0 and <= 1, $"PeakRatio {PeakRatio} must be in (0, 1].");
        Check(double.IsFinite(EnergyFloorDb), $"EnergyFloorDb {EnergyFloorDb} must be finite.");
        Check(MinLowBandDb <= 0, $"MinLowBandDb {MinLowBandDb} must be at most 0 dB.");
        return this;
    }
}
