using Rtser.Features;
using Rtser.Features.Mfcc;
using Rtser.Features.Pipeline;
using Rtser.Features.Vad;

namespace Rtser.Inference;

/// <summary>One piece of the emotion timeline (an utterance segment or a window); <c>no_speech</c> ones carry no probabilities.</summary>
public sealed record EmotionSegment(
    double Start,
    double End,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities)
{
    /// <summary>Speech found in this piece (not serialised: the recording's total is what clients get).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double SpeechSeconds { get; init; }

    /// <summary>How the model's channel detector heard this piece (null without one or without speech); the recording's is what clients get.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ChannelReading? Channel { get; init; }
}

/// <summary>The overall reading of a recording and its timeline.</summary>
public sealed record EmotionAnalysis(EmotionPrediction Overall, IReadOnlyList<EmotionSegment> Segments)
{
    /// <summary>What the recording adds to its speaker's profile, when the analysis was asked for it (null without speech).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float[]? ProfileStatistics { get; init; }
}

/// <summary>
/// Reads a recording as the models were trained and evaluated: cut into utterance segments at pauses
/// (<see cref="UtteranceSegmenter"/>), each scored whole with the same predictor a single clip gets, the overall
/// reading (and the channel a routed model heard) the mean of the segments with speech weighted by their speech. A
/// recording of one utterance is one segment, so it reads exactly as the same clip scored alone. The timeline shows
/// the segments, or on request the sliding windows <see cref="EmotionStream"/> reads live.
/// </summary>
public sealed class EmotionAnalyzer
{
    /// <summary>Windows whose frames are computed together: 120 hops of 0.5 s, about a minute of audio at a time.</summary>
    private const int WindowsPerBlock = 120;

    /// <summary>Samples framed at a time to find the pauses: a minute, so a long upload's frames are never all held.</summary>
    private const int SegmentingBlock = 60 * FeatureConfig.SampleRate;

    private readonly EmotionPredictor _predictor;

    public EmotionAnalyzer(EmotionPredictor predictor, TimelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        _predictor = predictor;
        Options = (options ?? new TimelineOptions()).Validate();
    }

    public TimelineOptions Options { get; }

    /// <summary>The extractor every segment's and window's features come from (<see cref="EmotionStream"/> frames its speech activity with it).</summary>
    public SpeechFeatureExtractor Extractor => _predictor.Extractor;

    /// <summary>
    /// A segmenter fed with this extractor's frame decisions, as <see cref="Segment"/> feeds it, keeping the silence
    /// margins <paramref name="model"/>'s training clips had (<see cref="ModelCard.SegmentMarginSeconds"/>).
    /// </summary>
    public UtteranceSegmenter CreateSegmenter(EmotionModel? model = null) => new(Options, Extractor.Mfcc.Options.FrameShift, MarginFor(model));

    /// <summary>
    /// Tighter margins cut synthetic music between its beats into pieces short enough to pass the speech-likeness
    /// check (at 0.1 s a test's music read as sad); 0.15 s still turns it away.
    /// </summary>
    public const double MinModelMarginSeconds = 0.15;

    /// <summary>
    /// The silence kept around a cut segment for <paramref name="model"/>. The utterance statistics count the silence around
    /// speech (speech fraction, rhythm, level range), and the corpora differ: EmoDB clips have about 0.1 s of it,
    /// RAVDESS clips about a second. A segment cut from a long recording is read best with the margins its model
    /// was trained on (a German speaker's joined EmoDB recordings: 43 % UAR with 0.5 s margins, 62 % with 0.15 s,
    /// 66 % with 0.1 s). Not below <see cref="MinModelMarginSeconds"/>.
    /// </summary>
    public double MarginFor(EmotionModel? model) =>
        model?.Card.SegmentMarginSeconds is double m && double.IsFinite(m)
            ? Math.Clamp(m, MinModelMarginSeconds, Options.MaxSegmentSeconds / 4)
            : Options.MarginSeconds;

    /// <summary>Window boundaries in samples: hop-spaced, every window full length, the last one ending at the end.</summary>
    public IReadOnlyList<(int Start, int Length)> Windows(int samples)
    {
        int window = (int)Math.Round(Options.WindowSeconds * FeatureConfig.SampleRate);
        int hop = (int)Math.Round(Options.HopSeconds * FeatureConfig.SampleRate);
        if (samples <= window)
        {
            return [(0, samples)];
        }

        var windows = new List<(int, int)>();
        int start = 0;
        for (; start + window <= samples; start += hop)
        {
            windows.Add((start, window));
        }

        if (start - hop + window < samples)
        {
            windows.Add((samples - window, window));
        }

        return windows;
    }

    /// <summary>
    /// The utterance segments of 16 kHz mono samples and the recording's speech seconds, from the speech activity
    /// of the whole recording (the decisions <see cref="SpeechFeatureExtractor.MeasureSpeechSeconds"/> makes),
    /// framed a block at a time.
    /// </summary>
    public (IReadOnlyList<SegmentBounds> Segments, double SpeechSeconds) Segment(ReadOnlySpan<float> samples16k, CancellationToken cancel = default, EmotionModel? model = null)
    {
        SpeechFeatureExtractor extractor = Extractor;
        MfccStream mfcc = extractor.Mfcc.CreateStream();
        var rows = new FeatureBuffer(extractor.Mfcc.Width, 256);
        var levels = new FeatureBuffer(1, 256);
        var detector = new SpeechActivityDetector(extractor.Config.SpeechActivity);
        UtteranceSegmenter segmenter = CreateSegmenter(model);
        var segments = new List<SegmentBounds>();
        long speechFrames = 0;
        for (int at = 0; at < samples16k.Length; at += SegmentingBlock)
        {
            cancel.ThrowIfCancellationRequested();
            mfcc.Push(samples16k.Slice(at, Math.Min(SegmentingBlock, samples16k.Length - at)), rows, levels);
            for (int i = 0; i < levels.Rows; i++)
            {
                bool speech = detector.Next(levels.Row(i)[0]);
                speechFrames += speech ? 1 : 0;
                segmenter.Next(speech);
            }

            rows.Clear();
            levels.Clear();
            segments.AddRange(segmenter.TakeReady());
        }

        segments.AddRange(segmenter.Finish(samples16k.Length));
        return (segments, speechFrames * extractor.Mfcc.FrameShiftSeconds);
    }

    /// <summary>
    /// The timeline and overall label of 16 kHz mono samples; checks <paramref name="cancel"/> between segments.
    /// With <paramref name="profileModel"/> (a model that adapts to the speaker) the analysis also carries what the
    /// recording adds to its speaker's profile, from the same segment features (see <see cref="ProfileStatistics"/>).
    /// <paramref name="timeline"/> (the options' <see cref="TimelineOptions.Mode"/> when null) picks what the
    /// timeline shows; the overall reading is the segments' either way.
    /// </summary>
    public EmotionAnalysis Analyze(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default, float[]? speakerMean = null, EmotionModel? profileModel = null, TimelineMode? timeline = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        (IReadOnlyList<SegmentBounds> bounds, double speechSeconds) = Segment(samples16k, cancel, model);
        List<float[]>? profile = profileModel is null ? null : [];
        EmotionSegment[] segments = ScoreSegments(model, samples16k, 0, bounds, speakerMean, profileModel, profile, cancel);
        EmotionAnalysis a = Summarize(model, segments, samples16k.Length, speechSeconds) with { ProfileStatistics = MeanOrNull(profile) };
        return (timeline ?? Options.Mode) == TimelineMode.Windows ? a with { Segments = WindowTimeline(model, samples16k, cancel, speakerMean) } : a;
    }

    /// <summary>
    /// Each of <paramref name="bounds"/> scored whole, as a single clip (<paramref name="samples16k"/> starts at
    /// sample <paramref name="offset"/> of the recording). With <paramref name="profileModel"/> and
    /// <paramref name="statistics"/> the profile statistics of the segments with speech join <paramref name="statistics"/>.
    /// </summary>
    public EmotionSegment[] ScoreSegments(EmotionModel model, ReadOnlySpan<float> samples16k, long offset, IReadOnlyList<SegmentBounds> bounds, float[]? speakerMean = null, EmotionModel? profileModel = null, List<float[]>? statistics = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bounds);
        bool prosody = model.UsesProsody || (statistics is not null && profileModel?.UsesProsody == true);
        var segments = new EmotionSegment[bounds.Count];
        for (int done = 0; done < bounds.Count; done += EmotionPredictor.MaxBatch)
        {
            int count = Math.Min(EmotionPredictor.MaxBatch, bounds.Count - done);
            SpeechFeatures[] features = ExtractBatch(samples16k, offset, bounds, done, count, prosody, cancel);
            cancel.ThrowIfCancellationRequested();
            EmotionPrediction[] predictions = PredictCollecting(model, features, speakerMean, profileModel, statistics);
            for (int k = 0; k < count; k++)
            {
                SegmentBounds b = bounds[done + k];
                segments[done + k] = ToSegment(predictions[k], b.Start, (int)b.Length);
            }
        }

        return segments;
    }

    /// <summary>
    /// The features of <paramref name="count"/> segments from <paramref name="from"/> on: a batch at a time, so at
    /// most 16 segments' features (each at most MaxSegmentSeconds) are held at once.
    /// </summary>
    private SpeechFeatures[] ExtractBatch(ReadOnlySpan<float> samples16k, long offset, IReadOnlyList<SegmentBounds> bounds, int from, int count, bool prosody, CancellationToken cancel)
    {
        var features = new SpeechFeatures[count];
        for (int k = 0; k < count; k++)
        {
            cancel.ThrowIfCancellationRequested();
            SegmentBounds b = bounds[from + k];
            features[k] = Extractor.Extract(samples16k.Slice((int)(b.Start - offset), (int)b.Length), prosody);
        }

        return features;
    }

    /// <summary>The sliding windows' readings, the timeline live mode shows, for <see cref="TimelineMode.Windows"/>.</summary>
    private List<EmotionSegment> WindowTimeline(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel, float[]? speakerMean)
    {
        var windows = new List<EmotionSegment>(Windows(samples16k.Length).Count);
        ForEachBlock(samples16k, model.UsesProsody, cancel, (starts, length, features) =>
        {
            EmotionPrediction[] predictions = _predictor.PredictMany(model, features, speakerMean);
            for (int k = 0; k < features.Length; k++)
            {
                windows.Add(ToSegment(predictions[k], starts[k], length));
            }
        });
        return windows;
    }

    /// <summary>One window (a live reading) scored as a single clip; <paramref name="startSample"/> places it in the recording.</summary>
    public EmotionSegment Score(EmotionModel model, ReadOnlySpan<float> window, long startSample, float[]? speakerMean = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        SpeechFeatures f = _predictor.Extractor.Extract(window, model.UsesProsody);
        return ToSegment(_predictor.Predict(model, f, speakerMean), startSample, window.Length);
    }

    /// <summary>
    /// The predictions for the segments' features; with <paramref name="profileModel"/> and <paramref name="statistics"/>
    /// their profile statistics (segments with speech) join <paramref name="statistics"/>: from the same run when the
    /// adapted model itself answers against a profile, else from a run of <paramref name="profileModel"/>.
    /// </summary>
    private EmotionPrediction[] PredictCollecting(EmotionModel model, SpeechFeatures[] features, float[]? speakerMean, EmotionModel? profileModel, List<float[]>? statistics)
    {
        bool collect = profileModel is not null && statistics is not null;
        bool together = collect && ReferenceEquals(profileModel, model) && speakerMean is not null;
        EmotionPrediction[] predictions = _predictor.PredictMany(model, features, speakerMean, together ? statistics : null);
        if (collect && !together)
        {
            _predictor.AddStatistics(profileModel!, features, statistics!);
        }

        return predictions;
    }

    /// <summary>
    /// What a recording adds to its speaker's profile for a model that adapts to the speaker: the mean of the
    /// model's utterance statistics over the recording's segments with speech (the units the model scores; a
    /// recording of one utterance adds its whole-clip statistics, as in the evaluation), or null without speech.
    /// </summary>
    public float[]? ProfileStatistics(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default) =>
        MeanOrNull(ProfileStatisticsRows(model, samples16k, cancel));

    /// <summary>
    /// The profile statistics of each utterance segment with speech, in order (<see cref="ProfileStatistics"/> is their
    /// mean): the rows a long recording of one speaker makes its own profile of, compensated as a speaker's recordings are.
    /// </summary>
    public IReadOnlyList<float[]> ProfileStatisticsRows(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        IReadOnlyList<SegmentBounds> bounds = Segment(samples16k, cancel, model).Segments;
        var rows = new List<float[]>();
        for (int done = 0; done < bounds.Count; done += EmotionPredictor.MaxBatch)
        {
            int count = Math.Min(EmotionPredictor.MaxBatch, bounds.Count - done);
            _predictor.AddStatistics(model, ExtractBatch(samples16k, 0, bounds, done, count, model.UsesProsody, cancel), rows);
        }

        return rows;
    }

    /// <summary>
    /// Extracts the features of every timeline window in order, a block at a time, and hands each block to
    /// <paramref name="onBlock"/> with the windows' start samples and length.
    /// </summary>
    private void ForEachBlock(ReadOnlySpan<float> samples16k, bool prosody, CancellationToken cancel, Action<long[], int, SpeechFeatures[]> onBlock)
    {
        IReadOnlyList<(int Start, int Length)> windows = Windows(samples16k.Length);
        int hop = (int)Math.Round(Options.HopSeconds * FeatureConfig.SampleRate);
        int done = 0;
        SpeechFeatureExtractor extractor = _predictor.Extractor;
        if (windows.Count > 1 && extractor.CanShareFrames(hop))
        {
            // Hop-aligned windows (all but perhaps the last) share their per-frame work (MFCC, MS band envelopes),
            // a block at a time so memory stays bounded whatever the length; the result equals scoring each alone.
            int aligned = 0;
            while (aligned < windows.Count && windows[aligned].Start == aligned * hop)
            {
                aligned++;
            }

            int length = windows[0].Length;
            while (done < aligned)
            {
                cancel.ThrowIfCancellationRequested();
                int count = Math.Min(WindowsPerBlock, aligned - done);
                SpeechFeatures[] features = extractor.ExtractWindows(samples16k.Slice(done * hop, ((count - 1) * hop) + length), length, hop, count, prosody);
                cancel.ThrowIfCancellationRequested();
                onBlock([.. Enumerable.Range(done, count).Select(k => (long)k * hop)], length, features);
                done += count;
            }
        }

        for (int i = done; i < windows.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            (int start, int length) = windows[i];
            onBlock([start], length, [extractor.Extract(samples16k.Slice(start, length), prosody)]);
        }
    }

    private static float[]? MeanOrNull(IReadOnlyList<float[]>? rows) => rows is null || rows.Count == 0 ? null : SpeakerProfiles.Mean(rows);

    private static EmotionSegment ToSegment(EmotionPrediction p, long startSample, int length) =>
        new(
            startSample / (double)FeatureConfig.SampleRate,
            (startSample + length) / (double)FeatureConfig.SampleRate,
            p.Label,
            p.Confidence,
            p.Probabilities)
        {
            SpeechSeconds = p.SpeechSeconds,
            Channel = p.Channel,
        };

    /// <summary>
    /// The overall reading of a recording of <paramref name="samples"/> from its segments: a single segment is the
    /// whole clip and speaks for itself; otherwise the mean of the segments with speech, each weighted by its
    /// speech seconds, so a long utterance counts for more than a short one and pauses for nothing.
    /// <paramref name="speechSeconds"/> is the whole recording's (ignored for a single segment).
    /// </summary>
    public static EmotionAnalysis Summarize(EmotionModel model, IReadOnlyList<EmotionSegment> segments, long samples, double speechSeconds)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(segments);
        double duration = samples / (double)FeatureConfig.SampleRate;
        if (segments.Count == 1)
        {
            EmotionSegment only = segments[0];
            return new EmotionAnalysis(new EmotionPrediction(model.Id, only.Label, only.Confidence, only.Probabilities, duration, only.SpeechSeconds) { Channel = only.Channel }, segments);
        }

        var sum = new double[model.Labels.Count];
        double weight = 0;
        foreach (EmotionSegment s in segments.Where(s => s.Label != EmotionPrediction.NoSpeech))
        {
            weight += s.SpeechSeconds;
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += s.SpeechSeconds * s.Probabilities[model.Labels[i]];
            }
        }

        if (weight == 0)
        {
            // The recording's count would include tones or music the speech-likeness check turned away segment by
            // segment; the most any segment held is what silence with a cough reported before, and 0 for those.
            double most = segments.Count == 0 ? 0 : segments.Max(s => s.SpeechSeconds);
            return new EmotionAnalysis(
                new EmotionPrediction(model.Id, EmotionPrediction.NoSpeech, 0, new Dictionary<string, double>(), duration, Math.Min(speechSeconds, most)),
                segments);
        }

        var probabilities = new Dictionary<string, double>(sum.Length, StringComparer.Ordinal);
        int best = 0;
        for (int i = 0; i < sum.Length; i++)
        {
            probabilities[model.Labels[i]] = sum[i] / weight;
            best = sum[i] > sum[best] ? i : best;
        }

        // The channel as the emotion: the segments' readings weighted by their speech.
        ChannelReading? channel = model.ChannelLabels is { } channelLabels
            ? ChannelReading.Mean(channelLabels, segments.Where(s => s.Label != EmotionPrediction.NoSpeech && s.Channel is not null).Select(s => (s.Channel!, s.SpeechSeconds)))
            : null;
        var overall = new EmotionPrediction(model.Id, model.Labels[best], sum[best] / weight, probabilities, duration, speechSeconds) { Channel = channel };
        return new EmotionAnalysis(overall, segments);
    }
}
