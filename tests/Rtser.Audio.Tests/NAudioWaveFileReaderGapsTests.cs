using System.Buffers.Binary;
using NAudio.Wave;

namespace Rtser.Audio.Tests;

/// <summary>
/// Pins down where NAudio 3.3.0's WaveFileReader falls short, which is why WavParser walks the chunks itself
/// (each case is decoded or rejected cleanly by WavDecoder, see the other tests). If one of these starts
/// failing after an upgrade, NAudio fixed it and the matching guard may be simplified.
/// </summary>
public class NAudioWaveFileReaderGapsTests
{
    private static readonly byte[] Samples = WavBuilder.Int16(1000, -1000);

    [Fact]
    public void NAudio_trusts_a_too_small_RIFF_size_and_misses_the_fmt_chunk()
    {
        var file = new WavBuilder { RiffSize = 4 }.Fmt(WavBuilder.Pcm, 1, 16000, 16).Data(Samples).Build();

        Assert.Throws<FormatException>(() => ReadWithNAudio(file));
        Assert.Equal(2, new WavDecoder().Decode(file).Samples.Length);
    }

    [Fact]
    public void NAudio_loses_the_data_chunk_after_an_odd_chunk_with_a_non_zero_pad_byte()
    {
        var file = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 16000, 16).Chunk("LIST", [1, 2, 3], pad: 0x55).Data(Samples).Build();

        Assert.Throws<FormatException>(() => ReadWithNAudio(file));
        Assert.Equal(2, new WavDecoder().Decode(file).Samples.Length);
    }

    [Fact]
    public void NAudio_throws_EndOfStreamException_on_empty_or_truncated_input()
    {
        var file = WavBuilder.PcmFile(1, 16000, 16, Samples).Build();

        Assert.Throws<EndOfStreamException>(() => ReadWithNAudio([]));
        Assert.Throws<EndOfStreamException>(() => ReadWithNAudio(file[..30]));
    }

    [Fact]
    public void NAudio_throws_EndOfStreamException_when_the_fmt_chunk_runs_past_the_end()
    {
        var file = new WavBuilder().Chunk("fmt ", new byte[16], declaredSize: 0x7FFFFFF0).Build();
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(20), WavBuilder.Pcm);

        Assert.Throws<EndOfStreamException>(() => ReadWithNAudio(file));
    }

    [Fact]
    public void NAudio_throws_InvalidDataException_on_a_short_fmt_chunk()
    {
        var file = new WavBuilder().Chunk("fmt ", new byte[14]).Data(Samples).Build();

        Assert.Throws<InvalidDataException>(() => ReadWithNAudio(file));
    }

    [Fact]
    public void NAudio_throws_ArgumentOutOfRangeException_on_an_RF64_file_with_a_huge_ds64_data_size()
    {
        var ds64 = new byte[28];
        BinaryPrimitives.WriteInt64LittleEndian(ds64.AsSpan(0), 100);
        BinaryPrimitives.WriteInt64LittleEndian(ds64.AsSpan(8), long.MaxValue);
        var file = new WavBuilder { RiffId = "RF64", RiffSize = uint.MaxValue }
            .Chunk("ds64", ds64)
            .Fmt(WavBuilder.Pcm, 1, 16000, 16)
            .Data(Samples, uint.MaxValue)
            .Build();

        Assert.Throws<ArgumentOutOfRangeException>(() => ReadWithNAudio(file));
    }

    [Fact]
    public void NAudio_accepts_zero_channels_and_absurd_sample_rates()
    {
        var zeroChannels = new WavBuilder().Fmt(WavBuilder.Pcm, 0, 16000, 16, blockAlign: 2).Data(Samples).Build();
        var zeroRate = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 0, 16).Data(Samples).Build();
        var twoGigahertz = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 2_000_000_000, 16).Data(Samples).Build();

        Assert.Equal(2, ReadWithNAudio(zeroChannels).Length);
        Assert.Equal(2, ReadWithNAudio(zeroRate).Length);
        Assert.Equal(2, ReadWithNAudio(twoGigahertz).Length);
    }

    [Fact]
    public void NAudio_fails_only_while_reading_with_ArgumentException_on_an_inconsistent_block_align()
    {
        var file = new WavBuilder().Fmt(WavBuilder.Pcm, 2, 16000, 16, blockAlign: 3).Data(Samples).Build();

        Assert.Throws<ArgumentException>(() => ReadWithNAudio(file));
    }

    [Fact]
    public void NAudio_throws_ArgumentException_for_an_extensible_fmt_without_its_extension()
    {
        var file = new WavBuilder().Fmt(WavBuilder.Extensible, 1, 16000, 16, extension: []).Data(Samples).Build();

        Assert.Throws<ArgumentException>(() => ReadWithNAudio(file));
    }

    [Fact]
    public void NAudio_turns_a_huge_finite_64_bit_float_into_infinity()
    {
        var file = WavBuilder.FloatFile(1, 16000, 64, WavBuilder.Float64(1e300)).Build();

        Assert.Equal([float.PositiveInfinity], ReadWithNAudio(file));
        Assert.Equal([1f], new WavDecoder().Decode(file).Samples);
    }

    [Fact]
    public void NAudio_converts_16_bit_PCM_to_sample_over_32768_which_WavDecoder_relies_on()
    {
        var file = WavBuilder.PcmFile(1, 16000, 16, WavBuilder.Int16(-32768, -1, 1, 32767)).Build();

        Assert.Equal([-1f, -1 / 32768f, 1 / 32768f, 32767 / 32768f], ReadWithNAudio(file));
    }

    private static float[] ReadWithNAudio(byte[] file)
    {
        using var reader = new WaveFileReader(new MemoryStream(file));
        var provider = reader.ToSampleProvider();
        var samples = new List<float>();
        var buffer = new float[1024 * Math.Max(1, reader.WaveFormat.Channels)];
        int read;
        while ((read = provider.Read(buffer)) > 0)
        {
            samples.AddRange(buffer[..read]);
        }

        return [.. samples];
    }
}
