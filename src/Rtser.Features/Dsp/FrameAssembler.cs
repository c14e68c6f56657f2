namespace Rtser.Features.Dsp;

/// <summary>
/// Cuts a stream of chunks of any size into overlapping frames of <c>length</c> samples every <c>hop</c>:
/// the framing both streaming extractors share, so chunk boundaries can never change a frame.
/// Use: <c>while (frames.TryFill(ref samples)) { Process(frames.Frame); frames.Advance(); }</c>.
/// </summary>
internal sealed class FrameAssembler
{
    private readonly float[] _frame;
    private readonly int _hop;
    private int _count;

    public FrameAssembler(int length, int hop)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hop);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hop, length);
        _frame = new float[length];
        _hop = hop;
    }

    /// <summary>The complete frame after <see cref="TryFill"/> returned true.</summary>
    public float[] Frame => _frame;

    /// <summary>Moves samples into the frame; true when it is complete. <paramref name="samples"/> keeps the rest.</summary>
    public bool TryFill(ref ReadOnlySpan<float> samples)
    {
        int take = Math.Min(_frame.Length - _count, samples.Length);
        samples[..take].CopyTo(_frame.AsSpan(_count));
        _count += take;
        samples = samples[take..];
        return _count == _frame.Length;
    }

    /// <summary>Drops the first hop samples of a processed frame, keeping the overlap for the next one.</summary>
    public void Advance()
    {
        _frame.AsSpan(_hop).CopyTo(_frame);
        _count = _frame.Length - _hop;
    }

    public void Reset() => _count = 0;
}
