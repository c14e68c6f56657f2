using System.Buffers.Binary;
using System.Text;

namespace Rtser.Benchmarks;

internal static class Clips
{
    /// <summary>A deterministic speech-like test signal: a gliding harmonic tone with syllable-rate amplitude modulation and noise.</summary>
    public static float[] Speechlike(double seconds, int rate)
    {
        var rng = new Random(42);
        var x = new float[(int)(seconds * rate)];
        double phase = 0;
        for (int n = 0; n < x.Length; n++)
        {
            double t = n / (double)rate;
            double f0 = 120 + (30 * Math.Sin(2 * Math.PI * 0.7 * t));
            phase += 2 * Math.PI * f0 / rate;
            double env = 0.5 * (1 + Math.Sin(2 * Math.PI * 4 * t));
            double v = 0;
            for (int h = 1; h <= 10; h++)
            {
                v += Math.Sin(h * phase) / h;
            }

            x[n] = (float)((0.2 * env * v) + (0.01 * (rng.NextDouble() - 0.5)));
        }

        return x;
    }

    /// <summary>A canonical 44-byte-header mono 16-bit PCM WAV.</summary>
    public static byte[] Wav16Bit(float[] samples, int rate)
    {
        var bytes = new byte[44 + (samples.Length * 2)];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), bytes.Length - 8);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(bytes, 8);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), rate);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(28), rate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(34), 16);
        Encoding.ASCII.GetBytes("data").CopyTo(bytes, 36);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(40), samples.Length * 2);
        for (int i = 0; i < samples.Length; i++)
        {
            short s = (short)Math.Clamp(Math.Round(samples[i] * 32767), short.MinValue, short.MaxValue);
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(44 + (i * 2)), s);
        }

        return bytes;
    }
}
