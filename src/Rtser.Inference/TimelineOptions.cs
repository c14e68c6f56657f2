namespace Rtser.Inference;

/// <summary>How long audio is cut into windows for the emotion timeline.</summary>
public sealed record TimelineOptions
{
    /// <summary>Window length; audio no longer than this is one window, the whole clip.</summary>
    public double WindowSeconds { get; init; } = 2.0;

    public double HopSeconds { get; init; } = 0.5;

    /// <summary>Why these settings cannot cut a timeline, or null; the service checks this at start-up.</summary>
    public string? Problem() =>
        !double.IsFinite(WindowSeconds) || WindowSeconds < 0.5 || WindowSeconds > 30 ? "WindowSeconds must be between 0.5 and 30 s"
        : !double.IsFinite(HopSeconds) || HopSeconds < 0.1 || HopSeconds > WindowSeconds ? "HopSeconds must be between 0.1 s and the window length"
        : null;

    public TimelineOptions Validate() =>
        Problem() is { } problem ? throw new ArgumentOutOfRangeException(nameof(TimelineOptions), problem) : this;
}
