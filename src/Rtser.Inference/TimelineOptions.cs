namespace Rtser.Inference;

/// <summary>What an upload's timeline shows: its utterance segments (what the overall label is made of) or sliding windows.</summary>
public enum TimelineMode
{
    Segments,
    Windows,
}

/// <summary>How a recording is cut into utterance segments for its overall reading, and into windows for the live readings and the window timeline.</summary>
public sealed record TimelineOptions
{
    /// <summary>What an upload's timeline shows; the overall reading always comes from segments.</summary>
    public TimelineMode Mode { get; init; } = TimelineMode.Segments;

    /// <summary>Window length of live readings and the window timeline; audio no longer than this is one window, the whole clip.</summary>
    public double WindowSeconds { get; init; } = 2.0;

    public double HopSeconds { get; init; } = 0.5;

    /// <summary>
    /// Silence inside speech at least this long (by the speech activity detector, whose 0.2 s hangover already
    /// bridges the gaps between words) ends an utterance: a recording cut there scores each side whole.
    /// </summary>
    public double MinPauseSeconds { get; init; } = 0.4;

    /// <summary>
    /// An utterance shorter than this (from its first to its last speech frame) is too little to read an emotion
    /// from alone: it joins its neighbour across a pause when it can (not across a pause longer than two margins).
    /// </summary>
    public double MinSegmentSeconds { get; init; } = 1.0;

    /// <summary>
    /// Speech without pauses is cut at this length, and nothing longer is scored at once (so memory stays bounded).
    /// The models train on 1.6-2.5 s crops of 2-5 s utterances plus concatenated 4-12 s copies and are evaluated on
    /// whole clips (EmoDB's 2 s, RAVDESS's 3-5 s), so 8 s keeps every corpus clip whole and stays inside what the
    /// models have read.
    /// </summary>
    public double MaxSegmentSeconds { get; init; } = 8.0;

    /// <summary>
    /// Silence kept before and after a segment's speech where a pause (or the recording's start or end) is longer:
    /// the corpus clips carry up to about a second of it; the rest becomes segments without speech. A recording of
    /// one utterance no longer than <see cref="MaxSegmentSeconds"/> keeps all of its margins.
    /// </summary>
    public double MarginSeconds { get; init; } = 1.0;

    /// <summary>Why these settings cannot cut a timeline, or null; the service checks this at start-up.</summary>
    public string? Problem() =>
        !Enum.IsDefined(Mode) ? "Mode must be segments or windows"
        : !double.IsFinite(WindowSeconds) || WindowSeconds < 0.5 || WindowSeconds > 30 ? "WindowSeconds must be between 0.5 and 30 s"
        : !double.IsFinite(HopSeconds) || HopSeconds < 0.1 || HopSeconds > WindowSeconds ? "HopSeconds must be between 0.1 s and the window length"
        : !double.IsFinite(MaxSegmentSeconds) || MaxSegmentSeconds < 2 || MaxSegmentSeconds > 60 ? "MaxSegmentSeconds must be between 2 and 60 s"
        : !double.IsFinite(MinSegmentSeconds) || MinSegmentSeconds < 0 || MinSegmentSeconds > MaxSegmentSeconds / 2 ? "MinSegmentSeconds must be between 0 and half of MaxSegmentSeconds"
        : !double.IsFinite(MinPauseSeconds) || MinPauseSeconds < 0.1 || MinPauseSeconds > 5 ? "MinPauseSeconds must be between 0.1 and 5 s"
        : !double.IsFinite(MarginSeconds) || MarginSeconds < 0.1 || MarginSeconds > MaxSegmentSeconds / 4 ? "MarginSeconds must be between 0.1 s and a quarter of MaxSegmentSeconds"
        : null;

    public TimelineOptions Validate() =>
        Problem() is { } problem ? throw new ArgumentOutOfRangeException(nameof(TimelineOptions), problem) : this;
}
