using System.Buffers.Binary;
using System.Globalization;
using NAudio.Wave;

namespace Rtser.Audio;

internal enum SampleFormat
{
    Pcm,
    IeeeFloat,
}

/// <summary>Where the samples are and how to read them; every field already checked against the limits.</summary>
internal readonly record struct WavLayout(
    SampleFormat Format,
    int Channels,
    int SampleRate,
    int BitsPerSample,
    int BlockAlign,
    string Encoding,
    int DataOffset,
    int DataLength);

/// <summary>
/// Walks the RIFF chunks of a WAV file held in memory and validates its fmt chunk.
/// </summary>
/// <remarks>
/// We bypass NAudio's WaveFileReader header parsing (3.3.0) because, as NAudioWaveFileReaderGapsTests pins down,
/// it trusts the RIFF size (a too-small size hides fmt/data), loses the data chunk after an odd chunk whose
/// pad byte is not zero, leaks EndOfStreamException / InvalidDataException / ArgumentOutOfRangeException on
/// truncated, short-fmt or RF64 input, and accepts 0 channels, a 0 Hz or 2 GHz rate or a wrong block align
/// only to fail (or not) much later. Here every length is checked against the bytes actually present, so no
/// allocation or loop is sized by a header field. NAudio still does the sample conversion (see WavDecoder).
/// </remarks>
internal static class WavParser
{
    private const ushort TagPcm = 0x0001;
    private const ushort TagIeeeFloat = 0x0003;
    private const ushort TagExtensible = 0xFFFE;
    private const int RiffHeaderSize = 12;
    private const int ChunkHeaderSize = 8;
    private const int MinFmtSize = 16;
    private const int ExtensibleFmtSize = 40;
    private const int ExtensibleExtensionSize = 22;

    // Writers that cannot seek back leave a huge value (0xFFFFFFFF, 0x7FFFFFFF, sox's 0x7FFFF000) as the data size.
    private const uint StreamingSizePlaceholder = 0x7FFF_0000;

    public static WavLayout Parse(ReadOnlySpan<byte> file, WavDecoderOptions options)
    {
        if (file.IsEmpty)
        {
            throw Error(AudioProblem.Malformed, "input is empty");
        }

        if (file.Length < RiffHeaderSize)
        {
            throw Error(AudioProblem.Malformed, $"truncated header: the input is {file.Length} bytes but a WAV file starts with a 12-byte RIFF header");
        }

        CheckRiffHeader(file);

        // The RIFF size is deliberately ignored: streaming writers leave it 0, 0xFFFFFFFF or stale,
        // and the bytes present are the only thing we can trust anyway.
        Fmt? fmt = null;
        bool dataBeforeFmt = false;
        int position = RiffHeaderSize;
        while (file.Length - position >= ChunkHeaderSize)
        {
            var id = file.Slice(position, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(position + 4, 4));
            int body = position + ChunkHeaderSize;
            int available = file.Length - body;

            if (id.SequenceEqual("fmt "u8))
            {
                if (dataBeforeFmt)
                {
                    throw Error(AudioProblem.Malformed, "the data chunk comes before the fmt chunk; the format must be known before the samples");
                }

                if (fmt is null)
                {
                    if (size > available)
                    {
                        throw Error(AudioProblem.Malformed, $"truncated header: the fmt chunk declares {size} bytes but only {available} are present");
                    }

                    fmt = ParseFmt(file.Slice(body, (int)size), options);
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (fmt is { } format)
                {
                    // A data size beyond the end is what streaming writers leave behind: use what is there.
                    // A real size (not a placeholder) with fewer bytes present is a cut-off upload.
                    if (options.RejectTruncatedData && size > available && size < StreamingSizePlaceholder)
                    {
                        throw Error(AudioProblem.Malformed, $"truncated data: the data chunk declares {size} bytes but only {available} are present");
                    }

                    int length = (int)Math.Min(size, (uint)available);
                    return Layout(format, body, length, options);
                }

                dataBeforeFmt = true;
            }
            else if (size > available)
            {
                throw Error(AudioProblem.Malformed, $"chunk {Describe(id)} declares {size} bytes but only {available} remain; the file is truncated or corrupt");
            }

            long next = body + Math.Min(size, (uint)available);
            if ((size & 1) == 1 && next < file.Length && (!LooksLikeChunkId(file, next) || LooksLikeChunkId(file, next + 1)))
            {
                // Odd chunks are followed by a pad byte. Some writers omit it, so it is skipped unless a
                // chunk id starts right here and not one byte later (NAudio only skips a zero pad byte).
                next++;
            }

            position = (int)next;
        }

        if (fmt is null)
        {
            throw Error(AudioProblem.Malformed, dataBeforeFmt ? "no fmt chunk found before the data chunk" : "no fmt chunk found");
        }

        throw Error(AudioProblem.Malformed, position < file.Length ? "truncated: the file ends inside a chunk header before any data chunk" : "no data chunk found");
    }

    private static void CheckRiffHeader(ReadOnlySpan<byte> file)
    {
        var riff = file[..4];
        if (riff.SequenceEqual("RF64"u8) || riff.SequenceEqual("BW64"u8))
        {
            throw Error(AudioProblem.Unsupported, $"{Describe(riff)} (64-bit WAV) is not supported; export the audio as a plain RIFF WAV");
        }

        if (riff.SequenceEqual("RIFX"u8))
        {
            throw Error(AudioProblem.Unsupported, "big-endian RIFX WAV is not supported");
        }

        if (!riff.SequenceEqual("RIFF"u8))
        {
            throw Error(AudioProblem.Unsupported, $"not a RIFF file: it starts with {Describe(riff)} instead of 'RIFF'");
        }

        var form = file.Slice(8, 4);
        if (!form.SequenceEqual("WAVE"u8))
        {
            throw Error(AudioProblem.Unsupported, $"not a WAV file: the RIFF form type is {Describe(form)} instead of 'WAVE'");
        }
    }

    private static Fmt ParseFmt(ReadOnlySpan<byte> fmt, WavDecoderOptions options)
    {
        if (fmt.Length < MinFmtSize)
        {
            throw Error(AudioProblem.Malformed, $"the fmt chunk is {fmt.Length} bytes; at least {MinFmtSize} are needed");
        }

        ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        uint sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);

        var (format, encoding) = tag switch
        {
            TagPcm => (SampleFormat.Pcm, "PCM"),
            TagIeeeFloat => (SampleFormat.IeeeFloat, "IEEE float"),
            TagExtensible => ParseExtensible(fmt),
            _ => throw Error(AudioProblem.Unsupported, $"format tag {DescribeTag(tag)} is not supported; only PCM (0x0001), IEEE float (0x0003) and WAVE_FORMAT_EXTENSIBLE (0xFFFE) are"),
        };

        if (channels < 1 || channels > options.MaxChannels)
        {
            throw Error(channels == 0 ? AudioProblem.Malformed : AudioProblem.Unsupported, $"channel count {channels} is not supported (1-{options.MaxChannels})");
        }

        if (sampleRate < options.MinSampleRate || sampleRate > options.MaxSampleRate)
        {
            throw Error(sampleRate == 0 ? AudioProblem.Malformed : AudioProblem.Unsupported, $"sample rate {sampleRate} Hz is not supported ({options.MinSampleRate}-{options.MaxSampleRate} Hz)");
        }

        bool bitsSupported = format == SampleFormat.Pcm ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
        if (!bitsSupported)
        {
            string allowed = format == SampleFormat.Pcm ? "8, 16, 24 or 32" : "32 or 64";
            throw Error(AudioProblem.Unsupported, $"bits per sample {bits} is not supported for {encoding} ({allowed})");
        }

        int expectedBlockAlign = channels * bits / 8;
        if (blockAlign != expectedBlockAlign)
        {
            throw Error(AudioProblem.Malformed, $"block align {blockAlign} is inconsistent: {channels} channel(s) of {bits} bits need {expectedBlockAlign} bytes per frame");
        }

        return new Fmt(format, encoding, channels, (int)sampleRate, bits, blockAlign);
    }

    private static (SampleFormat Format, string Encoding) ParseExtensible(ReadOnlySpan<byte> fmt)
    {
        int extensionSize = fmt.Length < 18 ? 0 : Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(fmt[16..]), fmt.Length - 18);
        if (fmt.Length < ExtensibleFmtSize || extensionSize < ExtensibleExtensionSize)
        {
            throw Error(AudioProblem.Malformed, $"WAVE_FORMAT_EXTENSIBLE needs a {ExtensibleExtensionSize}-byte fmt extension but this one has {extensionSize} bytes");
        }

        var subFormat = new Guid(fmt.Slice(24, 16));
        if (subFormat == AudioMediaSubtypes.MEDIASUBTYPE_PCM)
        {
            return (SampleFormat.Pcm, "WAVE_FORMAT_EXTENSIBLE (PCM)");
        }

        if (subFormat == AudioMediaSubtypes.MEDIASUBTYPE_IEEE_FLOAT)
        {
            return (SampleFormat.IeeeFloat, "WAVE_FORMAT_EXTENSIBLE (IEEE float)");
        }

        throw Error(AudioProblem.Unsupported, $"WAVE_FORMAT_EXTENSIBLE subformat {DescribeSubFormat(subFormat)} is not supported; only PCM and IEEE float are");
    }

    private static WavLayout Layout(Fmt fmt, int dataOffset, int dataLength, WavDecoderOptions options)
    {
        int frames = dataLength / fmt.BlockAlign;
        double seconds = (double)frames / fmt.SampleRate;
        if (seconds > options.MaxDurationSeconds)
        {
            throw Error(AudioProblem.TooLong, string.Create(CultureInfo.InvariantCulture, $"the audio is {seconds:0.###} s long; the limit is {options.MaxDurationSeconds} s"));
        }

        // A trailing partial frame is dropped.
        return new WavLayout(fmt.Format, fmt.Channels, fmt.SampleRate, fmt.BitsPerSample, fmt.BlockAlign, fmt.Encoding, dataOffset, frames * fmt.BlockAlign);
    }

    private static bool LooksLikeChunkId(ReadOnlySpan<byte> file, long position)
    {
        if (position + 4 > file.Length)
        {
            return false;
        }

        foreach (byte b in file.Slice((int)position, 4))
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(ReadOnlySpan<byte> fourCc)
    {
        foreach (byte b in fourCc)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return "bytes " + Convert.ToHexString(fourCc);
            }
        }

        return $"'{System.Text.Encoding.ASCII.GetString(fourCc)}'";
    }

    private static string DescribeTag(ushort tag)
    {
        var encoding = (WaveFormatEncoding)tag;
        return Enum.IsDefined(encoding) ? $"0x{tag:X4} ({encoding})" : $"0x{tag:X4}";
    }

    private static string DescribeSubFormat(Guid subFormat)
    {
        // KSDATAFORMAT_SUBTYPE_* GUIDs carry the classic format tag in their first two bytes.
        Span<byte> bytes = stackalloc byte[16];
        Span<byte> template = stackalloc byte[16];
        subFormat.TryWriteBytes(bytes);
        AudioMediaSubtypes.MEDIASUBTYPE_PCM.TryWriteBytes(template);
        return bytes[2..].SequenceEqual(template[2..])
            ? DescribeTag(BinaryPrimitives.ReadUInt16LittleEndian(bytes))
            : subFormat.ToString();
    }

    private static AudioFormatException Error(AudioProblem problem, string message) => new(problem, message);

    private readonly record struct Fmt(SampleFormat Format, string Encoding, int Channels, int SampleRate, int BitsPerSample, int BlockAlign);
}
