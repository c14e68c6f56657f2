using Rtser.Audio;
using Rtser.Tests.Shared;

namespace Rtser.Fuzz;

/// <summary>Valid files of every container and layout the service reads, small so mutations reach every part.</summary>
internal static class Seeds
{
    public static byte[][] Load()
    {
        var seeds = new List<byte[]>();
        foreach (string name in (string[])["chromium-live.webm", "speech-20ms.webm", "speech-60ms.webm", "speech-20ms.ogg", "tone440-60ms.ogg", "twotone-stereo.webm"])
        {
            seeds.Add(File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", name)));
        }

        float[] speech = Speech("03a01Wa.wav", part: 0);
        seeds.Add(WavWriter.Pcm16(speech, 16000));
        seeds.Add(WavWriter.Pcm16(speech[..4000], 16000));
        seeds.Add(WavWriter.Pcm16(Resampler.ToRate(speech[..8000], 16000, 48000), 48000));
        seeds.Add(FloatWav(speech[..3000], 22050, channels: 2));
        return [.. seeds];
    }

    /// <summary>Where the speech comes from: EmoDB where the corpora are, else the committed espeak clip, so a fresh clone fuzzes too.</summary>
    public static string SpeechSource => TestPaths.HasDatasets
        ? $"EmoDB (corpora at {TestPaths.DatasetsPath})"
        : $"the espeak clip (corpora not found at {TestPaths.DatasetsPath})";

    /// <summary>About 2 s of speech: the EmoDB recording named, or the espeak clip's <paramref name="part"/>-th 2 s.</summary>
    public static float[] Speech(string emoDbFile, int part) => TestPaths.HasDatasets
        ? new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", emoDbFile))
        : new WavDecoder().Decode16kFile(TestPaths.EspeakWav).AsSpan(part * 32000, 32000).ToArray();

    /// <summary>IEEE float WAV with interleaved identical channels.</summary>
    private static byte[] FloatWav(float[] samples, int rate, int channels)
    {
        using var m = new MemoryStream();
        using var w = new BinaryWriter(m);
        int data = samples.Length * channels * 4;
        w.Write("RIFF"u8);
        w.Write(36 + data);
        w.Write("WAVEfmt "u8);
        w.Write(16);
        w.Write((short)3);
        w.Write((short)channels);
        w.Write(rate);
        w.Write(rate * channels * 4);
        w.Write((short)(channels * 4));
        w.Write((short)32);
        w.Write("data"u8);
        w.Write(data);
        foreach (float s in samples)
        {
            for (int c = 0; c < channels; c++)
            {
                w.Write(s);
            }
        }

        return m.ToArray();
    }
}
