using System.Buffers.Binary;
using Concentus.Enums;
using Concentus.Structs;

namespace Rtser.Audio.Tests.Media;

/// <summary>Opus packets and headers made in the test itself (Concentus' managed encoder), for hand-built containers.</summary>
internal static class OpusTestPackets
{
    /// <summary>Encodes <paramref name="mono"/> (48 kHz) in 20 ms packets; a partial last frame is zero-padded.</summary>
    public static List<byte[]> Encode(float[] mono, int frameSamples = 960, int bitrate = 64000)
    {
#pragma warning disable CS0618 // The managed encoder on purpose: the same bytes on every machine.
        var encoder = new OpusEncoder(48000, 1, OpusApplication.OPUS_APPLICATION_AUDIO) { Bitrate = bitrate };
#pragma warning restore CS0618
        var packets = new List<byte[]>();
        var frame = new float[frameSamples];
        var output = new byte[4000];
        for (int start = 0; start < mono.Length; start += frameSamples)
        {
            Array.Clear(frame);
            mono.AsSpan(start, Math.Min(frameSamples, mono.Length - start)).CopyTo(frame);
            int length = encoder.Encode(frame, frameSamples, output, output.Length);
            packets.Add(output[..length]);
        }

        return packets;
    }

    /// <summary>A 440 Hz tone at amplitude 0.5 and 48 kHz, encoded in 20 ms packets.</summary>
    public static List<byte[]> Tone440(double seconds) => Encode(Signal.Tone(48000, 440, seconds, 0.5));

    /// <summary>A 1-byte packet: TOC config 31 (CELT fullband 20 ms), one frame, no payload (decodes to silence).</summary>
    public static byte[] Silent20Ms => [0xF8];

    public static byte[] Head(int channels = 1, int preSkip = 312, uint inputRate = 48000, short gainQ8 = 0, int family = 0)
    {
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1;
        head[9] = (byte)channels;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), (ushort)preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), inputRate);
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(16), gainQ8);
        head[18] = (byte)family;
        return head;
    }

    public static byte[] Tags => [.. "OpusTags"u8, 4, 0, 0, 0, .. "test"u8, 0, 0, 0, 0];
}
