using System.Buffers.Binary;
using Rtser.Tests.Shared;

namespace Rtser.Audio.Tests;

public class EmoDbFileTests
{
    private static string EmoDbFile => Path.Combine(TestPaths.Datasets, "emodb", "wav", "03a01Fa.wav");

    [CorpusFact]
    public void Decodes_a_real_EmoDB_recording()
    {
        var audio = new WavDecoder().DecodeFile(EmoDbFile);

        Assert.Equal(22050, audio.SampleRate);
        Assert.Equal(1, audio.SourceChannels);
        Assert.Equal(16, audio.SourceBitsPerSample);
        Assert.Equal(44100, audio.Samples.Length);

        // Canonical 44-byte header: the samples are the raw int16 values over 32768, bit for bit.
        var bytes = File.ReadAllBytes(EmoDbFile);
        for (int i = 0; i < audio.Samples.Length; i++)
        {
            Assert.Equal(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(44 + (2 * i))) / 32768f, audio.Samples[i]);
        }
    }

    [CorpusFact]
    public void Loads_a_real_EmoDB_recording_as_16_kHz_mono()
    {
        var samples = new WavDecoder().Decode16kFile(EmoDbFile);

        Assert.Equal(32000, samples.Length);
        Assert.All(samples, s => Assert.True(float.IsFinite(s)));
    }
}
