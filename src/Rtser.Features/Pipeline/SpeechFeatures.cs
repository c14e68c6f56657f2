namespace Rtser.Features.Pipeline;

/// <summary>The features of one signal, as training exports them and the service feeds them to models.</summary>
public sealed record SpeechFeatures(
    double DurationSeconds,
    FeatureMatrix Mfcc,
    bool[] Speech,
    double SpeechSeconds);
