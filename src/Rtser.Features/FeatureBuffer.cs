namespace Rtser.Features;

/// <summary>
/// A growable list of fixed-width rows in one flat buffer: what streaming extractors append to,
/// so a live connection reuses one buffer instead of allocating per frame.
/// </summary>
public sealed class FeatureBuffer
{
    private float[] _data;

    public FeatureBuffer(int width, int initialRows = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Width = width;
        _data = new float[width * Math.Max(1, initialRows)];
    }

    public int Width { get; }

    public int Rows { get; private set; }

    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Rows, nameof(index));
        return _data.AsSpan(index * Width, Width);
    }

    public ReadOnlySpan<float> AsSpan() => _data.AsSpan(0, Rows * Width);

    /// <summary>Appends a zeroed row and returns it for the caller to fill.</summary>
    public Span<float> AddRow()
    {
        int needed = (Rows + 1) * Width;
        if (needed > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(needed, _data.Length * 2));
        }

        Span<float> row = _data.AsSpan(Rows * Width, Width);
        row.Clear();
        Rows++;
        return row;
    }

    public void Add(ReadOnlySpan<float> row) => row.CopyTo(AddRow());

    /// <summary>Drops the oldest rows, keeping the newest ones (rolling windows in live mode).</summary>
    public void RemoveFirst(int count)
    {
        count = Math.Clamp(count, 0, Rows);
        int keep = Rows - count;
        _data.AsSpan(count * Width, keep * Width).CopyTo(_data);
        Rows = keep;
    }

    public void Clear() => Rows = 0;

    public FeatureMatrix ToMatrix(double frameShiftSeconds)
    {
        var data = new float[Rows * Width];
        AsSpan().CopyTo(data);
        return new FeatureMatrix(data, Rows, Width, frameShiftSeconds);
    }
}
