using System.Numerics;

namespace Rtser.Audio;

/// <summary>An EBML element header read by <see cref="Ebml.ReadHeader"/>; <see cref="Size"/> is -1 when unknown.</summary>
internal readonly record struct EbmlHeader(uint Id, int Offset, int DataOffset, long Size)
{
    public bool UnknownSize => Size < 0;

    public long End => DataOffset + Size;
}

/// <summary>
/// The few EBML primitives our own WebM walk needs: variable-size integers and element headers, each checked
/// against the bytes present. Everything that goes wrong is <see cref="AudioProblem.Malformed"/>.
/// </summary>
internal static class Ebml
{
    public const uint EbmlHeaderId = 0x1A45DFA3;
    public const uint SegmentId = 0x18538067;
    public const uint ClusterId = 0x1F43B675;
    public const uint TracksId = 0x1654AE6B;
    public const uint VoidId = 0xEC;
    public const uint Crc32Id = 0xBF;

    /// <summary>Reads the element header at <paramref name="position"/>; it must end before <paramref name="end"/>.</summary>
    public static EbmlHeader ReadHeader(ReadOnlySpan<byte> data, int position, int end)
    {
        if (!TryReadVint(data[position..end], 4, keepMarker: true, out ulong id, out int idLength))
        {
            throw Malformed(position, "an element ID");
        }

        if (!TryReadVint(data[(position + idLength)..end], 8, keepMarker: false, out ulong size, out int sizeLength))
        {
            throw Malformed(position + idLength, "an element size");
        }

        // All value bits set means "unknown size" (live streams write it for Segment and Cluster).
        bool unknown = size == (1UL << (7 * sizeLength)) - 1;
        return new EbmlHeader((uint)id, position, position + idLength + sizeLength, unknown ? -1 : (long)Math.Min(size, long.MaxValue / 2));
    }

    /// <summary>
    /// A variable-size integer of at most <paramref name="maxLength"/> bytes at the start of <paramref name="data"/>:
    /// false when it is cut off, starts with a zero byte or is longer than allowed.
    /// </summary>
    public static bool TryReadVint(ReadOnlySpan<byte> data, int maxLength, bool keepMarker, out ulong value, out int length)
    {
        value = 0;
        length = 0;
        if (data.IsEmpty || data[0] == 0)
        {
            return false;
        }

        length = BitOperations.LeadingZeroCount((uint)data[0]) - 23;
        if (length > maxLength || length > data.Length)
        {
            return false;
        }

        value = keepMarker ? data[0] : (ulong)(data[0] & (0xFF >> length));
        for (int i = 1; i < length; i++)
        {
            value = (value << 8) | data[i];
        }

        return true;
    }

    private static AudioFormatException Malformed(int position, string what) =>
        new(AudioProblem.Malformed, $"WebM: {what} at byte {position} is cut off or invalid; the file is truncated or corrupt");
}
