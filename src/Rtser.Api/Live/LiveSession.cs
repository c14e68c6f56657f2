using Rtser.Features;
using Rtser.Features.Mfcc;
using Rtser.Features.Pipeline;
using Rtser.Features.Vad;
using Rtser.Inference;

namespace Rtser.Api.Live;

/// <summary>
/// One live stream: 16 kHz samples in, a reading every hop over the last window out. Each reading scores the
/// window exactly as the upload timeline scores the same window, so a stream and an upload of the same audio
/// agree; only the last window of audio is held, whatever the stream's length. Speech time is counted by the
/// streaming MFCC framing and causal detector, which decide frame by frame exactly as a whole recording would.
/// Not thread-safe: one per connection.
/// </summary>
public sealed class LiveSession
{
    private readonly EmotionAnalyzer _analyzer;
    private readonly float[] _window;
    private readonly int _hop;
    private readonly MfccStream _mfcc;
    private readonly FeatureBuffer _mfccRows;
    private readonly FeatureBuffer _levels;
    private readonly SpeechActivityDetector _vad;
    private readonly List<EmotionSegment> _fullWindows = [];
    private readonly List<bool> _speech = [];
    private long _received;
    private long _speechFrames;
    private long _lastReadingEnd;
    private EmotionSegment? _lastReading;
    private readonly float[]? _speakerMean;
    private readonly EmotionModel? _profileModel;
    private readonly List<float[]> _fullWindowStatistics = [];
    private List<float[]> _lastStatistics = [];

    /// <param name="speakerMean">The speaker's profile, for a <paramref name="model"/> that adapts to the speaker.</param>
    /// <param name="profileModel">A model that adapts to the speaker: the session then collects what it adds to the
    /// speaker's profile (<see cref="ProfileStatistics"/>), over the windows an upload of the same audio would use.</param>
    public LiveSession(EmotionAnalyzer analyzer, EmotionModel model, SpeechFeatureExtractor extractor, float[]? speakerMean = null, EmotionModel? profileModel = null)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        ArgumentNullException.ThrowIfNull(extractor);
        _analyzer = analyzer;
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _speakerMean = speakerMean;
        _profileModel = profileModel;
        _window = new float[(int)Math.Round(analyzer.Options.WindowSeconds * FeatureConfig.SampleRate)];
        _hop = (int)Math.Round(analyzer.Options.HopSeconds * FeatureConfig.SampleRate);
        _mfcc = extractor.Mfcc.CreateStream();
        _mfccRows = new FeatureBuffer(extractor.Mfcc.Width, 64);
        _levels = new FeatureBuffer(1, 64);
        _vad = new SpeechActivityDetector(extractor.Config.SpeechActivity);
        FrameShiftSeconds = extractor.Mfcc.FrameShiftSeconds;
    }

    public EmotionModel Model { get; }

    public double AudioSeconds => _received / (double)FeatureConfig.SampleRate;

    /// <summary>
    /// After <see cref="Finish"/>, what the session adds to its speaker's profile: the mean statistics of the summary's
    /// windows with speech, as an upload of the same audio stores; null without a profile model or without speech.
    /// </summary>
    public float[]? ProfileStatistics { get; private set; }

    private double FrameShiftSeconds { get; }

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
    /// Ends the stream: a last reading over the final window if audio arrived since the last one (none without audio), and the
    /// overall reading by the upload's rule over the same windows an upload of this audio would get.
    /// </summary>
    public (EmotionSegment? Last, EmotionAnalysis Summary) Finish()
    {
        // A stop before any audio has nothing to read: no zero-length reading, and a summary of no speech.
        EmotionSegment? last = _received > _lastReadingEnd ? Read() : null;
        IReadOnlyList<EmotionSegment> windows = _received == 0 ? [] : _received <= _window.Length ? [_lastReading!] : _fullWindows;
        List<float[]> statistics = _received <= _window.Length ? _lastStatistics : _fullWindowStatistics;
        ProfileStatistics = _profileModel is null || statistics.Count == 0 ? null : SpeakerProfiles.Mean(statistics);
        return (last, EmotionAnalyzer.Summarize(Model, windows, _received, _speechFrames * FrameShiftSeconds));
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

        _received += samples.Length;
        _mfcc.Push(samples, _mfccRows, _levels);
        _speech.Clear();
        _vad.Decide(_levels, _speech);
        _speechFrames += _speech.Count(s => s);
        _mfccRows.RemoveFirst(_mfccRows.Rows);
        _levels.RemoveFirst(_levels.Rows);
    }

    private EmotionSegment Read()
    {
        int length = (int)Math.Min(_received, _window.Length);
        _lastStatistics = [];
        EmotionSegment reading = _analyzer.Score(Model, _window.AsSpan(_window.Length - length), _received - length, _speakerMean, _profileModel, _profileModel is null ? null : _lastStatistics);
        _lastReadingEnd = _received;
        _lastReading = reading;
        if (length == _window.Length)
        {
            _fullWindows.Add(reading);
            _fullWindowStatistics.AddRange(_lastStatistics);
        }

        return reading;
    }
}
