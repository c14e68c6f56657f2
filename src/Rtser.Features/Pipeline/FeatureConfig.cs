using Rtser.Features.Mfcc;
using Rtser.Features.Modulation;
using Rtser.Features.Prosody;
using Rtser.Features.Vad;

namespace Rtser.Features.Pipeline;

/// <summary>
/// Everything that decides what numbers a model sees. Model cards embed it verbatim and the service
/// refuses a model whose card differs from the configuration its extractor runs (records compare by value).
/// </summary>
public sealed record FeatureConfig
{
    public const int SampleRate = 16000;

    public MfccOptions Mfcc { get; init; } = new();

    public ModulationSpectrumOptions Modulation { get; init; } = new();

    public SpeechActivityOptions SpeechActivity { get; init; } = new();

    /// <summary>
    /// Added after the first models: a card written before it has no "prosody" key and is compared without it
    /// (its models take no prosody input), so those models keep loading unchanged.
    /// </summary>
    public ProsodyOptions Prosody { get; init; } = new();

    public FeatureConfig Validate()
    {
        Mfcc.Validate();
        Modulation.Validate();
        SpeechActivity.Validate();
        Prosody.Validate();
        if (Mfcc.SampleRate != SampleRate)
        {
            throw new ArgumentException($"Mfcc.SampleRate {Mfcc.SampleRate} must be {SampleRate}: audio is resampled to 16 kHz first.");
        }

        if (Modulation.SampleRate != SampleRate)
        {
            throw new ArgumentException($"Modulation.SampleRate {Modulation.SampleRate} must be {SampleRate}: audio is resampled to 16 kHz first.");
        }

        if (Prosody.SampleRate != SampleRate)
        {
            throw new ArgumentException($"Prosody.SampleRate {Prosody.SampleRate} must be {SampleRate}: audio is resampled to 16 kHz first.");
        }

        if (Prosody.FrameLength != Mfcc.FrameLength || Prosody.FrameShift != Mfcc.FrameShift)
        {
            // The speech decisions are per MFCC frame and the prosody functionals use them row for row.
            throw new ArgumentException($"Prosody framing {Prosody.FrameLengthMs}/{Prosody.FrameShiftMs} ms must equal the MFCC's {Mfcc.FrameLengthMs}/{Mfcc.FrameShiftMs} ms.");
        }

        return this;
    }
}
