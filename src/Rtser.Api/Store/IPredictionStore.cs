using Rtser.Api.Predictions;

namespace Rtser.Api.Store;

/// <summary>
/// Where predictions are kept. A completed <see cref="AddAsync"/> is durable: the service answers 201 only
/// after it returns.
/// </summary>
public interface IPredictionStore
{
    /// <summary>Creates or upgrades the schema; called once at start-up.</summary>
    Task InitializeAsync(CancellationToken cancel);

    Task AddAsync(Prediction prediction, string? audioPath, CancellationToken cancel);

    Task<Prediction?> GetAsync(Guid id, CancellationToken cancel);

    Task<PredictionPage> ListAsync(PredictionQuery query, CancellationToken cancel);

    /// <summary>Every matching prediction, newest first, read row by row rather than loaded at once.</summary>
    IAsyncEnumerable<Prediction> StreamAsync(PredictionQuery query, CancellationToken cancel);

    /// <summary>Deletes the row; returns the stored audio path (if any) so it can be deleted too, or false when absent.</summary>
    Task<(bool Found, string? AudioPath)> DeleteAsync(Guid id, CancellationToken cancel);

    /// <summary>True when the store answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancel);
}
