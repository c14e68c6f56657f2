using System.Numerics.Tensors;

namespace Rtser.Inference;

/// <summary>A speaker profile: the element-wise mean of recordings' statistics, summed in double precision, or that mean emotion-compensated.</summary>
public static class SpeakerProfiles
{
    public static float[] Mean(IReadOnlyList<float[]> rows) => [.. MeanOf(rows).Select(v => (float)v)];

    /// <summary>
    /// The mean minus what the recordings' emotions are expected to add to it: the mean over recordings of the
    /// posterior p_r (softmax of weights · (x_r - mean) / scale + bias) times each class's offset from its speaker's mean.
    /// A speaker heard mostly sad then still gets a profile of how they sound overall (training/profiles.py is the twin).
    /// With a gate, only a profile in which some emotion's mean posterior exceeds it is compensated.
    /// </summary>
    public static float[] Compensated(IReadOnlyList<float[]> rows, ProfileCompensation c) => Compensated(rows, c, out _);

    /// <param name="applied">False when the gate left the plain mean.</param>
    public static float[] Compensated(IReadOnlyList<float[]> rows, ProfileCompensation c, out bool applied)
    {
        ArgumentNullException.ThrowIfNull(c);
        double[] mean = MeanOf(rows);
        int k = c.Bias?.Length ?? 0;
        if (c.Problem(mean.Length, k) is { } problem)
        {
            throw new ArgumentException($"compensation does not fit profiles of {mean.Length} values: {problem}", nameof(c));
        }

        float[] bias = c.Bias!;
        var posterior = new double[k];
        var z = new double[k];
        var x = new float[mean.Length];
        foreach (float[] row in rows)
        {
            // standardise once, then one SIMD dot product per class (the posteriors only weigh the class offsets)
            TensorPrimitives.Subtract(row, c.Mean, x);
            TensorPrimitives.Divide(x, c.Scale, x);
            for (int j = 0; j < k; j++)
            {
                z[j] = bias[j] + (double)TensorPrimitives.Dot(c.Weights[j], x);
            }

            double max = z.Max(), total = 0;
            for (int j = 0; j < k; j++)
            {
                z[j] = Math.Exp(z[j] - max);
                total += z[j];
            }

            for (int j = 0; j < k; j++)
            {
                posterior[j] += z[j] / total / rows.Count;
            }
        }

        var profile = new float[mean.Length];
        applied = posterior.Max() > c.Gate;
        if (!applied)
        {
            return [.. mean.Select(v => (float)v)];
        }

        for (int d = 0; d < mean.Length; d++)
        {
            double shift = 0;
            for (int j = 0; j < k; j++)
            {
                shift += posterior[j] * c.Offsets[j][d];
            }

            profile[d] = (float)(mean[d] - shift);
        }

        return profile;
    }

    private static double[] MeanOf(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("a profile needs at least one recording", nameof(rows));
        }

        var sum = new double[rows[0].Length];
        foreach (float[] row in rows)
        {
            if (row.Length != sum.Length)
            {
                throw new ArgumentException("statistics of different lengths", nameof(rows));
            }

            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += row[i];
            }
        }

        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] /= rows.Count;
        }

        return sum;
    }
}
