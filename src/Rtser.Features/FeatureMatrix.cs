namespace Rtser.Features;

/// <summary>
/// Frames x width features in one row-major buffer, so a whole utterance is one allocation
/// and rows can be handed out as spans without copying.
/// </summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(int frames, int width, double frameShiftSeconds)
        : this(new float[checked(frames * width)], frames, width, frameShiftSeconds)
    {
    }

    public FeatureMatrix(float[] data, int frames, int width, double frameShiftSeconds)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(frames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (data.Length < frames * width)
        {
            throw new ArgumentException("Buffer is smaller than frames x width.", nameof(data));
        }

        Data = data;
        Frames = frames;
        Width = width;
        FrameShiftSeconds = frameShiftSeconds;
    }

    public float[] Data { get; }

    public int Frames { get; }

    public int Width { get; }

    public double FrameShiftSeconds { get; }

    public Span<float> Row(int frame) => Data.AsSpan(frame * Width, Width);

    public float this[int frame, int column] => Data[(frame * Width) + column];
}
