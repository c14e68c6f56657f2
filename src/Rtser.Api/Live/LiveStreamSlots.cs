using Microsoft.Extensions.Options;

namespace Rtser.Api.Live;

/// <summary>
/// Open live streams, in all (Rtser:MaxLiveStreams) and per caller (Rtser:MaxLiveStreamsPerCaller), so one key or
/// address cannot hold every slot and lock the other tenants out; and the streams' inference, one core's worth per
/// core at most, so the rest wait without holding a thread pool thread (many streams computing at once starved
/// the threads that uploads and /healthz need).
/// </summary>
public sealed class LiveStreamSlots(IOptions<RtserOptions> options)
{
    private readonly Dictionary<string, int> _byCaller = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _compute = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>A slot to hold while the stream runs; null and why (status 503 for the service, 429 for the caller) when none is free.</summary>
    public (IDisposable? Slot, int Status, string? Refusal) TryOpen(string caller)
    {
        RtserOptions o = options.Value;
        lock (_byCaller)
        {
            if (_open >= o.MaxLiveStreams)
            {
                return (null, StatusCodes.Status503ServiceUnavailable, $"{o.MaxLiveStreams} live streams are open; retry shortly");
            }

            int mine = _byCaller.GetValueOrDefault(caller);
            if (mine >= o.MaxLiveStreamsPerCaller)
            {
                return (null, StatusCodes.Status429TooManyRequests, $"you have {mine} live streams open, the most one caller may; stop one first");
            }

            _byCaller[caller] = mine + 1;
            _open++;
            return (new Slot(this, caller), 0, null);
        }
    }

    /// <summary>Runs a stream's inference when a core's share is free.</summary>
    public async Task<T> ComputeAsync<T>(Func<T> work, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _compute.WaitAsync(cancel);
        try
        {
            return work();
        }
        finally
        {
            _compute.Release();
        }
    }

    private void Close(string caller)
    {
        lock (_byCaller)
        {
            _open--;
            if (--_byCaller[caller] == 0)
            {
                _byCaller.Remove(caller);
            }
        }
    }

    private sealed class Slot(LiveStreamSlots owner, string caller) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(caller);
            }
        }
    }
}
