namespace Rtser.Inference;

/// <summary>How long audio is cut into windows for the emotion timeline.</summary>
public sealed record TimelineOptions
{
    /// <summary>Window length; audio no longer than this is one window, the whole clip.</summary>
    public double WindowSeconds { get; init; } = 2.0;

    public double HopSeconds { get; init; } = 0.5;

    public TimelineOptions Validate()
    {
        if (!double.IsFinite(WindowSeconds) || WindowSeconds < 0.5 || WindowSeconds > 30)
        {
            throw new ArgumentOutOfRangeException(nameof(WindowSeconds), WindowSeconds, "must be between 0.5 and 30 s");
        }

        if (!double.IsFinite(HopSeconds) || HopSeconds < 0.1 || HopSeconds > WindowSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(HopSeconds), HopSeconds, "must be between 0.1 s and the window length");
        }

        return this;
    }
}
