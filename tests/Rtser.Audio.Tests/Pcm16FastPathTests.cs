namespace Rtser.Audio.Tests;

public class Pcm16FastPathTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void The_simd_16_bit_path_gives_what_naudio_gives(int channels)
    {
        var rng = new Random(channels);
        short[] values = [.. Enumerable.Range(0, 4001 * channels).Select(_ => (short)rng.Next(short.MinValue, short.MaxValue + 1))];
        values[0] = short.MinValue;
        values[^1] = short.MaxValue;
        byte[] wav = WavBuilder.PcmFile(channels, 16000, 16, WavBuilder.Int16(values)).Build();
        var layout = WavParser.Parse(wav, WavDecoderOptions.Default);
        ReadOnlyMemory<byte> data = wav.AsMemory(layout.DataOffset, layout.DataLength);

        float[] fast = WavDecoder.Pcm16ToMono(data.Span, channels);
        float[] naudio = WavDecoder.ToMonoWithNAudio(data, layout);

        Assert.Equal(naudio.Length, fast.Length);
        for (int i = 0; i < fast.Length; i++)
        {
            Assert.Equal(naudio[i], fast[i], 1e-6f);
        }

        if (channels <= 2)
        {
            Assert.Equal(naudio, fast); // power-of-two scales: bit-exact
        }
    }
}
