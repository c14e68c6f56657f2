namespace Rtser.Audio.Tests;

public class WavWriterTests
{
    [Fact]
    public void Written_16_bit_wav_decodes_back_to_the_same_samples_within_half_a_step()
    {
        var rng = new Random(5);
        float[] x = [.. Enumerable.Range(0, 1001).Select(_ => (float)((rng.NextDouble() * 2) - 1))];
        x[0] = 1f;
        x[1] = -1f;
        x[2] = float.NaN;

        DecodedAudio back = new WavDecoder().Decode(WavWriter.Pcm16(x, 22050));

        Assert.Equal(22050, back.SampleRate);
        Assert.Equal(x.Length, back.Samples.Length);
        Assert.Equal(32767 / 32768f, back.Samples[0]);
        Assert.Equal(-1f, back.Samples[1]);
        Assert.Equal(0f, back.Samples[2]);
        for (int i = 3; i < x.Length; i++)
        {
            Assert.True(Math.Abs(x[i] - back.Samples[i]) <= 0.5f / 32768f, $"sample {i}");
        }
    }
}
