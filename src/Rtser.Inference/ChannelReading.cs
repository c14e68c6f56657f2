namespace Rtser.Inference;

/// <summary>
/// How a routed model's channel detector heard an utterance or a recording: the probability of each channel its card
/// lists (in the card's order) and the most probable one. Accuracy is lower off the clean channel
/// (docs/accuracy.md), so clients tell the user when the audio was heard as a phone line, a noisy or a reverberant room.
/// </summary>
public sealed record ChannelReading(string Heard, IReadOnlyDictionary<string, double> Probabilities)
{
    /// <summary>The channel the models were trained on; the others make readings less certain.</summary>
    public const string Clean = "clean";

    /// <summary>The reading of one row of the detector's output, <paramref name="p"/> in <paramref name="labels"/> order.</summary>
    public static ChannelReading From(IReadOnlyList<string> labels, ReadOnlySpan<float> p)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (p.Length != labels.Count)
        {
            throw new ArgumentException($"{p.Length} channel probabilities for {labels.Count} labels", nameof(p));
        }

        float[] row = p.ToArray();
        return Of(labels, i => row[i]);
    }

    /// <summary>
    /// The weighted mean of <paramref name="readings"/> (each over <paramref name="labels"/>), as a recording's emotion
    /// is the speech-weighted mean of its segments'; null when there is none or no weight.
    /// </summary>
    public static ChannelReading? Mean(IReadOnlyList<string> labels, IEnumerable<(ChannelReading Reading, double Weight)> readings)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(readings);
        var sum = new double[labels.Count];
        double weight = 0;
        foreach ((ChannelReading r, double w) in readings)
        {
            weight += w;
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += w * r.Probabilities[labels[i]];
            }
        }

        if (weight <= 0)
        {
            return null;
        }

        return Of(labels, i => sum[i] / weight);
    }

    private static ChannelReading Of(IReadOnlyList<string> labels, Func<int, double> p)
    {
        var probabilities = new Dictionary<string, double>(labels.Count, StringComparer.Ordinal);
        int best = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            probabilities[labels[i]] = p(i);
            best = p(i) > p(best) ? i : best;
        }

        return new ChannelReading(labels[best], probabilities);
    }
}
