using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NEbml.Core;

namespace Rtser.Audio;

/// <summary>Takes the first Opus audio track out of a WebM/Matroska file held in memory.</summary>
/// <remarks>
/// <para>
/// The Segment and Cluster levels are walked here, not with NEbml: Chromium's MediaRecorder writes live WebM whose
/// Segment and Clusters have unknown size (all ones, 0x01FFFFFFFFFFFFFF), and NEbml 1.1.0.5's <c>EbmlReader</c>
/// throws "unknown-size elements are not allowed at root level" on that Segment; below the root it stretches an
/// unknown-size element to the end of its parent, so each Cluster would swallow the ones after it as children
/// (both pinned by <c>NEbmlUnknownSizeTests</c>). EBML (RFC 8794 section 6.2) ends an unknown-size element at the
/// first element that cannot be its child, and that is what <see cref="WalkCluster"/> does.
/// </para>
/// <para>
/// NEbml reads what always has a known size: the EBML header (DocType), Tracks and BlockGroups. SimpleBlock and
/// Block payloads (track number, lacing) are parsed here because NEbml only hands them over as binary.
/// Every size is checked against the bytes present; anything cut off or inconsistent is
/// <see cref="AudioProblem.Malformed"/>, a file without an Opus track <see cref="AudioProblem.Unsupported"/>.
/// </para>
/// </remarks>
internal static class WebMOpusReader
{
    private const uint TrackEntryId = 0xAE;
    private const uint TrackNumberId = 0xD7;
    private const uint TrackTypeId = 0x83;
    private const uint CodecIdId = 0x86;
    private const uint CodecPrivateId = 0x63A2;
    private const uint CodecDelayId = 0x56AA;
    private const uint AudioId = 0xE1;
    private const uint ChannelsId = 0x9F;
    private const uint ContentEncodingsId = 0x6D80;
    private const uint DocTypeId = 0x4282;
    private const uint SimpleBlockId = 0xA3;
    private const uint BlockGroupId = 0xA0;
    private const uint BlockId = 0xA1;
    private const uint DiscardPaddingId = 0x75A2;
    private const int AudioTrackType = 2;
    private const int VideoTrackType = 1;

    /// <summary>Elements that may appear directly in a Cluster; any other ends an unknown-size Cluster.</summary>
    private static readonly HashSet<uint> ClusterChildren = [0xE7, 0x5854, 0xA7, 0xAB, SimpleBlockId, BlockGroupId, 0xAF, Ebml.VoidId, Ebml.Crc32Id];

    /// <summary>The Opus track's header and packets; more than <paramref name="maxPackets"/> packets is TooLong.</summary>
    public static OpusStream Read(ReadOnlyMemory<byte> file, long maxPackets = long.MaxValue)
    {
        var span = file.Span;
        var header = Ebml.ReadHeader(span, 0, span.Length);
        if (header.Id != Ebml.EbmlHeaderId)
        {
            throw Malformed("the file does not start with an EBML header");
        }

        CheckKnownAndPresent(header, span.Length, "the EBML header");
        string docType = ReadDocType(file.Slice(header.DataOffset, (int)header.Size));
        if (docType is not ("webm" or "matroska"))
        {
            throw Unsupported($"EBML document type '{docType}' is not WebM or Matroska");
        }

        var segment = FindSegment(span, (int)header.End);
        int segmentEnd = segment.UnknownSize ? span.Length : (int)segment.End;
        Track? track = null;
        var packets = new List<OpusPacket>();
        int position = segment.DataOffset;
        while (position < segmentEnd)
        {
            var element = Ebml.ReadHeader(span, position, segmentEnd);
            if (element.Id is Ebml.EbmlHeaderId or Ebml.SegmentId)
            {
                break; // a second file or segment follows: the first one is what we decode
            }

            if (element.Id == Ebml.ClusterId)
            {
                // Tracks come first in every muxer we know (Matroska says SHOULD); blocks are only kept for the
                // chosen track, so memory follows the audio, not the number of blocks in the file.
                var opus = track ?? throw Malformed($"a Cluster at byte {element.Offset} comes before the Tracks element");
                if (element.UnknownSize)
                {
                    position = WalkCluster(file, element.DataOffset, segmentEnd, unknownSize: true, opus.Number, packets, maxPackets);
                    continue;
                }

                CheckKnownAndPresent(element, segmentEnd, "a Cluster");
                WalkCluster(file, element.DataOffset, (int)element.End, unknownSize: false, opus.Number, packets, maxPackets);
            }
            else
            {
                CheckKnownAndPresent(element, segmentEnd, $"element 0x{element.Id:X}");
                if (element.Id == Ebml.TracksId && track is null)
                {
                    track = ChooseTrack(ReadTracks(file.Slice(element.DataOffset, (int)element.Size)));
                }
            }

            position = (int)element.End;
        }

        track ??= ChooseTrack([]);
        return new OpusStream(track.Head!, packets, "WebM");
    }

    private static EbmlHeader FindSegment(ReadOnlySpan<byte> span, int position)
    {
        while (position < span.Length)
        {
            var element = Ebml.ReadHeader(span, position, span.Length);
            if (element.Id == Ebml.SegmentId)
            {
                if (!element.UnknownSize)
                {
                    CheckKnownAndPresent(element, span.Length, "the Segment");
                }

                return element;
            }

            CheckKnownAndPresent(element, span.Length, $"top-level element 0x{element.Id:X}");
            position = (int)element.End;
        }

        throw Malformed("the file has no Segment element");
    }

    /// <summary>Collects the frames of track <paramref name="track"/> in one Cluster and returns where the Cluster ends.</summary>
    private static int WalkCluster(ReadOnlyMemory<byte> file, int position, int end, bool unknownSize, ulong track, List<OpusPacket> packets, long maxPackets)
    {
        var span = file.Span;
        while (position < end)
        {
            var element = Ebml.ReadHeader(span, position, end);
            if (unknownSize && !ClusterChildren.Contains(element.Id))
            {
                return position; // not a Cluster child: the unknown-size Cluster ends here
            }

            CheckKnownAndPresent(element, end, $"Cluster child 0x{element.Id:X}");
            var data = file.Slice(element.DataOffset, (int)element.Size);
            var block = element.Id switch
            {
                SimpleBlockId => ParseBlock(data, discardPaddingNs: 0),
                BlockGroupId => ReadBlockGroup(data),
                _ => null,
            };
            if (block is not null && block.Track == track)
            {
                if (packets.Count + block.Frames.Count > maxPackets)
                {
                    throw OpusDecoding.TooManyPackets(maxPackets);
                }

                AddFrames(block, packets);
            }

            position = (int)element.End;
        }

        return position;
    }

    /// <summary>A SimpleBlock or Block: track number (EBML vint), 16-bit timecode, flags, then one or more laced frames.</summary>
    internal static Block ParseBlock(ReadOnlyMemory<byte> block, long discardPaddingNs)
    {
        var s = block.Span;
        if (!Ebml.TryReadVint(s, 8, keepMarker: false, out ulong track, out int length) || s.Length < length + 3)
        {
            throw Malformed($"a {s.Length}-byte block is too short for its header");
        }

        byte flags = s[length + 2];
        int lacing = (flags >> 1) & 0x03;
        int payload = length + 3;
        var frames = new List<ReadOnlyMemory<byte>>(1);
        if (lacing == 0)
        {
            frames.Add(block[payload..]);
            return new Block(track, frames, discardPaddingNs);
        }

        if (s.Length <= payload)
        {
            throw Malformed("a laced block has no frame count");
        }

        int count = s[payload] + 1;
        int position = payload + 1;
        var sizes = new long[count];
        long sum = 0;
        int rest;
        switch (lacing)
        {
            case 1: // Xiph: each size is a run of 255s and a final byte below 255
                for (int i = 0; i < count - 1; i++)
                {
                    long size = 0;
                    byte b;
                    do
                    {
                        if (position >= s.Length)
                        {
                            throw Malformed("a Xiph-laced block's sizes run past its end");
                        }

                        b = s[position++];
                        size += b;
                    }
                    while (b == 255);
                    sizes[i] = size;
                    sum += size;
                }

                break;
            case 3: // EBML: the first size as a vint, then signed differences
                for (int i = 0; i < count - 1; i++)
                {
                    if (!Ebml.TryReadVint(s[position..], 8, keepMarker: false, out ulong raw, out int vintLength))
                    {
                        throw Malformed("an EBML-laced block's sizes are cut off or invalid");
                    }

                    position += vintLength;
                    long size = i == 0 ? (long)Math.Min(raw, int.MaxValue) : sizes[i - 1] + ((long)Math.Min(raw, int.MaxValue) - ((1L << ((7 * vintLength) - 1)) - 1));
                    if (size < 0 || size > s.Length)
                    {
                        throw Malformed($"an EBML-laced block gives frame {i} a size of {size} bytes");
                    }

                    sizes[i] = size;
                    sum += size;
                }

                break;
            default: // fixed: equal sizes
                rest = s.Length - position;
                if (rest % count != 0)
                {
                    throw Malformed($"a fixed-size-laced block of {rest} bytes cannot hold {count} equal frames");
                }

                Array.Fill(sizes, rest / count);
                sum = (long)(rest / count) * (count - 1);
                break;
        }

        rest = s.Length - position;
        if (sum > rest)
        {
            throw Malformed($"a laced block's frame sizes add up to {sum} bytes but only {rest} follow");
        }

        sizes[count - 1] = rest - sum;
        foreach (long size in sizes)
        {
            frames.Add(block.Slice(position, (int)size));
            position += (int)size;
        }

        return new Block(track, frames, discardPaddingNs);
    }

    private static Block? ReadBlockGroup(ReadOnlyMemory<byte> group)
    {
        ReadOnlyMemory<byte>? block = null;
        long discardPadding = 0;
        Nebml(group, reader =>
        {
            while (reader.ReadNext())
            {
                switch (reader.ElementId.EncodedValue)
                {
                    case BlockId when block is null:
                        int size = (int)reader.ElementSize;
                        block = group.Slice((int)reader.ElementPosition + HeaderLength(group.Span[(int)reader.ElementPosition..]), size);
                        break;
                    case DiscardPaddingId:
                        discardPadding = reader.ReadInt();
                        break;
                }
            }
        });
        return block is { } b ? ParseBlock(b, discardPadding) : null;
    }

    private static List<Track> ReadTracks(ReadOnlyMemory<byte> tracks)
    {
        var result = new List<Track>();
        Nebml(tracks, reader =>
        {
            while (reader.ReadNext())
            {
                if (reader.ElementId.EncodedValue != TrackEntryId)
                {
                    continue;
                }

                reader.EnterContainer();
                var track = new Track();
                while (reader.ReadNext())
                {
                    switch (reader.ElementId.EncodedValue)
                    {
                        case TrackNumberId: track.Number = reader.ReadUInt(); break;
                        case TrackTypeId: track.Type = reader.ReadUInt(); break;
                        case CodecIdId: track.Codec = reader.ReadAscii(); break;
                        case CodecPrivateId: track.CodecPrivate = ReadBinary(reader); break;
                        case CodecDelayId: track.CodecDelayNs = reader.ReadUInt(); break;
                        case ContentEncodingsId: track.Encoded = true; break;
                        case AudioId:
                            reader.EnterContainer();
                            while (reader.ReadNext())
                            {
                                if (reader.ElementId.EncodedValue == ChannelsId)
                                {
                                    track.Channels = reader.ReadUInt();
                                }
                            }

                            reader.LeaveContainer();
                            break;
                    }
                }

                reader.LeaveContainer();
                result.Add(track);
            }
        });
        return result;
    }

    private static Track ChooseTrack(List<Track> tracks)
    {
        if (tracks.Count == 0)
        {
            throw Malformed("the file has no Tracks element before its end");
        }

        var opus = tracks.Find(t => t.Type == AudioTrackType && t.Codec == "A_OPUS");
        if (opus is null)
        {
            var audio = tracks.Find(t => t.Type == AudioTrackType);
            throw Unsupported(audio is not null
                ? $"the audio track's codec is {audio.Codec}, not Opus (A_OPUS)"
                : tracks.Exists(t => t.Type == VideoTrackType) ? "the file has video but no audio track" : "the file has no audio track");
        }

        if (opus.Encoded)
        {
            throw Unsupported("the Opus track is compressed or encrypted (ContentEncodings)");
        }

        if (opus.CodecPrivate is { Length: > 0 } codecPrivate)
        {
            opus.Head = OpusHead.Parse(codecPrivate, "the Opus track's CodecPrivate");
        }
        else
        {
            // CodecPrivate is required for A_OPUS; without it, take the channels and CodecDelay (ns) as they are.
            ulong channels = opus.Channels;
            if (channels is < 1 or > 2)
            {
                throw Malformed($"the Opus track has no CodecPrivate (OpusHead) and {channels} channels");
            }

            int preSkip = (int)Math.Min(opus.CodecDelayNs / 1_000_000_000.0 * OpusHead.SampleRate, ushort.MaxValue);
            opus.Head = new OpusHead((int)channels, preSkip, OpusHead.SampleRate, 0, 0, 1, (int)channels - 1, channels == 1 ? [0] : [0, 1]);
        }

        return opus;
    }

    private static void AddFrames(Block block, List<OpusPacket> packets)
    {
        for (int i = 0; i < block.Frames.Count; i++)
        {
            // DiscardPadding (ns) trims the end of the block's last frame; OpusDecoding caps it at that frame.
            int trim = i == block.Frames.Count - 1 && block.DiscardPaddingNs > 0
                ? (int)Math.Min(block.DiscardPaddingNs / 1_000_000_000.0 * OpusHead.SampleRate, OpusDecoding.MaxPacketSamples)
                : 0;
            packets.Add(new OpusPacket(block.Frames[i], trim));
        }
    }

    private static string ReadDocType(ReadOnlyMemory<byte> header)
    {
        string docType = "matroska"; // EBML's default DocType for Matroska readers
        Nebml(header, reader =>
        {
            while (reader.ReadNext())
            {
                if (reader.ElementId.EncodedValue == DocTypeId)
                {
                    docType = reader.ReadAscii();
                }
            }
        });
        return docType;
    }

    private static byte[] ReadBinary(EbmlReader reader)
    {
        var bytes = new byte[reader.ElementSize];
        int done = 0;
        int read;
        while (done < bytes.Length && (read = reader.ReadBinary(bytes, done, bytes.Length - done)) > 0)
        {
            done += read;
        }

        return done == bytes.Length ? bytes : bytes[..done];
    }

    private static int HeaderLength(ReadOnlySpan<byte> element)
    {
        Ebml.TryReadVint(element, 4, keepMarker: true, out _, out int idLength);
        Ebml.TryReadVint(element[idLength..], 8, keepMarker: false, out _, out int sizeLength);
        return idLength + sizeLength;
    }

    /// <summary>Runs <paramref name="read"/> on an NEbml reader over a known-size element body; its exceptions become Malformed.</summary>
    private static void Nebml(ReadOnlyMemory<byte> body, Action<EbmlReader> read)
    {
        var stream = MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
        try
        {
            using var reader = new EbmlReader(stream, body.Length);
            read(reader);
        }
        catch (Exception ex) when (ex is EbmlDataFormatException or EndOfStreamException or InvalidOperationException or IOException or OverflowException or ArgumentException)
        {
            throw new AudioFormatException(AudioProblem.Malformed, $"WebM: an element could not be read: {ex.Message}", ex);
        }
    }

    private static void CheckKnownAndPresent(EbmlHeader element, int end, string what)
    {
        if (element.UnknownSize)
        {
            throw Malformed($"{what} at byte {element.Offset} has an unknown size; only Segment and Cluster may");
        }

        if (element.End > end)
        {
            throw Malformed($"{what} at byte {element.Offset} declares {element.Size} bytes but only {end - element.DataOffset} remain; the file is truncated or corrupt");
        }
    }

    private static AudioFormatException Malformed(string message) => new(AudioProblem.Malformed, "WebM: " + message);

    private static AudioFormatException Unsupported(string message) => new(AudioProblem.Unsupported, "WebM: " + message);

    internal sealed record Block(ulong Track, List<ReadOnlyMemory<byte>> Frames, long DiscardPaddingNs);

    private sealed class Track
    {
        public ulong Number { get; set; }

        public ulong Type { get; set; }

        public string Codec { get; set; } = "";

        public byte[]? CodecPrivate { get; set; }

        public ulong CodecDelayNs { get; set; }

        public ulong Channels { get; set; } = 1;

        public bool Encoded { get; set; }

        public OpusHead? Head { get; set; }
    }
}
