namespace Rtser.Audio;

/// <summary>What kind of problem an <see cref="AudioFormatException"/> reports, so callers can answer differently.</summary>
public enum AudioProblem
{
    /// <summary>The input claims a format we read but is empty, truncated or corrupt.</summary>
    Malformed,

    /// <summary>The input is not audio we decode (another container, codec, encoding or layout).</summary>
    Unsupported,

    /// <summary>The audio is longer than the configured duration limit.</summary>
    TooLong,

    /// <summary>The input is larger than the configured byte limit.</summary>
    TooLarge,

    /// <summary>The input is well-formed audio that holds no samples.</summary>
    Empty,
}

/// <summary>
/// The one error type for audio input we cannot or will not decode. The message says what is wrong
/// in terms a caller can act on (e.g. "channel count 0 is not supported (1-64)"); a service may show it to clients.
/// What a tool such as ffmpeg said is in <see cref="Diagnostics"/> instead, because it can hold paths and memory addresses.
/// </summary>
public sealed class AudioFormatException : Exception
{
    public AudioFormatException()
    {
    }

    public AudioFormatException(string message)
        : base(message)
    {
    }

    public AudioFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AudioFormatException(AudioProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    public AudioProblem Problem { get; }

    /// <summary>A tool's own words about the failure (e.g. the end of ffmpeg's stderr), for a log or a local user; null when none.</summary>
    public string? Diagnostics { get; init; }
}
