namespace Rtser.Cli.Evaluation;

/// <summary>
/// The figures training/metrics.py gives, from a confusion matrix [true][predicted]: UAR is the mean over the true
/// classes present of their recall, accuracy the share on the diagonal. The evaluation's matrix has one column more
/// than rows, no_speech last, so a recording with no reading counts as wrong for its class.
/// </summary>
internal static class Scores
{
    public static double Uar(IReadOnlyList<int[]> confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        double[] recalls = [.. confusion.Select((row, t) => (row, t)).Where(r => r.row.Sum() > 0).Select(r => r.row[r.t] / (double)r.row.Sum())];
        return recalls.Length > 0 ? recalls.Average() : double.NaN;
    }

    public static double Accuracy(IReadOnlyList<int[]> confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int total = confusion.Sum(r => r.Sum());
        return confusion.Select((row, t) => row[t]).Sum() / (double)Math.Max(total, 1);
    }

    /// <summary>The sample standard deviation (ddof 1, as metrics.aggregate), 0 for fewer than two values.</summary>
    public static double SampleSd(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            return 0;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>The confusion matrix of (true, predicted) labels over <paramref name="labels"/> rows and labels + no_speech columns.</summary>
    public static int[][] Confusion(IReadOnlyList<string> labels, IEnumerable<(string Label, string Predicted)> pairs)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(pairs);
        var columns = labels.Append(Rtser.Inference.EmotionPrediction.NoSpeech).Select((l, i) => (l, i)).ToDictionary(c => c.l, c => c.i, StringComparer.Ordinal);
        int[][] m = [.. labels.Select(_ => new int[labels.Count + 1])];
        foreach ((string label, string predicted) in pairs)
        {
            m[columns[label]][columns[predicted]]++;
        }

        return m;
    }
}
