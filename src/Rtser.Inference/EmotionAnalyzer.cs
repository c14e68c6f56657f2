using Rtser.Features;
using Rtser.Features.Pipeline;
using Rtser.Features.Vad;

namespace Rtser.Inference;

/// <summary>One window of the emotion timeline; <c>no_speech</c> windows carry no probabilities.</summary>
public sealed record EmotionSegment(
    double Start,
    double End,
    string Label,
    double Confidence,
    IReadOnlyDictionary<string, double> Probabilities)
{
    /// <summary>Speech found in this window (not serialised: the recording's total is what clients get).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double SpeechSeconds { get; init; }
}

/// <summary>The overall reading of a recording and its timeline.</summary>
public sealed record EmotionAnalysis(EmotionPrediction Overall, IReadOnlyList<EmotionSegment> Segments)
{
    /// <summary>What the recording adds to its speaker's profile, when the analysis was asked for it (null without speech).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float[]? ProfileStatistics { get; init; }
}

/// <summary>
/// Slides windows over a recording (<see cref="EmotionStream"/> does the same over audio as it arrives), scores each with the same predictor a single clip gets, and takes the
/// overall label from the windows that hold speech only, so pauses neither dilute nor decide it.
/// </summary>
public sealed class EmotionAnalyzer
{
    /// <summary>Windows whose frames are computed together: 120 hops of 0.5 s, about a minute of audio at a time.</summary>
    private const int WindowsPerBlock = 120;

    private readonly EmotionPredictor _predictor;

    public EmotionAnalyzer(EmotionPredictor predictor, TimelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        _predictor = predictor;
        Options = (options ?? new TimelineOptions()).Validate();
    }

    public TimelineOptions Options { get; }

    /// <summary>The extractor every window's features come from (<see cref="EmotionStream"/> frames its speech activity with it).</summary>
    public SpeechFeatureExtractor Extractor => _predictor.Extractor;

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
    /// The timeline and overall label of 16 kHz mono samples; checks <paramref name="cancel"/> between windows.
    /// With <paramref name="profileModel"/> (a model that adapts to the speaker) the analysis also carries what the
    /// recording adds to its speaker's profile, from the same window features (see <see cref="ProfileStatistics"/>).
    /// </summary>
    public EmotionAnalysis Analyze(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default, float[]? speakerMean = null, EmotionModel? profileModel = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        int windows = Windows(samples16k.Length).Count;
        var segments = new List<EmotionSegment>(windows);
        List<float[]>? profile = profileModel is null ? null : [];
        double? speechSeconds = ForEachBlock(samples16k, model.UsesProsody || profileModel?.UsesProsody == true, cancel, (starts, length, features) =>
        {
            EmotionPrediction[] predictions = PredictCollecting(model, features, speakerMean, profileModel, profile);
            for (int k = 0; k < features.Length; k++)
            {
                segments.Add(ToSegment(predictions[k], starts[k], length));
            }
        });

        double overallSpeech = windows == 1 ? 0 : speechSeconds ?? _predictor.Extractor.MeasureSpeechSeconds(samples16k);
        return Summarize(model, segments, samples16k.Length, overallSpeech) with { ProfileStatistics = MeanOrNull(profile) };
    }

    /// <summary>
    /// One window scored as a single clip; <paramref name="startSample"/> places it in the recording. With
    /// <paramref name="profileModel"/> the window's profile statistics (if it holds speech) go to
    /// <paramref name="statistics"/>, from the same features, as <see cref="Analyze"/> collects them.
    /// </summary>
    public EmotionSegment Score(EmotionModel model, ReadOnlySpan<float> window, long startSample, float[]? speakerMean = null, EmotionModel? profileModel = null, List<float[]>? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        SpeechFeatures f = _predictor.Extractor.Extract(window, model.UsesProsody || (statistics is not null && profileModel?.UsesProsody == true));
        return ToSegment(PredictCollecting(model, [f], speakerMean, profileModel, statistics)[0], startSample, window.Length);
    }

    /// <summary>
    /// The predictions for the windows' features; with <paramref name="profileModel"/> and <paramref name="statistics"/>
    /// their profile statistics (windows with speech) join <paramref name="statistics"/>: from the same run when the
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
    /// model's utterance statistics over the timeline's windows with speech (the units the model scores), or
    /// null when no window holds speech.
    /// </summary>
    public float[]? ProfileStatistics(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default) =>
        MeanOrNull(ProfileStatisticsRows(model, samples16k, cancel));

    /// <summary>
    /// The profile statistics of each timeline window with speech, in order (<see cref="ProfileStatistics"/> is their
    /// mean): the rows a long recording of one speaker makes its own profile of, compensated as a speaker's recordings are.
    /// </summary>
    public IReadOnlyList<float[]> ProfileStatisticsRows(EmotionModel model, ReadOnlySpan<float> samples16k, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rows = new List<float[]>();
        ForEachBlock(samples16k, model.UsesProsody, cancel, (_, _, features) => _predictor.AddStatistics(model, features, rows));
        return rows;
    }

    /// <summary>
    /// Extracts the features of every timeline window in order, a block at a time, and hands each block to
    /// <paramref name="onBlock"/> with the windows' start samples and length. Returns the recording's speech
    /// seconds when the blocks measured it on the way (null otherwise).
    /// </summary>
    private double? ForEachBlock(ReadOnlySpan<float> samples16k, bool prosody, CancellationToken cancel, Action<long[], int, SpeechFeatures[]> onBlock)
    {
        IReadOnlyList<(int Start, int Length)> windows = Windows(samples16k.Length);
        int hop = (int)Math.Round(Options.HopSeconds * FeatureConfig.SampleRate);
        int done = 0;
        double? speechSeconds = null;
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

            // The blocks' MFCC framing also gives the whole recording's frame levels (blocks start on frame
            // boundaries; the last block's framing runs to the end), fed in order to one causal detector: the same
            // decisions MeasureSpeechSeconds makes, without a second MFCC pass.
            int length = windows[0].Length;
            int shift = extractor.Mfcc.Options.FrameShift;
            var detector = new SpeechActivityDetector(extractor.Config.SpeechActivity);
            var levels = new FeatureBuffer(1, 256);
            long speechFrames = 0;
            while (done < aligned)
            {
                cancel.ThrowIfCancellationRequested();
                int count = Math.Min(WindowsPerBlock, aligned - done);
                bool last = done + count == aligned;
                levels.Clear();
                ReadOnlySpan<float> block = last ? samples16k[(done * hop)..] : samples16k.Slice(done * hop, ((count - 1) * hop) + length);
                SpeechFeatures[] features = extractor.ExtractWindows(block, length, hop, count, levels, prosody);
                int own = last ? levels.Rows : count * hop / shift; // frames that start before the next block
                for (int i = 0; i < own; i++)
                {
                    speechFrames += detector.Next(levels.Row(i)[0]) ? 1 : 0;
                }

                cancel.ThrowIfCancellationRequested();
                onBlock([.. Enumerable.Range(done, count).Select(k => (long)k * hop)], length, features);
                done += count;
            }

            speechSeconds = speechFrames * extractor.Mfcc.FrameShiftSeconds;
        }

        for (int i = done; i < windows.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            (int start, int length) = windows[i];
            onBlock([start], length, [extractor.Extract(samples16k.Slice(start, length), prosody)]);
        }

        return speechSeconds;
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
        };

    /// <summary>
    /// The overall reading of a recording of <paramref name="samples"/> from the timeline <see cref="Windows"/>
    /// gives it: a single window is the whole clip and speaks for itself; otherwise the mean of the windows with
    /// speech. <paramref name="speechSeconds"/> is the whole recording's (ignored for a single window).
    /// </summary>
    public static EmotionAnalysis Summarize(EmotionModel model, IReadOnlyList<EmotionSegment> segments, long samples, double speechSeconds)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(segments);
        double duration = samples / (double)FeatureConfig.SampleRate;
        if (segments.Count == 1)
        {
            EmotionSegment only = segments[0];
            return new EmotionAnalysis(new EmotionPrediction(model.Id, only.Label, only.Confidence, only.Probabilities, duration, only.SpeechSeconds), segments);
        }

        var sum = new double[model.Labels.Count];
        int speechWindows = 0;
        foreach (EmotionSegment s in segments.Where(s => s.Label != EmotionPrediction.NoSpeech))
        {
            speechWindows++;
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += s.Probabilities[model.Labels[i]];
            }
        }

        if (speechWindows == 0)
        {
            // The recording's count would include tones or music the speech-likeness check turned away window by
            // window; the most any window held is what silence with a cough reported before, and 0 for those.
            double most = segments.Count == 0 ? 0 : segments.Max(s => s.SpeechSeconds);
            return new EmotionAnalysis(
                new EmotionPrediction(model.Id, EmotionPrediction.NoSpeech, 0, new Dictionary<string, double>(), duration, Math.Min(speechSeconds, most)),
                segments);
        }

        var probabilities = new Dictionary<string, double>(sum.Length, StringComparer.Ordinal);
        int best = 0;
        for (int i = 0; i < sum.Length; i++)
        {
            probabilities[model.Labels[i]] = sum[i] / speechWindows;
            best = sum[i] > sum[best] ? i : best;
        }

        var overall = new EmotionPrediction(model.Id, model.Labels[best], sum[best] / speechWindows, probabilities, duration, speechSeconds);
        return new EmotionAnalysis(overall, segments);
    }
}
