namespace Rtser.Audio;

/// <summary>
/// The one error type for audio input we cannot or will not decode. The message says what is wrong
/// in terms a caller can act on (e.g. "channel count 0 is not supported (1-64)").
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
}
