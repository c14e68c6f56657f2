namespace Rtser.Audio;

/// <summary>Tells the container of a file from its first bytes (magic numbers); it never throws.</summary>
public static class MediaSniffer
{
    /// <summary>How many leading bytes <see cref="Detect"/> looks at; passing more is harmless.</summary>
    public const int HeadLength = 12;

    /// <summary>The container whose signature <paramref name="head"/> starts with, or <see cref="MediaContainer.Unknown"/>.</summary>
    public static MediaContainer Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 12 && (head.StartsWith("RIFF"u8) || head.StartsWith("RF64"u8) || head.StartsWith("BW64"u8) || head.StartsWith("RIFX"u8))
            && head.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            return MediaContainer.Wav;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            return MediaContainer.WebM;
        }

        if (head.StartsWith("OggS"u8))
        {
            return MediaContainer.Ogg;
        }

        if (head.Length >= 8 && head.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            return MediaContainer.Mp4;
        }

        if (head.StartsWith("fLaC"u8))
        {
            return MediaContainer.Flac;
        }

        if (head.StartsWith("ID3"u8) || IsMpegAudioFrame(head))
        {
            return MediaContainer.Mp3;
        }

        return MediaContainer.Unknown;
    }

    /// <summary>
    /// An MPEG audio frame header: 11 sync bits, a version other than "reserved", layer I-III (layer bits 00 are
    /// ADTS AAC, which is not MP3), a bitrate index other than 15 and a sample-rate index other than 3.
    /// </summary>
    private static bool IsMpegAudioFrame(ReadOnlySpan<byte> head) =>
        head.Length >= 3
        && head[0] == 0xFF
        && (head[1] & 0xE0) == 0xE0
        && ((head[1] >> 3) & 0x03) != 0x01
        && ((head[1] >> 1) & 0x03) != 0x00
        && (head[2] >> 4) != 0x0F
        && ((head[2] >> 2) & 0x03) != 0x03;
}
