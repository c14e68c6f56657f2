using System.Buffers.Binary;
using Rtser.Tests.Shared;

namespace Rtser.Web.Tests;

/// <summary>WAV files the tests upload and feed to Chromium's fake microphone, made from EmoDB speech.</summary>
internal static class TestAudio
{
    /// <summary>Speaker 03 saying five sentences, one per emotion (angry, happy, neutral, sad, bored): 10 s.</summary>
    public static readonly string[] Sentences = ["03a01Wa", "03a01Fa", "03a01Nc", "03a02Ta", "03a04Lc"];

    /// <summary>The sentences back to back as one 16-bit mono WAV.</summary>
    public static byte[] Speech()
    {
        int rate = 0;
        using var pcm = new MemoryStream();
        foreach (string name in Sentences)
        {
            (int r, short channels, short bits, byte[] data) = ReadPcm(File.ReadAllBytes(Path.Combine(TestPaths.Datasets, "emodb", "wav", name + ".wav")));
            if (channels != 1 || bits != 16 || (rate != 0 && r != rate))
            {
                throw new InvalidDataException($"{name}.wav is not 16-bit mono at {rate} Hz");
            }

            rate = r;
            pcm.Write(data);
        }

        return Wav(pcm.ToArray(), rate);
    }

    /// <summary>Digital silence: the service finds no speech in it.</summary>
    public static byte[] Silence(double seconds, int rate = 16000) => Wav(new byte[(int)(seconds * rate) * 2], rate);

    public static byte[] Wav(byte[] pcm16, int rate)
    {
        var wav = new byte[44 + pcm16.Length];
        "RIFF"u8.CopyTo(wav);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(4), 36 + pcm16.Length);
        "WAVEfmt "u8.CopyTo(wav.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(24), rate);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(28), rate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(34), 16);
        "data"u8.CopyTo(wav.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(40), pcm16.Length);
        pcm16.CopyTo(wav.AsSpan(44));
        return wav;
    }

    private static (int Rate, short Channels, short Bits, byte[] Data) ReadPcm(byte[] wav)
    {
        int rate = 0;
        short channels = 0, bits = 0;
        for (int p = 12; p + 8 <= wav.Length;)
        {
            string id = System.Text.Encoding.ASCII.GetString(wav, p, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(p + 4));
            if (id == "fmt ")
            {
                channels = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(p + 10));
                rate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(p + 12));
                bits = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(p + 22));
            }
            else if (id == "data")
            {
                return (rate, channels, bits, wav.AsSpan(p + 8, Math.Min(size, wav.Length - p - 8)).ToArray());
            }

            p += 8 + size + (size & 1);
        }

        throw new InvalidDataException("no data chunk");
    }
}
