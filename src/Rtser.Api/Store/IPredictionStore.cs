using Rtser.Api.Predictions;
using Rtser.Inference;

namespace Rtser.Api.Store;

/// <summary>
/// Where predictions are kept. A completed <see cref="AddAsync"/> is durable: the service answers 201 only
/// after it returns.
/// </summary>
public interface IPredictionStore
{
    /// <summary>Creates or upgrades the schema; called once at start-up.</summary>
    Task InitializeAsync(CancellationToken cancel);

    /// <param name="owner">The API key name that made it; null when keys are off.</param>
    /// <param name="speakerStatistics">What the recording adds to its speaker's profile (speaker-adapted models only).</param>
    Task AddAsync(Prediction prediction, string? audioPath, string? owner, CancellationToken cancel, float[]? speakerStatistics = null);

    /// <summary>
    /// The profile statistics of <paramref name="speaker"/>'s latest <paramref name="take"/> recordings made by
    /// <paramref name="owner"/> (null: those made without a key), newest first, with the label each was given.
    /// </summary>
    Task<IReadOnlyList<ProfileRecording>> SpeakerStatisticsAsync(string speaker, string? owner, int take, CancellationToken cancel);

    /// <summary>Erases the profile statistics of <paramref name="speaker"/>'s predictions by <paramref name="owner"/>; returns how many held some.</summary>
    Task<int> ForgetSpeakerAsync(string speaker, string? owner, CancellationToken cancel);

    /// <summary>The prediction, if it exists and belongs to <paramref name="owner"/> (any owner when null).</summary>
    Task<Prediction?> GetAsync(Guid id, string? owner, CancellationToken cancel);

    Task<PredictionPage> ListAsync(PredictionQuery query, CancellationToken cancel);

    /// <summary>Every matching prediction, newest first, read row by row rather than loaded at once.</summary>
    IAsyncEnumerable<Prediction> StreamAsync(PredictionQuery query, CancellationToken cancel);

    /// <summary>Deletes the row; returns the stored audio path (if any) so it can be deleted too, or false when absent.</summary>
    Task<(bool Found, string? AudioPath)> DeleteAsync(Guid id, string? owner, CancellationToken cancel);

    /// <summary>Deletes everything created before <paramref name="cutoff"/>; returns the kept audio files to delete.</summary>
    Task<IReadOnlyList<string>> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancel);

    /// <summary>True when the store answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancel);
}
