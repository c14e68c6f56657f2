using System.Buffers.Binary;
using System.Text;

namespace Rtser.Cli.Export;

/// <summary>
/// Writes NumPy .npy files (format 1.0, little-endian) so training reads our features with numpy alone.
/// Spec: numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
/// </summary>
internal static class NpyWriter
{
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        using var stream = File.Create(path);
        WriteHeader(stream, "<f4", data.Length, shape);
        var buffer = new byte[4096 * 4];
        for (int i = 0; i < data.Length; i += 4096)
        {
            int n = Math.Min(4096, data.Length - i);
            for (int j = 0; j < n; j++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(j * 4), data[i + j]);
            }

            stream.Write(buffer, 0, n * 4);
        }
    }

    public static void WriteUInt8(string path, ReadOnlySpan<byte> data, params int[] shape)
    {
        using var stream = File.Create(path);
        WriteHeader(stream, "|u1", data.Length, shape);
        stream.Write(data);
    }

    private static void WriteHeader(Stream stream, string descr, int count, int[] shape)
    {
        long product = shape.Aggregate(1L, (a, b) => a * b);
        if (product != count)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {product} values, data has {count}.");
        }

        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        // Magic (6) + version (2) + header length (2) + dict + newline, padded to a multiple of 64.
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }
}
