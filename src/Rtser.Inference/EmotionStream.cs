using Rtser.Features;
using Rtser.Features.Mfcc;
using Rtser.Features.Pipeline;
using Rtser.Features.Vad;

namespace Rtser.Inference;

/// <summary>
/// <see cref="EmotionAnalyzer"/> for audio that arrives as it is spoken: 16 kHz samples in, a reading every hop over
/// the last window out (each scores the window exactly as the upload's window timeline does), and at the end a
/// summary by the upload's rule. The streaming MFCC framing and causal detector decide speech frame by frame exactly
/// as a whole recording would, so the stream cuts the same utterance segments an upload of the same audio gets and
/// scores each as it closes; only the last window and the audio of segments not yet scored (at most about two
/// segments' worth) are held, whatever the stream's length. Not thread-safe: one per stream.
/// </summary>
public sealed class EmotionStream
{
    private readonly EmotionAnalyzer _analyzer;
    private readonly float[] _window;
    private readonly int _hop;
    private readonly MfccStream _mfcc;
    private readonly FeatureBuffer _mfccRows;
    private readonly FeatureBuffer _levels;
    private readonly SpeechActivityDetector _vad;
    private readonly double _frameShiftSeconds;
    private readonly UtteranceSegmenter _segmenter;
    private readonly List<EmotionSegment> _segments = [];
    private readonly List<EmotionSegment> _fullWindows = [];
    private readonly List<bool> _speech = [];
    private readonly List<float[]> _statistics = [];
    private float[] _audio = new float[4 * FeatureConfig.SampleRate]; // samples from _audioStart on, for segments not yet scored
    private int _audioCount;
    private long _audioStart;
    private long _received;
    private long _speechFrames;
    private long _lastReadingEnd;
    private EmotionSegment? _lastReading;

    /// <param name="model">The model asked for. A speaker-adapted one needs the speaker's <paramref name="profile"/>
    /// (<see cref="SpeakerProfilePolicy"/>), which says whether it or its fallback reads the stream; the stream then also
    /// collects what it adds to the profile, over the segments an upload of the same audio would use.</param>
    public EmotionStream(EmotionAnalyzer analyzer, EmotionModel model, SpeakerProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        _analyzer = analyzer;
        Profile = SpeakerProfile.For(model, profile);
        Model = Profile?.Answering ?? model;
        _window = new float[(int)Math.Round(analyzer.Options.WindowSeconds * FeatureConfig.SampleRate)];
        _hop = (int)Math.Round(analyzer.Options.HopSeconds * FeatureConfig.SampleRate);
        MfccExtractor mfcc = analyzer.Extractor.Mfcc;
        _mfcc = mfcc.CreateStream();
        _mfccRows = new FeatureBuffer(mfcc.Width, 64);
        _levels = new FeatureBuffer(1, 64);
        _vad = new SpeechActivityDetector(analyzer.Extractor.Config.SpeechActivity);
        _frameShiftSeconds = mfcc.FrameShiftSeconds;
        _segmenter = analyzer.CreateSegmenter(Model);
    }

    /// <summary>The model that reads the stream (a speaker-adapted model's fallback while the profile is too short).</summary>
    public EmotionModel Model { get; }

    /// <summary>The speaker's profile the stream is read against, for a speaker-adapted model.</summary>
    public SpeakerProfile? Profile { get; }

    /// <summary>The window read and the hop between readings.</summary>
    public TimelineOptions Timeline => _analyzer.Options;

    public double AudioSeconds => _received / (double)FeatureConfig.SampleRate;

    /// <summary>Adds samples; returns the readings for every hop boundary they crossed, oldest first.</summary>
    public IReadOnlyList<EmotionSegment> Push(ReadOnlySpan<float> samples)
    {
        var readings = new List<EmotionSegment>();
        while (!samples.IsEmpty)
        {
            long nextBoundary = ((_received / _hop) + 1) * _hop;
            int take = (int)Math.Min(samples.Length, nextBoundary - _received);
            Append(samples[..take]);
            samples = samples[take..];
            if (_received == nextBoundary)
            {
                readings.Add(Read());
            }
        }

        return readings;
    }

    /// <summary>
    /// Ends the stream: a last reading over the final window if audio arrived since the last one (none without audio),
    /// and the summary by the upload's rule over the segments an upload of this audio would get (its timeline the
    /// full windows read when <see cref="TimelineOptions.Mode"/> asks for windows). With a speaker's profile the
    /// summary carries what the stream adds to it (<see cref="EmotionAnalysis.ProfileStatistics"/>), as an upload's
    /// analysis does.
    /// </summary>
    public (EmotionSegment? Last, EmotionAnalysis Summary) Finish()
    {
        // A stop before any audio has nothing to read: no zero-length reading, and a summary of no speech.
        EmotionSegment? last = _received > _lastReadingEnd ? Read() : null;
        if (_received > 0)
        {
            ScoreSegments(_segmenter.Finish(_received));
        }

        float[]? added = Profile is null || _statistics.Count == 0 ? null : SpeakerProfiles.Mean(_statistics);
        EmotionAnalysis summary = EmotionAnalyzer.Summarize(Model, _segments, _received, _speechFrames * _frameShiftSeconds);
        if (_analyzer.Options.Mode == TimelineMode.Windows && _received > 0)
        {
            summary = summary with { Segments = _received <= _window.Length ? [_lastReading!] : [.. _fullWindows] };
        }

        return (last, summary with { ProfileStatistics = added });
    }

    private void Append(ReadOnlySpan<float> samples)
    {
        // Keep the last window of audio, newest at the end.
        if (samples.Length >= _window.Length)
        {
            samples[^_window.Length..].CopyTo(_window);
        }
        else
        {
            Array.Copy(_window, samples.Length, _window, 0, _window.Length - samples.Length);
            samples.CopyTo(_window.AsSpan(_window.Length - samples.Length));
        }

        if (_audioCount + samples.Length > _audio.Length)
        {
            Array.Resize(ref _audio, Math.Max(2 * _audio.Length, _audioCount + samples.Length));
        }

        samples.CopyTo(_audio.AsSpan(_audioCount));
        _audioCount += samples.Length;
        _received += samples.Length;
        _mfcc.Push(samples, _mfccRows, _levels);
        _speech.Clear();
        _vad.Decide(_levels, _speech);
        foreach (bool speech in _speech)
        {
            _speechFrames += speech ? 1 : 0;
            _segmenter.Next(speech);
        }

        _mfccRows.RemoveFirst(_mfccRows.Rows);
        _levels.RemoveFirst(_levels.Rows);
        ScoreSegments([.. _segmenter.TakeReady()]);
    }

    /// <summary>Scores segments the segmenter closed, as an upload scores them, and lets go of audio no segment still needs.</summary>
    private void ScoreSegments(IReadOnlyList<SegmentBounds> closed)
    {
        if (closed.Count > 0)
        {
            _segments.AddRange(_analyzer.ScoreSegments(Model, _audio.AsSpan(0, _audioCount), _audioStart, closed, Profile?.Mean, Profile?.Model, Profile is null ? null : _statistics));
        }

        int drop = (int)(Math.Min(_segmenter.PendingStart, _received) - _audioStart);
        if (drop > 0)
        {
            Array.Copy(_audio, drop, _audio, 0, _audioCount - drop);
            _audioCount -= drop;
            _audioStart += drop;
        }
    }

    private EmotionSegment Read()
    {
        int length = (int)Math.Min(_received, _window.Length);
        EmotionSegment reading = _analyzer.Score(Model, _window.AsSpan(_window.Length - length), _received - length, Profile?.Mean);
        _lastReadingEnd = _received;
        _lastReading = reading;
        if (length == _window.Length && _analyzer.Options.Mode == TimelineMode.Windows)
        {
            _fullWindows.Add(reading);
        }

        return reading;
    }
}
