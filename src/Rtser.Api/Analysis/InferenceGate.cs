using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Rtser.Api.Analysis;

/// <summary>
/// Bounds how many uploads are analysed at once (CPU work: more than the cores only adds latency), how many
/// seconds of decoded audio they hold together (memory: a small compressed file can hold the full duration
/// limit of silence) and how many may wait. A burst beyond the queue is refused at once with 503 and
/// Retry-After instead of piling up into timeouts or memory. Both bounds are <see cref="ConcurrencyLimiter"/>s
/// served oldest first, so a long recording waiting for the audio budget is not overtaken by short ones.
/// </summary>
public sealed class InferenceGate : IDisposable
{
    // The budget's permits are tenths of a second: whole seconds would round a short clip up to a tenth of a
    // minute's budget, and milliseconds would let a few queued long recordings overflow the limiter's int count.
    private const double PermitsPerSecond = 10;

    private readonly ConcurrencyLimiter _slots;
    private readonly ConcurrencyLimiter _audio;
    private readonly int _audioPermits;
    private readonly int _maxQueue;
    private int _waiting;
    private int _running;

    public InferenceGate(IOptions<RtserOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int concurrency = options.Value.MaxConcurrentAnalyses > 0 ? options.Value.MaxConcurrentAnalyses : Environment.ProcessorCount;
        _maxQueue = options.Value.MaxQueuedAnalyses;
        _audioPermits = (int)Math.Clamp(Math.Ceiling(options.Value.AudioSecondsInFlight * PermitsPerSecond), 1, 1e8);

        // The queues themselves are unbounded: _waiting bounds them together (see EnterAsync).
        _slots = new ConcurrencyLimiter(new() { PermitLimit = concurrency, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst });
        _audio = new ConcurrencyLimiter(new() { PermitLimit = _audioPermits, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst });
        Concurrency = concurrency;
    }

    public int Concurrency { get; }

    /// <summary>Seconds of decoded audio all analyses together may hold (<see cref="RtserOptions.MaxAudioSecondsInFlight"/>).</summary>
    public double AudioSecondsInFlight => _audioPermits / PermitsPerSecond;

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
        int permits = Permits(audioSeconds);

        // Free slots and budget absorb arrivals at once; only what would really wait counts against the queue.
        RateLimitLease audio = _audio.AttemptAcquire(permits);
        if (audio.IsAcquired)
        {
            RateLimitLease slot = _slots.AttemptAcquire();
            if (slot.IsAcquired)
            {
                return Enter(audio, slot);
            }

            slot.Dispose();
        }

        // Kept beside the limiters: an upload waiting for the budget is in neither's queue for slots, and one waiting
        // for a slot already holds its budget, so neither limiter's queue limit alone bounds the uploads waiting.
        if (Interlocked.Increment(ref _waiting) > _maxQueue)
        {
            Interlocked.Decrement(ref _waiting);
            audio.Dispose();
            return null;
        }

        RateLimitLease slotLease;
        try
        {
            if (!audio.IsAcquired)
            {
                audio.Dispose();
                audio = await _audio.AcquireAsync(permits, cancel);
            }

            slotLease = await _slots.AcquireAsync(1, cancel);
        }
        catch
        {
            audio.Dispose();
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        if (!audio.IsAcquired || !slotLease.IsAcquired)
        {
            // Only a disposed limiter (the service stopping) refuses a queued request; its caller gets the 503.
            slotLease.Dispose();
            audio.Dispose();
            return null;
        }

        return Enter(audio, slotLease);
    }

    public void Dispose()
    {
        _slots.Dispose();
        _audio.Dispose();
    }

    private Lease Enter(RateLimitLease audio, RateLimitLease slot)
    {
        Interlocked.Increment(ref _running);
        return new Lease(this, audio, slot);
    }

    private int Permits(double seconds) =>
        double.IsNaN(seconds) ? _audioPermits : (int)Math.Min(Math.Ceiling(Math.Clamp(seconds, 0, 1e12) * PermitsPerSecond), _audioPermits);

    private sealed class Lease(InferenceGate gate, RateLimitLease audio, RateLimitLease slot) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref gate._running);
                slot.Dispose();
                audio.Dispose();
            }
        }
    }
}
