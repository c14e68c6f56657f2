using System.Buffers.Binary;

namespace Rtser.Audio;

/// <summary>Canonical mono 16-bit PCM WAV bytes: what tests, benchmarks and stored audio need, nothing more.</summary>
public static class WavWriter
{
    public static byte[] Pcm16(ReadOnlySpan<float> samples, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        var bytes = new byte[44 + (samples.Length * 2)];
        Span<byte> b = bytes;
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], bytes.Length - 8);
        "WAVEfmt "u8.CopyTo(b[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(b[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(b[20..], 1); // PCM
        BinaryPrimitives.WriteInt16LittleEndian(b[22..], 1); // mono
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(b[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(b[34..], 16);
        "data"u8.CopyTo(b[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(b[40..], samples.Length * 2);
        for (int i = 0; i < samples.Length; i++)
        {
            // Round to nearest and saturate: +1.0 has no 16-bit code.
            float s = float.IsFinite(samples[i]) ? samples[i] : 0f;
            short v = (short)Math.Clamp(MathF.Round(s * 32768f), short.MinValue, short.MaxValue);
            BinaryPrimitives.WriteInt16LittleEndian(b[(44 + (2 * i))..], v);
        }

        return bytes;
    }
}
