using System.Buffers.Binary;

namespace Rtser.Audio.Tests.Media;

/// <summary>
/// Builds Ogg streams page by page from packets, including wrong ones: pages can be kept small so packets span
/// pages, lacing values and CRCs can be overridden afterwards.
/// </summary>
internal sealed class OggBuilder
{
    private readonly List<byte> _bytes = [];
    private uint _sequence;

    public uint Serial { get; init; } = 0x1234ABCD;

    /// <summary>Most body bytes per page (at most 255 segments); small values make packets span pages.</summary>
    public int MaxPageBody { get; init; } = 4000;

    /// <summary>A whole Ogg Opus file: OpusHead page, OpusTags page, audio pages, the last one flagged end-of-stream.</summary>
    public static byte[] OpusFile(IEnumerable<byte[]> packets, byte[]? head = null, int maxPageBody = 4000, long? lastGranule = null)
    {
        var builder = new OggBuilder { MaxPageBody = maxPageBody };
        builder.Page([head ?? OpusTestPackets.Head()], granule: 0, headerType: 0x02);
        builder.Page([OpusTestPackets.Tags], granule: 0);
        builder.Packets([.. packets], granulePerPacket: 960, endOfStream: true, lastGranule);
        return builder.Build();
    }

    /// <summary>Whole packets on one page, as given (no splitting).</summary>
    public OggBuilder Page(IReadOnlyList<byte[]> packets, long granule, byte headerType = 0, bool continuesOpenPacket = false)
    {
        var lacing = new List<byte>();
        var body = new List<byte>();
        for (int i = 0; i < packets.Count; i++)
        {
            Lace(lacing, packets[i].Length, closed: true);
            body.AddRange(packets[i]);
        }

        return RawPage(lacing.ToArray(), body.ToArray(), granule, (byte)(headerType | (continuesOpenPacket ? 1 : 0)));
    }

    /// <summary>Lays packets out over pages of at most <see cref="MaxPageBody"/> bytes, splitting packets across pages.</summary>
    public OggBuilder Packets(IReadOnlyList<byte[]> packets, int granulePerPacket, bool endOfStream, long? lastGranule = null)
    {
        // A packet is laced as 255-byte segments and a final shorter one (0 bytes when the length is a multiple of 255).
        var segments = new List<(byte Lacing, int PacketIndex, int Offset)>();
        for (int p = 0; p < packets.Count; p++)
        {
            int offset = 0;
            for (; packets[p].Length - offset >= 255; offset += 255)
            {
                segments.Add((255, p, offset));
            }

            segments.Add(((byte)(packets[p].Length - offset), p, offset));
        }

        int s = 0;
        bool continued = false;
        while (s < segments.Count)
        {
            var lacing = new List<byte>();
            var body = new List<byte>();
            int lastCompleted = -1;
            while (s < segments.Count && lacing.Count < 255 && (lacing.Count == 0 || body.Count + segments[s].Lacing <= MaxPageBody))
            {
                var (size, p, offset) = segments[s];
                lacing.Add(size);
                body.AddRange(packets[p].AsSpan(offset, size).ToArray());
                if (size < 255)
                {
                    lastCompleted = p;
                }

                s++;
            }

            bool last = s == segments.Count;
            long granule = lastCompleted >= 0 ? (long)(lastCompleted + 1) * granulePerPacket : -1;
            if (last && lastGranule is { } g)
            {
                granule = g;
            }

            RawPage(lacing.ToArray(), body.ToArray(), granule, (byte)((continued ? 1 : 0) | (last && endOfStream ? 4 : 0)));
            continued = lacing[^1] == 255;
        }

        return this;
    }

    /// <summary>A page with exactly these lacing values and body (which need not agree) and a correct CRC.</summary>
    public OggBuilder RawPage(byte[] lacing, byte[] body, long granule, byte headerType = 0, uint? sequence = null)
    {
        var page = new byte[27 + lacing.Length + body.Length];
        "OggS"u8.CopyTo(page);
        page[5] = headerType;
        BinaryPrimitives.WriteInt64LittleEndian(page.AsSpan(6), granule);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(14), Serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), sequence ?? _sequence);
        _sequence = (sequence ?? _sequence) + 1;
        page[26] = (byte)lacing.Length;
        lacing.CopyTo(page, 27);
        body.CopyTo(page, 27 + lacing.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), Crc(page));
        _bytes.AddRange(page);
        return this;
    }

    public byte[] Build() => [.. _bytes];

    /// <summary>Ogg's CRC, written independently of the reader's: bit by bit, polynomial 0x04C11DB7.</summary>
    public static uint Crc(ReadOnlySpan<byte> page)
    {
        uint crc = 0;
        for (int i = 0; i < page.Length; i++)
        {
            crc ^= (uint)(i is >= 22 and < 26 ? 0 : page[i]) << 24;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
            }
        }

        return crc;
    }

    private static void Lace(List<byte> lacing, int length, bool closed)
    {
        while (length >= 255)
        {
            lacing.Add(255);
            length -= 255;
        }

        if (closed)
        {
            lacing.Add((byte)length);
        }
    }
}
