using System.Buffers.Binary;
using System.Text;

namespace Rtser.Audio.Tests.Media;

/// <summary>
/// Builds WebM bytes element by element, including wrong ones: any size can be unknown or overridden, and the
/// layout can be Chromium's live one (unknown-size Segment and Clusters, no Cues, no Duration).
/// </summary>
internal static class WebMBuilder
{
    public const uint Ebml = 0x1A45DFA3;
    public const uint DocType = 0x4282;
    public const uint Segment = 0x18538067;
    public const uint Info = 0x1549A966;
    public const uint TimecodeScale = 0x2AD7B1;
    public const uint Tracks = 0x1654AE6B;
    public const uint TrackEntry = 0xAE;
    public const uint TrackNumber = 0xD7;
    public const uint TrackType = 0x83;
    public const uint CodecId = 0x86;
    public const uint CodecPrivate = 0x63A2;
    public const uint Audio = 0xE1;
    public const uint Channels = 0x9F;
    public const uint Cluster = 0x1F43B675;
    public const uint Timecode = 0xE7;
    public const uint SimpleBlock = 0xA3;
    public const uint BlockGroup = 0xA0;
    public const uint Block = 0xA1;
    public const uint DiscardPadding = 0x75A2;
    public const uint Cues = 0x1C53BB6B;
    public const uint Void = 0xEC;

    /// <summary>The 8-byte "unknown size" (all value bits set) that Chromium writes for Segment and Cluster.</summary>
    public static readonly byte[] UnknownSize = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    /// <summary>An element; <paramref name="size"/> replaces the encoded size (e.g. <see cref="UnknownSize"/> or a lie).</summary>
    public static byte[] Element(uint id, byte[] body, byte[]? size = null) => [.. Id(id), .. size ?? Size((ulong)body.Length), .. body];

    public static byte[] Master(uint id, params byte[][] children) => Element(id, [.. children.SelectMany(c => c)]);

    public static byte[] Uint(uint id, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        int skip = 0;
        while (skip < 7 && bytes[skip] == 0)
        {
            skip++;
        }

        return Element(id, bytes[skip..]);
    }

    public static byte[] Text(uint id, string value) => Element(id, Encoding.ASCII.GetBytes(value));

    public static byte[] Id(uint id) => id switch
    {
        >= 0x1000000 => [(byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id],
        >= 0x10000 => [(byte)(id >> 16), (byte)(id >> 8), (byte)id],
        >= 0x100 => [(byte)(id >> 8), (byte)id],
        _ => [(byte)id],
    };

    /// <summary>The shortest EBML size vint for <paramref name="value"/> (all-ones patterns are avoided).</summary>
    public static byte[] Size(ulong value)
    {
        for (int length = 1; length <= 8; length++)
        {
            if (value < (1UL << (7 * length)) - 1)
            {
                var bytes = new byte[length];
                ulong v = value | (1UL << (7 * length));
                for (int i = length - 1; i >= 0; i--)
                {
                    bytes[i] = (byte)v;
                    v >>= 8;
                }

                return bytes;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value));
    }

    public static byte[] Header(string docType = "webm") => Master(Ebml, Uint(0x4286, 1), Uint(0x42F7, 1), Uint(0x42F2, 4), Uint(0x42F3, 8), Text(DocType, docType), Uint(0x4287, 4), Uint(0x4285, 2));

    public static byte[] OpusTrack(ulong number = 1, byte[]? head = null, int channels = 1, string codec = "A_OPUS", ulong type = 2) =>
        Master(TrackEntry, Uint(TrackNumber, number), Uint(TrackType, type), Text(CodecId, codec), Element(CodecPrivate, head ?? OpusTestPackets.Head(channels)), Master(Audio, Uint(Channels, (ulong)channels)));

    /// <summary>A SimpleBlock (keyframe) holding one unlaced frame of track <paramref name="track"/>.</summary>
    public static byte[] SimpleBlockOf(byte[] frame, ulong track = 1, short timecode = 0) => Element(SimpleBlock, BlockBody(track, timecode, 0x80, frame));

    public static byte[] BlockBody(ulong track, short timecode, byte flags, byte[] payload) =>
        [.. Size(track), (byte)(timecode >> 8), (byte)timecode, flags, .. payload];

    /// <summary>
    /// A whole WebM Opus file with one track and one SimpleBlock per packet, <paramref name="packetsPerCluster"/>
    /// per Cluster; <paramref name="live"/> gives Segment and Clusters unknown sizes and leaves out Cues.
    /// </summary>
    public static byte[] OpusFile(IReadOnlyList<byte[]> packets, bool live, byte[]? head = null, int packetsPerCluster = 50, byte[][]? extraTracks = null)
    {
        var clusters = new List<byte>();
        for (int start = 0; start < packets.Count; start += packetsPerCluster)
        {
            var children = new List<byte>(Uint(Timecode, (ulong)(start * 20)));
            for (int i = start; i < Math.Min(packets.Count, start + packetsPerCluster); i++)
            {
                children.AddRange(SimpleBlockOf(packets[i], timecode: (short)((i - start) * 20)));
            }

            clusters.AddRange(live ? Element(Cluster, [.. children], UnknownSize) : Element(Cluster, [.. children]));
        }

        var tracks = Master(Tracks, [OpusTrack(head: head), .. extraTracks ?? []]);
        var info = Master(Info, Uint(TimecodeScale, 1_000_000));
        byte[] body = [.. info, .. tracks, .. clusters, .. live ? [] : Master(Cues)];
        return [.. Header(), .. live ? Element(Segment, body, UnknownSize) : Element(Segment, body)];
    }
}
