using System.Buffers.Binary;

namespace Rtser.Fuzz;

/// <summary>AFL-style mutations of valid files: bit flips, interesting values over header fields, cuts, splices.</summary>
internal static class Mutator
{
    private static readonly uint[] Interesting = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 8000, 16000, 44100, 48000, 192000, 384000];

    public static byte[] Mutate(byte[] seed, byte[][] all, Random r)
    {
        var b = new List<byte>(seed);
        int rounds = 1 << r.Next(4);
        for (int k = 0; k < rounds && b.Count > 0; k++)
        {
            // Headers decide everything, so most mutations land in the first bytes.
            int at = r.Next(4) == 0 ? r.Next(b.Count) : r.Next(Math.Min(b.Count, 128));
            switch (r.Next(9))
            {
                case 0:
                    b[at] ^= (byte)(1 << r.Next(8));
                    break;
                case 1:
                    b[at] = (byte)r.Next(256);
                    break;
                case 2:
                    Write(b, at, Interesting[r.Next(Interesting.Length)], r.Next(3));
                    break;
                case 3:
                    b.RemoveRange(at, Math.Min(b.Count - at, 1 + r.Next(64)));
                    break;
                case 4:
                    b.InsertRange(at, Enumerable.Range(0, 1 + r.Next(64)).Select(_ => (byte)r.Next(256)));
                    break;
                case 5:
                    int cut = r.Next(b.Count);
                    b.RemoveRange(cut, b.Count - cut); // truncate
                    break;
                case 6:
                    byte[] other = all[r.Next(all.Length)];
                    int from = r.Next(other.Length);
                    b.InsertRange(at, other.Skip(from).Take(1 + r.Next(512)));
                    break;
                case 7:
                    int len = Math.Min(b.Count - at, 1 + r.Next(16));
                    b.InsertRange(at, b.GetRange(at, len)); // duplicate a run (repeated chunks, pages, elements)
                    break;
                default:
                    if (b.Count > 8)
                    {
                        int x = r.Next(b.Count - 4);
                        (b[x], b[at]) = (b[at], b[x]);
                    }

                    break;
            }
        }

        return [.. b];
    }

    private static void Write(List<byte> b, int at, uint value, int width)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        int n = width switch { 0 => 1, 1 => 2, _ => 4 };
        for (int i = 0; i < n && at + i < b.Count; i++)
        {
            b[at + i] = bytes[i];
        }
    }
}
