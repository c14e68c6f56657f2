namespace Rtser.Inference;

/// <summary>A speaker profile is the element-wise mean of recordings' statistics, summed in double precision.</summary>
public static class SpeakerProfiles
{
    public static float[] Mean(IReadOnlyList<float[]> rows)
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

        return [.. sum.Select(v => (float)(v / rows.Count))];
    }
}
