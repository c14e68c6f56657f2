using Microsoft.Extensions.Options;

namespace Rtser.Api.Analysis;

/// <summary>
/// Bounds how many uploads are analysed at once (CPU work: more than the cores only adds latency) and how many
/// may wait. A burst beyond the queue is refused at once with 503 and Retry-After instead of piling up
/// into timeouts or memory.
/// </summary>
public sealed class InferenceGate
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxQueue;
    private int _waiting;
    private int _running;

    public InferenceGate(IOptions<RtserOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int concurrency = options.Value.MaxConcurrentAnalyses > 0 ? options.Value.MaxConcurrentAnalyses : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        _maxQueue = options.Value.MaxQueuedAnalyses;
        Concurrency = concurrency;
    }

    public int Concurrency { get; }

    public int Waiting => Volatile.Read(ref _waiting);

    public int Running => Volatile.Read(ref _running);

    /// <summary>A slot to hold while analysing, or null when the queue is full.</summary>
    public async Task<IDisposable?> EnterAsync(CancellationToken cancel)
    {
        // Free slots absorb arrivals at once; only what would really wait counts against the queue.
        if (Interlocked.Increment(ref _waiting) > _maxQueue + _slots.CurrentCount)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }

        try
        {
            await _slots.WaitAsync(cancel);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        Interlocked.Increment(ref _running);
        return new Lease(this);
    }

    private sealed class Lease(InferenceGate gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref gate._running);
                gate._slots.Release();
            }
        }
    }
}
