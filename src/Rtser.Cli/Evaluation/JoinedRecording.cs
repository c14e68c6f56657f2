using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Cli.Evaluation;

/// <summary>
/// One speaker's recordings joined into one long recording, as a call or session would hold them: in a fixed shuffled
/// order (seed 0), with <see cref="GapSeconds"/> of silence between them. <see cref="Spans"/> says where each source
/// recording lies, so each can be given the reading of the timeline over it (<see cref="Read"/>).
/// </summary>
internal sealed record JoinedRecording(float[] Samples, IReadOnlyList<(int Source, double Start, double End)> Spans)
{
    public const double GapSeconds = 1.0;

    /// <summary>The order the sources are joined in: a shuffle with seed 0 of 0..count-1, the same on every run.</summary>
    public static int[] Order(int count)
    {
        int[] order = [.. Enumerable.Range(0, count)];
        new Random(0).Shuffle(order);
        return order;
    }

    /// <summary>Joins <paramref name="sources"/> (16 kHz samples) in <see cref="Order"/>; each span is in seconds.</summary>
    public static JoinedRecording Join(IReadOnlyList<float[]> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        int gap = (int)Math.Round(GapSeconds * FeatureConfig.SampleRate);
        int[] order = Order(sources.Count);
        var samples = new float[sources.Sum(s => s.Length) + (gap * Math.Max(0, sources.Count - 1))];
        var spans = new List<(int, double, double)>(sources.Count);
        int at = 0;
        foreach (int i in order)
        {
            sources[i].CopyTo(samples, at);
            spans.Add((i, at / (double)FeatureConfig.SampleRate, (at + sources[i].Length) / (double)FeatureConfig.SampleRate));
            at += sources[i].Length + gap;
        }

        return new JoinedRecording(samples, spans);
    }

    /// <summary>
    /// The reading of the stretch <paramref name="start"/>..<paramref name="end"/> (seconds) from a timeline of
    /// (start, end, label, probabilities) segments, whether sliding windows or utterance segments: the label whose
    /// segments with speech overlap it longest, and the probabilities averaged over those segments weighted by their
    /// overlap; no_speech (no probabilities) when no segment with speech overlaps it.
    /// </summary>
    public static (string Label, IReadOnlyDictionary<string, double> Probabilities) Read(IReadOnlyList<EmotionSegment> timeline, double start, double end, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(labels);
        var overlapByLabel = new Dictionary<string, double>(StringComparer.Ordinal);
        var sum = new double[labels.Count];
        double total = 0;
        foreach (EmotionSegment s in timeline.Where(s => s.Label != EmotionPrediction.NoSpeech))
        {
            double overlap = Math.Min(end, s.End) - Math.Max(start, s.Start);
            if (overlap <= 0)
            {
                continue;
            }

            overlapByLabel[s.Label] = overlapByLabel.GetValueOrDefault(s.Label) + overlap;
            total += overlap;
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += overlap * s.Probabilities[labels[i]];
            }
        }

        if (total <= 0)
        {
            return (EmotionPrediction.NoSpeech, new Dictionary<string, double>());
        }

        var probabilities = labels.Select((l, i) => (l, p: sum[i] / total)).ToDictionary(x => x.l, x => x.p, StringComparer.Ordinal);

        // Equal overlaps (rare: a tie in seconds) go to the label the weighted probabilities favour.
        string label = overlapByLabel.OrderByDescending(kv => kv.Value).ThenByDescending(kv => probabilities[kv.Key]).First().Key;
        return (label, probabilities);
    }
}
