using Microsoft.Extensions.Options;

namespace Rtser.Api.Analysis;

/// <summary>
/// Bounds how many uploads are analysed at once (CPU work: more than the cores only adds latency), how many
/// seconds of decoded audio they hold together (memory: a small compressed file can hold the full duration
/// limit of silence) and how many may wait. A burst beyond the queue is refused at once with 503 and
/// Retry-After instead of piling up into timeouts or memory.
/// </summary>
public sealed class InferenceGate
{
    private readonly SemaphoreSlim _slots;
    private readonly AudioBudget _audio;
    private readonly int _maxQueue;
    private int _waiting;
    private int _running;

    public InferenceGate(IOptions<RtserOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int concurrency = options.Value.MaxConcurrentAnalyses > 0 ? options.Value.MaxConcurrentAnalyses : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        _audio = new AudioBudget(options.Value.AudioSecondsInFlight);
        _maxQueue = options.Value.MaxQueuedAnalyses;
        Concurrency = concurrency;
    }

    public int Concurrency { get; }

    /// <summary>Seconds of decoded audio all analyses together may hold (<see cref="RtserOptions.MaxAudioSecondsInFlight"/>).</summary>
    public double AudioSecondsInFlight => _audio.Capacity;

    public int Waiting => Volatile.Read(ref _waiting);

    public int Running => Volatile.Read(ref _running);

    /// <summary>A slot to hold while analysing a short clip, or null when the queue is full.</summary>
    public Task<IDisposable?> EnterAsync(CancellationToken cancel) => EnterAsync(0, cancel);

    /// <summary>
    /// A slot and <paramref name="audioSeconds"/> of the audio budget (capped at the whole budget) to hold while
    /// analysing, or null when the queue is full. Waiting for either counts against the queue.
    /// </summary>
    public async Task<IDisposable?> EnterAsync(double audioSeconds, CancellationToken cancel)
    {
        // Free slots absorb arrivals at once; only what would really wait counts against the queue.
        if (Interlocked.Increment(ref _waiting) > _maxQueue + (_audio.CanTake(audioSeconds) ? _slots.CurrentCount : 0))
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }

        IDisposable? audio = null;
        try
        {
            audio = await _audio.TakeAsync(audioSeconds, cancel);
            await _slots.WaitAsync(cancel);
        }
        catch
        {
            audio?.Dispose();
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        Interlocked.Increment(ref _running);
        return new Lease(this, audio);
    }

    private sealed class Lease(InferenceGate gate, IDisposable audio) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref gate._running);
                gate._slots.Release();
                audio.Dispose();
            }
        }
    }
}

/// <summary>
/// Seconds of decoded audio shared by the analyses in flight. Takers wait their turn in arrival order, so a long
/// recording is not starved by a stream of short ones (nor can two half-served takers block each other).
/// </summary>
internal sealed class AudioBudget(double capacitySeconds)
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Lock _lock = new();
    private readonly long _capacity = Milliseconds(capacitySeconds);
    private long _free = Milliseconds(capacitySeconds);
    private TaskCompletionSource? _returned;

    public double Capacity => _capacity / 1000.0;

    /// <summary>Whether <paramref name="seconds"/> could be taken now without waiting.</summary>
    public bool CanTake(double seconds)
    {
        lock (_lock)
        {
            return _turn.CurrentCount > 0 && Amount(seconds) <= _free;
        }
    }

    public async Task<IDisposable> TakeAsync(double seconds, CancellationToken cancel)
    {
        long amount = Amount(seconds);
        await _turn.WaitAsync(cancel);
        try
        {
            while (true)
            {
                Task returned;
                lock (_lock)
                {
                    if (amount <= _free)
                    {
                        _free -= amount;
                        return new Share(this, amount);
                    }

                    _returned ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    returned = _returned.Task;
                }

                await returned.WaitAsync(cancel);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private static long Milliseconds(double seconds) => (long)Math.Ceiling(Math.Clamp(seconds, 0, 1e12) * 1000);

    private long Amount(double seconds) => Math.Min(Milliseconds(double.IsNaN(seconds) ? double.PositiveInfinity : seconds), _capacity);

    private void Return(long amount)
    {
        TaskCompletionSource? returned;
        lock (_lock)
        {
            _free += amount;
            returned = _returned;
            _returned = null;
        }

        returned?.TrySetResult();
    }

    private sealed class Share(AudioBudget budget, long amount) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                budget.Return(amount);
            }
        }
    }
}
