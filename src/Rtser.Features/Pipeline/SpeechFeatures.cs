namespace Rtser.Features.Pipeline;

/// <summary>The features of one signal, as training exports them and the service feeds them to models.</summary>
/// <param name="Mfcc">Frames x MFCC width, 10 ms hop.</param>
/// <param name="Speech">Per MFCC frame: the speech activity decision.</param>
/// <param name="Modulation">Frames x (acoustic x modulation) log energies, 64 ms hop.</param>
/// <param name="ModulationStatistics">Utterance-level MS statistics (see ModulationSpectrumExtractor.UtteranceStatistics).</param>
public sealed record SpeechFeatures(
    double DurationSeconds,
    FeatureMatrix Mfcc,
    bool[] Speech,
    double SpeechSeconds,
    FeatureMatrix Modulation,
    float[] ModulationStatistics);
