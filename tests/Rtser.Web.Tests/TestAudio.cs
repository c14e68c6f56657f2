using System.Buffers.Binary;
using Rtser.Audio;
using Rtser.Tests.Shared;

namespace Rtser.Web.Tests;

/// <summary>WAV files the tests upload and feed to Chromium's fake microphone, made from the committed espeak speech.</summary>
internal static class TestAudio
{
    /// <summary>
    /// 10 s of 16-bit mono at 22.05 kHz (EmoDB's rate, so the service resamples it): the espeak clip twice, each
    /// followed by silence to 5 s. A 2 s slice from the start is speech throughout.
    /// </summary>
    public static byte[] Speech()
    {
        float[] clip = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[] tenSeconds = new float[10 * 16000];
        clip.CopyTo(tenSeconds, 0);
        clip.CopyTo(tenSeconds, 5 * 16000);
        return WavWriter.Pcm16(Resampler.ToRate(tenSeconds, 16000, 22050), 22050);
    }

    /// <summary>
    /// EmoDB speaker 03 saying five sentences, one per emotion (angry, happy, neutral, sad, bored), back to back:
    /// 10 s at 16 kHz, the README's picture. A test that uploads it is a [CorpusFact].
    /// </summary>
    public static byte[] EmoDbSentences() => WavWriter.Pcm16(
        [.. ((string[])["03a01Wa", "03a01Fa", "03a01Nc", "03a02Ta", "03a04Lc"]).SelectMany(n => new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", n + ".wav")))],
        16000);

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
}
