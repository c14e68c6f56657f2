using System.Buffers.Binary;

namespace Rtser.Audio;

/// <summary>
/// The Opus identification header (RFC 7845 section 5.1), from an Ogg stream's first packet or a WebM track's
/// CodecPrivate.
/// </summary>
/// <param name="Channels">Output channel count (1-255; family 0 allows 1-2, family 1 up to 8).</param>
/// <param name="PreSkip">48 kHz samples to drop from the start of the decoded audio.</param>
/// <param name="InputSampleRate">The encoder's input rate; informational only, Opus always decodes at 48 kHz here.</param>
/// <param name="OutputGainQ8">Gain to apply, in dB as a Q7.8 number.</param>
/// <param name="MappingFamily">Channel mapping family: 0 (mono/stereo), 1 (Vorbis order, up to 8 channels).</param>
/// <param name="StreamCount">Opus streams per packet (1 for family 0).</param>
/// <param name="CoupledCount">Streams of those that are stereo.</param>
/// <param name="Mapping">Per output channel, the decoded stream channel it takes (255: silence).</param>
internal sealed record OpusHead(int Channels, int PreSkip, uint InputSampleRate, short OutputGainQ8, int MappingFamily, int StreamCount, int CoupledCount, byte[] Mapping)
{
    public const int MinLength = 19;

    /// <summary>Opus' decoding rate.</summary>
    public const int SampleRate = 48000;

    public static bool HasSignature(ReadOnlySpan<byte> packet) => packet.StartsWith("OpusHead"u8);

    /// <summary>Parses and checks an OpusHead packet; <paramref name="where"/> names its source in error messages.</summary>
    public static OpusHead Parse(ReadOnlySpan<byte> packet, string where)
    {
        if (!HasSignature(packet))
        {
            throw Malformed($"{where} does not start with 'OpusHead'");
        }

        if (packet.Length < MinLength)
        {
            throw Malformed($"{where} is {packet.Length} bytes; an OpusHead needs at least {MinLength}");
        }

        int version = packet[8];
        if ((version & 0xF0) != 0)
        {
            throw new AudioFormatException(AudioProblem.Unsupported, $"Opus header version {version} is not supported (only 0-15, i.e. major version 0)");
        }

        int channels = packet[9];
        int preSkip = BinaryPrimitives.ReadUInt16LittleEndian(packet[10..]);
        uint inputRate = BinaryPrimitives.ReadUInt32LittleEndian(packet[12..]);
        short gain = BinaryPrimitives.ReadInt16LittleEndian(packet[16..]);
        int family = packet[18];
        if (channels == 0)
        {
            throw Malformed($"{where} declares 0 channels");
        }

        if (family == 0)
        {
            if (channels > 2)
            {
                throw Malformed($"{where} declares {channels} channels with mapping family 0, which allows 1 or 2");
            }

            return new OpusHead(channels, preSkip, inputRate, gain, 0, 1, channels - 1, channels == 1 ? [0] : [0, 1]);
        }

        if (family != 1)
        {
            throw new AudioFormatException(AudioProblem.Unsupported, $"Opus channel mapping family {family} is not supported (only 0 and 1)");
        }

        if (channels > 8)
        {
            throw Malformed($"{where} declares {channels} channels with mapping family 1, which allows 1-8");
        }

        if (packet.Length < 21 + channels)
        {
            throw Malformed($"{where} is {packet.Length} bytes; its channel mapping table needs {21 + channels}");
        }

        int streams = packet[19];
        int coupled = packet[20];
        if (streams == 0 || coupled > streams || streams + coupled > 255)
        {
            throw Malformed($"{where} declares {streams} streams of which {coupled} coupled");
        }

        var mapping = packet.Slice(21, channels).ToArray();
        foreach (byte m in mapping)
        {
            if (m != 255 && m >= streams + coupled)
            {
                throw Malformed($"{where} maps a channel to stream channel {m} of {streams + coupled}");
            }
        }

        return new OpusHead(channels, preSkip, inputRate, gain, family, streams, coupled, mapping);
    }

    private static AudioFormatException Malformed(string message) => new(AudioProblem.Malformed, message);
}

/// <summary>One Opus packet and how many 48 kHz samples to drop from the end of its output (end trimming).</summary>
internal readonly record struct OpusPacket(ReadOnlyMemory<byte> Data, int TrimEnd = 0);

/// <summary>An Opus stream taken out of its container: header and packets in decoding order.</summary>
/// <param name="Container">"Ogg" or "WebM", for <see cref="DecodedAudio.SourceEncoding"/>.</param>
internal sealed record OpusStream(OpusHead Head, IReadOnlyList<OpusPacket> Packets, string Container);
