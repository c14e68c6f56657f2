using Microsoft.Extensions.Options;

namespace Rtser.Api.Store;

/// <summary>Deletes predictions (and kept audio) older than Rtser:RetentionDays, at start-up and every hour.</summary>
public sealed class RetentionService(IPredictionStore store, IOptions<RtserOptions> options, TimeProvider clock, ILogger<RetentionService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        double days = options.Value.RetentionDays;
        if (days <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            try
            {
                await PurgeAsync(store, clock.GetUtcNow().AddDays(-days), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Retention purge failed; retrying in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public static async Task<int> PurgeAsync(IPredictionStore store, DateTimeOffset cutoff, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(store);
        IReadOnlyList<string> audio = await store.DeleteOlderThanAsync(cutoff, cancel);
        foreach (string file in audio)
        {
            File.Delete(file);
        }

        return audio.Count;
    }
}
