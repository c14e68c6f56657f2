namespace Rtser.Inference;

/// <summary>A piece of a recording in samples; <see cref="HasSpeech"/> says whether the recording's speech activity found speech in it.</summary>
public readonly record struct SegmentBounds(long Start, long End, bool HasSpeech)
{
    public long Length => End - Start;
}

/// <summary>
/// Cuts a recording into utterance segments from its speech activity decisions, one MFCC frame at a time, so a
/// whole upload and a live stream of the same audio are cut alike and neither holds more than two segments of
/// audio. Rules (<see cref="TimelineOptions"/>): a recording with nothing to cut (one utterance, no longer than the
/// longest segment) is one segment, the whole of it; otherwise cuts fall in the middle of pauses inside speech,
/// after an utterance (first to last speech frame) of at least the shortest segment: a shorter one joins the next,
/// and a short last one the previous one when that stays within the longest. Speech without pauses is cut at the
/// longest segment, in the longest gap of its second half when it has one. Silence beyond a margin before, between
/// and after utterances becomes segments without speech. The segments tile the recording. Not thread-safe.
/// </summary>
public sealed class UtteranceSegmenter
{
    private readonly int _shift;
    private readonly long _minPause;
    private readonly long _minSegment;
    private readonly long _maxSegment;
    private readonly long _margin;
    private readonly long _joinPause;
    private readonly Queue<SegmentBounds> _ready = new();
    private SegmentBounds? _held; // closed but kept back: a short last segment may still join it
    private long _frame;
    private long _start; // the open segment's first frame
    private long _firstSpeech = -1; // the open segment's first speech frame
    private long _run = -1; // first frame of the silence going on, or -1 during speech
    private long _gap = -1; // the middle of the open segment's longest gap shorter than a pause, in its second half
    private long _gapLength;
    private long _gapEnd;
    private bool _cut;

    /// <param name="frameShift">Samples between the starts of the frames whose decisions come in.</param>
    /// <param name="marginSeconds">The silence kept around a cut segment's speech, when not the options' margin (a
    /// model's own, <see cref="EmotionAnalyzer.MarginFor"/>); a short utterance still joins its neighbour across a
    /// pause of up to two of the options' margins, so scattered speech found in loud noise stays one segment.</param>
    public UtteranceSegmenter(TimelineOptions options, int frameShift, double? marginSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameShift);
        options.Validate();
        _shift = frameShift;
        double framesPerSecond = Rtser.Features.Pipeline.FeatureConfig.SampleRate / (double)frameShift;
        _minPause = (long)Math.Round(options.MinPauseSeconds * framesPerSecond);
        _minSegment = (long)Math.Round(options.MinSegmentSeconds * framesPerSecond);
        _maxSegment = (long)Math.Round(options.MaxSegmentSeconds * framesPerSecond);
        _margin = (long)Math.Round((marginSeconds ?? options.MarginSeconds) * framesPerSecond);
        _joinPause = Math.Max(2 * _margin, (long)Math.Round(2 * options.MarginSeconds * framesPerSecond));
    }

    /// <summary>The first sample a segment not yet handed out can start at: audio before it is no longer needed.</summary>
    public long PendingStart => _held?.Start ?? _start * _shift;

    /// <summary>Takes the next frame's decision; segments it closes can be taken with <see cref="TakeReady"/>.</summary>
    public void Next(bool speech)
    {
        long f = _frame++;
        if (speech)
        {
            if (_run >= 0 && _firstSpeech >= 0)
            {
                if (f - _run >= _minPause)
                {
                    Pause(_run, f);
                }

                if (_firstSpeech >= 0 && f - _run >= _gapLength && ((_run + f) / 2) - _start >= _maxSegment / 2)
                {
                    // Not cut here (a short gap, or after a short utterance), but the best place should the speech run past the longest.
                    (_gap, _gapLength, _gapEnd) = ((_run + f) / 2, f - _run, f);
                }
            }
            else if (_run >= 0 && _firstSpeech < 0 && _cut && f - _start > _margin)
            {
                // Silence opens this segment (after a cut in a long pause): all but a margin stands alone.
                Close(f - _margin, false);
            }

            _run = -1;
            _firstSpeech = _firstSpeech < 0 ? f : _firstSpeech;
        }
        else if (_run < 0)
        {
            _run = f;
        }

        if (f + 1 - _start > _maxSegment)
        {
            Overflow(f, speech);
        }
    }

    /// <summary>Segments closed so far, oldest first.</summary>
    public IEnumerable<SegmentBounds> TakeReady()
    {
        while (_ready.TryDequeue(out SegmentBounds s))
        {
            yield return s;
        }
    }

    /// <summary>Ends the recording of <paramref name="samples"/>; returns the segments not taken yet.</summary>
    public IReadOnlyList<SegmentBounds> Finish(long samples)
    {
        if (!_cut)
        {
            // Nothing called for a cut: the whole recording is one utterance, scored as training scored its clips.
            _ready.Enqueue(new SegmentBounds(0, samples, _firstSpeech >= 0));
            return [.. TakeReady()];
        }

        bool speech = _firstSpeech >= 0;
        long last = _run >= 0 && speech && _frame - _run > _margin ? _run + _margin : -1;
        var open = new SegmentBounds(_start * _shift, last >= 0 ? last * _shift : samples, speech);
        long spoken = speech ? (_run >= 0 ? _run : _frame) - _firstSpeech : 0;
        if (speech && spoken < _minSegment && _held is { HasSpeech: true } held && held.End == open.Start && held.Length + open.Length <= _maxSegment * _shift)
        {
            _held = held with { End = open.End };
        }
        else
        {
            Release(open);
        }

        if (last >= 0)
        {
            Release(new SegmentBounds(last * _shift, samples, false));
        }

        if (_held is { } h)
        {
            _ready.Enqueue(h);
            _held = null;
        }

        return [.. TakeReady()];
    }

    /// <summary>Speech resumes at <paramref name="end"/> after a pause that began at <paramref name="run"/>.</summary>
    private void Pause(long run, long end)
    {
        if (end - run <= 2 * _margin)
        {
            long middle = (run + end) / 2;
            if (run - _firstSpeech >= _minSegment)
            {
                TrimLeading();
                Close(middle, true);
                _firstSpeech = -1;
            }

            return;
        }

        if (end - run <= _joinPause && run - _firstSpeech < _minSegment)
        {
            return; // too little speech to read alone: it joins what follows across this pause
        }

        // A long pause keeps a margin on each side and is a segment of its own between them.
        TrimLeading();
        Close(run + _margin, true);
        Close(end - _margin, false);
        _firstSpeech = -1;
    }

    /// <summary>Frame <paramref name="f"/> would make the open segment longer than the longest.</summary>
    private void Overflow(long f, bool speech)
    {
        TrimLeading();
        if (f + 1 - _start <= _maxSegment)
        {
            return;
        }

        if (_run >= 0 && _firstSpeech >= 0 && f + 1 - _run > _margin)
        {
            // In a pause that has outgrown its margin: close the utterance there; the silence opens the next segment.
            Close(_run + _margin, true);
            _firstSpeech = -1;
            _run = _start;
            return;
        }

        if (_gap >= 0)
        {
            // Speech without a pause: cut in its longest gap past the middle, the speech after it opens the next.
            long next = _gapEnd;
            Close(_gap, true);
            _firstSpeech = next;
            return;
        }

        Close(f, _firstSpeech >= 0);
        _firstSpeech = speech ? f : -1;
        _run = speech ? -1 : f;
    }

    /// <summary>The recording's first speech turns out not to be all of it: its leading silence beyond a margin stands alone.</summary>
    private void TrimLeading()
    {
        if (!_cut && _firstSpeech - _margin > _start)
        {
            Close(_firstSpeech - _margin, false);
        }
    }

    /// <summary>Closes the open segment at frame <paramref name="end"/>; the next one opens there.</summary>
    private void Close(long end, bool speech)
    {
        if (end > _start)
        {
            Release(new SegmentBounds(_start * _shift, end * _shift, speech));
            _start = end;
        }

        _gap = -1;
        _gapLength = 0;

        _cut = true;
    }

    private void Release(SegmentBounds s)
    {
        if (_held is { } h)
        {
            _ready.Enqueue(h);
        }

        _held = s;
    }
}
