using System.Buffers.Binary;

namespace Rtser.Audio;

/// <summary>One Ogg page (RFC 3533 section 6); <see cref="Body"/> is a slice of the input, not a copy.</summary>
internal readonly record struct OggPage(int Offset, byte HeaderType, long Granule, uint Serial, uint Sequence, ReadOnlyMemory<byte> Lacing, ReadOnlyMemory<byte> Body)
{
    public bool Continued => (HeaderType & 0x01) != 0;

    public bool BeginsStream => (HeaderType & 0x02) != 0;

    public bool EndsStream => (HeaderType & 0x04) != 0;
}

/// <summary>A packet reassembled from lacing values, with the granule position of the page it ended on.</summary>
internal readonly record struct OggPacket(ReadOnlyMemory<byte> Data, long PageGranule, bool LastOnPage, bool OnLastPage);

/// <summary>
/// Reads Ogg pages and packets from a file held in memory. Every length (segment count, lacing values) is checked
/// against the bytes present; the page CRC is checked unless asked not to. Bad input raises
/// <see cref="AudioFormatException"/> (<see cref="AudioProblem.Malformed"/>) and nothing else.
/// </summary>
internal static class OggReader
{
    public const int HeaderSize = 27;

    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>All pages, in file order. Pages must follow each other without gaps or junk.</summary>
    public static List<OggPage> ReadPages(ReadOnlyMemory<byte> file, bool verifyCrc = true)
    {
        var pages = new List<OggPage>();
        var span = file.Span;
        int position = 0;
        while (position < span.Length)
        {
            int remaining = span.Length - position;
            if (remaining < HeaderSize)
            {
                throw Malformed($"truncated Ogg page at byte {position}: {remaining} bytes left, a page header needs {HeaderSize}");
            }

            var header = span.Slice(position, HeaderSize);
            if (!header.StartsWith("OggS"u8))
            {
                throw Malformed($"expected an Ogg page ('OggS') at byte {position} but found bytes {Convert.ToHexString(header[..4])}");
            }

            if (header[4] != 0)
            {
                throw Malformed($"Ogg page at byte {position} has stream structure version {header[4]}; only 0 exists");
            }

            int segments = header[26];
            if (remaining < HeaderSize + segments)
            {
                throw Malformed($"truncated Ogg page at byte {position}: its segment table needs {segments} bytes, {remaining - HeaderSize} are left");
            }

            var lacing = span.Slice(position + HeaderSize, segments);
            int bodyLength = 0;
            foreach (byte value in lacing)
            {
                bodyLength += value;
            }

            int pageLength = HeaderSize + segments + bodyLength;
            if (remaining < pageLength)
            {
                throw Malformed($"truncated Ogg page at byte {position}: its lacing values add up to {bodyLength} body bytes, {remaining - HeaderSize - segments} are left");
            }

            if (verifyCrc)
            {
                uint stored = BinaryPrimitives.ReadUInt32LittleEndian(header[22..]);
                uint computed = Crc(span.Slice(position, pageLength));
                if (stored != computed)
                {
                    throw Malformed($"Ogg page at byte {position} fails its CRC check (stored {stored:X8}, computed {computed:X8}); the file is corrupt");
                }
            }

            pages.Add(new OggPage(
                position,
                header[5],
                BinaryPrimitives.ReadInt64LittleEndian(header[6..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[14..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[18..]),
                file.Slice(position + HeaderSize, segments),
                file.Slice(position + HeaderSize + segments, bodyLength)));
            position += pageLength;
        }

        return pages;
    }

    /// <summary>
    /// The packets of logical stream <paramref name="serial"/>, joined across pages. A packet continued past a page
    /// must be continued by the next page of the stream (continuation flag set, next sequence number); a packet
    /// left open at the end of the file is dropped, as libogg does. More than <paramref name="maxPackets"/> packets
    /// is <see cref="AudioProblem.TooLong"/>.
    /// </summary>
    public static List<OggPacket> ReadPackets(IReadOnlyList<OggPage> pages, uint serial, long maxPackets = long.MaxValue)
    {
        var packets = new List<OggPacket>();
        List<byte>? pending = null;
        uint? lastSequence = null;
        int lastPageIndex = -1;
        for (int i = 0; i < pages.Count; i++)
        {
            if (pages[i].Serial == serial)
            {
                lastPageIndex = i;
            }
        }

        for (int p = 0; p <= lastPageIndex; p++)
        {
            var page = pages[p];
            if (page.Serial != serial)
            {
                continue;
            }

            if (pending is not null && (!page.Continued || page.Sequence != unchecked(lastSequence + 1)))
            {
                throw Malformed($"Ogg page {page.Sequence} at byte {page.Offset} does not continue the packet the previous page of the stream left open");
            }

            lastSequence = page.Sequence;
            var lacing = page.Lacing.Span;
            bool skipping = page.Continued && pending is null;
            int start = 0;
            int position = 0;
            int lastEnd = -1;
            for (int s = 0; s < lacing.Length; s++)
            {
                position += lacing[s];
                if (lacing[s] == 255)
                {
                    continue;
                }

                if (skipping)
                {
                    // The tail of a packet whose beginning we never saw (a lost page): nothing to decode.
                    skipping = false;
                }
                else
                {
                    var data = page.Body[start..position];
                    if (pending is not null)
                    {
                        pending.AddRange(data.Span);
                        data = pending.ToArray();
                        pending = null;
                    }

                    if (packets.Count >= maxPackets)
                    {
                        throw OpusDecoding.TooManyPackets(maxPackets);
                    }

                    packets.Add(new OggPacket(data, page.Granule, false, p == lastPageIndex));
                    lastEnd = packets.Count - 1;
                }

                start = position;
            }

            if (lastEnd >= 0)
            {
                packets[lastEnd] = packets[lastEnd] with { LastOnPage = true };
            }

            if (lacing.Length > 0 && lacing[^1] == 255 && !skipping)
            {
                // The last packet goes on in the next page.
                pending ??= new List<byte>(position - start);
                pending.AddRange(page.Body.Span[start..position]);
            }
        }

        return packets;
    }

    /// <summary>Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, over the page with its CRC field as zeros.</summary>
    public static uint Crc(ReadOnlySpan<byte> page)
    {
        uint crc = 0;
        for (int i = 0; i < page.Length; i++)
        {
            byte b = i is >= 22 and < 26 ? (byte)0 : page[i];
            crc = (crc << 8) ^ CrcTable[(byte)(crc >> 24) ^ b];
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint r = i << 24;
            for (int k = 0; k < 8; k++)
            {
                r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            }

            table[i] = r;
        }

        return table;
    }

    private static AudioFormatException Malformed(string message) => new(AudioProblem.Malformed, message);
}
