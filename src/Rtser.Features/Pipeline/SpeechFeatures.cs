namespace Rtser.Features.Pipeline;

/// <summary>The features of one signal, as training exports them and the service feeds them to models.</summary>
/// <param name="Mfcc">Frames x MFCC width, 10 ms hop.</param>
/// <param name="Speech">Per MFCC frame: the speech activity decision.</param>
/// <param name="Modulation">Frames x (acoustic x modulation) log energies, 64 ms hop.</param>
/// <param name="ModulationStatistics">Utterance-level MS statistics (see ModulationSpectrumExtractor.UtteranceStatistics).</param>
/// <param name="Prosody">Per MFCC frame: ProsodyExtractor.ColumnNames; null when the caller asked for no prosody.</param>
/// <param name="ProsodyStatistics">Utterance-level prosody functionals (ProsodyExtractor.UtteranceStatistics); null with <paramref name="Prosody"/>.</param>
public sealed record SpeechFeatures(
    double DurationSeconds,
    FeatureMatrix Mfcc,
    bool[] Speech,
    double SpeechSeconds,
    FeatureMatrix Modulation,
    float[] ModulationStatistics,
    FeatureMatrix? Prosody = null,
    float[]? ProsodyStatistics = null);
