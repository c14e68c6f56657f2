using System.Buffers.Binary;
using System.Text;
using NAudio.Wave;

namespace Rtser.Audio.Tests;

/// <summary>
/// Builds WAV files byte by byte, including wrong ones: every size can be overridden and chunks go in any order.
/// </summary>
internal sealed class WavBuilder
{
    public const ushort Pcm = 0x0001;
    public const ushort IeeeFloat = 0x0003;
    public const ushort Extensible = 0xFFFE;

    private readonly List<byte> _body = [];

    public string RiffId { get; init; } = "RIFF";

    public string FormType { get; init; } = "WAVE";

    /// <summary>Written as the RIFF size instead of the true one.</summary>
    public uint? RiffSize { get; init; }

    public static WavBuilder PcmFile(int channels, uint sampleRate, int bits, byte[] data) =>
        new WavBuilder().Fmt(Pcm, channels, sampleRate, bits).Data(data);

    public static WavBuilder FloatFile(int channels, uint sampleRate, int bits, byte[] data) =>
        new WavBuilder().Fmt(IeeeFloat, channels, sampleRate, bits).Data(data);

    /// <summary>A classic 16-byte fmt chunk (18 with <paramref name="extension"/>, which is preceded by its cbSize).</summary>
    public WavBuilder Fmt(ushort tag, int channels, uint sampleRate, int bits, int? blockAlign = null, byte[]? extension = null)
    {
        int align = blockAlign ?? channels * bits / 8;
        var fmt = new List<byte>();
        fmt.AddRange(U16(tag));
        fmt.AddRange(U16((ushort)channels));
        fmt.AddRange(U32(sampleRate));
        fmt.AddRange(U32(unchecked((uint)(sampleRate * align))));
        fmt.AddRange(U16((ushort)align));
        fmt.AddRange(U16((ushort)bits));
        if (extension is not null)
        {
            fmt.AddRange(U16((ushort)extension.Length));
            fmt.AddRange(extension);
        }

        return Chunk("fmt ", [.. fmt]);
    }

    public WavBuilder FmtExtensible(Guid subFormat, int channels, uint sampleRate, int bits, int? validBits = null, uint channelMask = 0)
    {
        var extension = new List<byte>();
        extension.AddRange(U16((ushort)(validBits ?? bits)));
        extension.AddRange(U32(channelMask));
        extension.AddRange(subFormat.ToByteArray());
        return Fmt(Extensible, channels, sampleRate, bits, extension: [.. extension]);
    }

    /// <summary>Adds a chunk; odd bodies get <paramref name="pad"/> after them unless it is null.</summary>
    public WavBuilder Chunk(string id, byte[] body, uint? declaredSize = null, byte? pad = 0)
    {
        _body.AddRange(Encoding.ASCII.GetBytes(id));
        _body.AddRange(U32(declaredSize ?? (uint)body.Length));
        _body.AddRange(body);
        if (body.Length % 2 == 1 && pad is { } padByte)
        {
            _body.Add(padByte);
        }

        return this;
    }

    public WavBuilder Data(byte[] samples, uint? declaredSize = null) => Chunk("data", samples, declaredSize);

    public WavBuilder Raw(params byte[] bytes)
    {
        _body.AddRange(bytes);
        return this;
    }

    public byte[] Build()
    {
        var file = new List<byte>();
        file.AddRange(Encoding.ASCII.GetBytes(RiffId));
        file.AddRange(U32(RiffSize ?? (uint)(_body.Count + 4)));
        file.AddRange(Encoding.ASCII.GetBytes(FormType));
        file.AddRange(_body);
        return [.. file];
    }

    public static byte[] UInt8(params byte[] samples) => samples;

    public static byte[] Int16(params short[] samples) => Encode(samples, sizeof(short), (s, b) => BinaryPrimitives.WriteInt16LittleEndian(b, s));

    public static byte[] Int24(params int[] samples) =>
        Encode(samples, 3, (s, b) =>
        {
            b[0] = (byte)s;
            b[1] = (byte)(s >> 8);
            b[2] = (byte)(s >> 16);
        });

    public static byte[] Int32(params int[] samples) => Encode(samples, sizeof(int), (s, b) => BinaryPrimitives.WriteInt32LittleEndian(b, s));

    public static byte[] Float32(params float[] samples) => Encode(samples, sizeof(float), (s, b) => BinaryPrimitives.WriteSingleLittleEndian(b, s));

    public static byte[] Float64(params double[] samples) => Encode(samples, sizeof(double), (s, b) => BinaryPrimitives.WriteDoubleLittleEndian(b, s));

    public static Guid PcmSubFormat => AudioMediaSubtypes.MEDIASUBTYPE_PCM;

    public static Guid FloatSubFormat => AudioMediaSubtypes.MEDIASUBTYPE_IEEE_FLOAT;

    /// <summary>The KSDATAFORMAT_SUBTYPE GUID for a classic format tag.</summary>
    public static Guid SubFormatFor(ushort tag) => new($"{tag:x8}-0000-0010-8000-00aa00389b71");

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Encode<T>(T[] samples, int size, Action<T, Span<byte>> write)
    {
        var bytes = new byte[samples.Length * size];
        for (int i = 0; i < samples.Length; i++)
        {
            write(samples[i], bytes.AsSpan(i * size, size));
        }

        return bytes;
    }
}
