namespace Rtser.Features.Vad;

/// <summary>
/// Causal frame-by-frame speech/non-speech decisions from the frame levels <see cref="Mfcc.MfccStream"/>
/// emits. Causal so live mode and whole files decide identically. One instance per signal.
/// </summary>
public sealed class SpeechActivityDetector
{
    private readonly SpeechActivityOptions _o;
    private readonly (long Index, float Level)[] _deque; // monotonic queue for the running minimum
    private int _head;
    private int _count;
    private long _frame;
    private int _run;
    private int _hang;

    public SpeechActivityDetector(SpeechActivityOptions? options = null)
    {
        _o = (options ?? new SpeechActivityOptions()).Validate();
        _deque = new (long, float)[_o.FloorWindowFrames];
    }

    public SpeechActivityOptions Options => _o;

    /// <summary>Decides one frame from its RMS level in dBFS.</summary>
    public bool Next(float levelDbfs)
    {
        float floor = PushAndMin(levelDbfs);
        bool candidate = levelDbfs >= _o.MinEnergyDbfs && levelDbfs >= floor + _o.MarginDb;
        _run = candidate ? _run + 1 : 0;
        if (_run >= _o.OnsetFrames)
        {
            _hang = _o.HangoverFrames + 1;
        }

        if (_hang > 0)
        {
            _hang--;
            return true;
        }

        return false;
    }

    /// <summary>Decisions for rows of frame levels (width 1) from <paramref name="fromRow"/> on.</summary>
    public void Decide(FeatureBuffer frameLevels, List<bool> speech, int fromRow = 0)
    {
        ArgumentNullException.ThrowIfNull(frameLevels);
        ArgumentNullException.ThrowIfNull(speech);
        for (int i = fromRow; i < frameLevels.Rows; i++)
        {
            speech.Add(Next(frameLevels.Row(i)[0]));
        }
    }

    private float PushAndMin(float level)
    {
        int cap = _deque.Length;
        // Leave room for this frame: the window is the last `cap` frames including it.
        while (_count > 0 && _deque[_head].Index <= _frame - cap)
        {
            _head = (_head + 1) % cap;
            _count--;
        }

        while (_count > 0 && _deque[(_head + _count - 1) % cap].Level >= level)
        {
            _count--;
        }

        _deque[(_head + _count) % cap] = (_frame, level);
        _count++;

        _frame++;
        return _deque[_head].Level;
    }
}
