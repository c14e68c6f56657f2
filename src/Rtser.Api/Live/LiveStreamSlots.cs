using Microsoft.Extensions.Options;

namespace Rtser.Api.Live;

/// <summary>
/// Open live streams, in all (Rtser:MaxLiveStreams) and per API key (Rtser:MaxLiveStreamsPerCaller), so one tenant
/// cannot hold every slot and lock the others out. Without keys there is one tenant, and only the total applies:
/// a per-address limit would cap a whole office behind one NAT or proxy. (The streams' inference is not gated here: a
/// semaphore of one slot per core was tried and did not improve uploads or /healthz under a flood; pacing each
/// stream to real time, in StreamApi, is what keeps them fast.)
/// </summary>
public sealed class LiveStreamSlots(IOptions<RtserOptions> options)
{
    private readonly Dictionary<string, int> _byCaller = new(StringComparer.Ordinal);
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>A slot to hold while the stream runs; null and why (status 503 for the service, 429 for the key) when none is free.</summary>
    /// <param name="owner">The API key's name, or null when keys are off.</param>
    public (IDisposable? Slot, int Status, string? Refusal) TryOpen(string? owner)
    {
        RtserOptions o = options.Value;
        lock (_byCaller)
        {
            if (_open >= o.MaxLiveStreams)
            {
                return (null, StatusCodes.Status503ServiceUnavailable, $"{o.MaxLiveStreams} live streams are open; retry shortly");
            }

            string caller = owner ?? "";
            int mine = _byCaller.GetValueOrDefault(caller);
            if (owner is not null && mine >= o.MaxLiveStreamsPerCaller)
            {
                return (null, StatusCodes.Status429TooManyRequests, $"this API key has {mine} live streams open, the most one key may; stop one first");
            }

            _byCaller[caller] = mine + 1;
            _open++;
            return (new Slot(this, caller), 0, null);
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
