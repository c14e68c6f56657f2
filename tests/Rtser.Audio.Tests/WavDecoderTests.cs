namespace Rtser.Audio.Tests;

public class WavDecoderTests
{
    private static readonly WavDecoder Decoder = new();

    private static DecodedAudio Decode(WavBuilder builder) => Decoder.Decode(builder.Build());

    [Fact]
    public void Decodes_16_bit_PCM_as_sample_over_32768_exactly()
    {
        short[] values = [0, 1, -1, 12345, -12345, 16384, 32767, -32768];

        var audio = Decode(WavBuilder.PcmFile(1, 16000, 16, WavBuilder.Int16(values)));

        Assert.Equal(values.Select(v => v / 32768f), audio.Samples);
        Assert.Equal(16000, audio.SampleRate);
        Assert.Equal(1, audio.SourceChannels);
        Assert.Equal(16, audio.SourceBitsPerSample);
        Assert.Equal("PCM", audio.SourceEncoding);
    }

    [Fact]
    public void Decodes_8_bit_PCM_as_unsigned_with_offset_128()
    {
        var audio = Decode(WavBuilder.PcmFile(1, 8000, 8, WavBuilder.UInt8(0, 64, 128, 192, 255)));

        Assert.Equal([-1f, -0.5f, 0f, 0.5f, 127 / 128f], audio.Samples);
    }

    [Fact]
    public void Decodes_24_bit_PCM_including_negative_values()
    {
        int[] values = [0, 1, -1, 0x400000, -0x400000, 0x7FFFFF, -0x800000, -1234567];

        var audio = Decode(WavBuilder.PcmFile(1, 48000, 24, WavBuilder.Int24(values)));

        Assert.Equal(values.Select(v => v / 8388608f), audio.Samples);
    }

    [Fact]
    public void Decodes_32_bit_integer_PCM()
    {
        int[] values = [0, 1 << 30, -(1 << 30), int.MaxValue, int.MinValue];

        var audio = Decode(WavBuilder.PcmFile(1, 44100, 32, WavBuilder.Int32(values)));

        Assert.Equal([0f, 0.5f, -0.5f, 1f, -1f], audio.Samples);
    }

    [Fact]
    public void Decodes_32_bit_float_clamping_to_plus_minus_one_and_zeroing_non_finite_values()
    {
        var data = WavBuilder.Float32(0.25f, -0.75f, 1f, -1f, 1.5f, -3f, float.NaN, float.PositiveInfinity, float.NegativeInfinity);

        var audio = Decode(WavBuilder.FloatFile(1, 22050, 32, data));

        Assert.Equal([0.25f, -0.75f, 1f, -1f, 1f, -1f, 0f, 0f, 0f], audio.Samples);
        Assert.Equal("IEEE float", audio.SourceEncoding);
    }

    [Fact]
    public void Decodes_64_bit_float_clamping_huge_finite_values_instead_of_zeroing_them()
    {
        var data = WavBuilder.Float64(0.25, -0.125, 1e300, -1e300, 2.0, double.NaN, double.NegativeInfinity);

        var audio = Decode(WavBuilder.FloatFile(1, 96000, 64, data));

        Assert.Equal([0.25f, -0.125f, 1f, -1f, 1f, 0f, 0f], audio.Samples);
        Assert.Equal(64, audio.SourceBitsPerSample);
    }

    [Fact]
    public void Mixes_stereo_to_mono_by_averaging_the_channels()
    {
        var data = WavBuilder.Int16(16384, 0, -16384, -16384, 32767, -32768, 8192, 24576);

        var audio = Decode(WavBuilder.PcmFile(2, 44100, 16, data));

        Assert.Equal([0.25f, -0.5f, -0.5f / 32768f, 0.5f], audio.Samples);
        Assert.Equal(2, audio.SourceChannels);
    }

    [Fact]
    public void Mixes_64_channels_to_mono()
    {
        // Channel c carries c/64 of full scale in frame 0 and its negative in frame 1.
        var frame0 = Enumerable.Range(0, 64).Select(c => (short)(c * 512));
        var frame1 = Enumerable.Range(0, 64).Select(c => (short)(-c * 512));
        var data = WavBuilder.Int16([.. frame0, .. frame1]);

        var audio = Decode(WavBuilder.PcmFile(64, 48000, 16, data));

        float mean = Enumerable.Range(0, 64).Sum(c => c * 512 / 32768f) / 64;
        Assert.Equal(2, audio.Samples.Length);
        Assert.Equal(mean, audio.Samples[0], 6);
        Assert.Equal(-mean, audio.Samples[1], 6);
        Assert.Equal(64, audio.SourceChannels);
    }

    [Fact]
    public void Decodes_extensible_24_bit_PCM_with_six_channels()
    {
        var data = WavBuilder.Int24([.. Enumerable.Repeat(0x400000, 6), .. Enumerable.Repeat(-0x200000, 6)]);
        var builder = new WavBuilder().FmtExtensible(WavBuilder.PcmSubFormat, 6, 48000, 24, channelMask: 0x3F).Data(data);

        var audio = Decode(builder);

        Assert.Equal([0.5f, -0.25f], audio.Samples);
        Assert.Equal("WAVE_FORMAT_EXTENSIBLE (PCM)", audio.SourceEncoding);
        Assert.Equal(6, audio.SourceChannels);
    }

    [Fact]
    public void Decodes_extensible_32_bit_float_stereo()
    {
        var data = WavBuilder.Float32(0.5f, 0.25f, -1f, float.NaN);
        var builder = new WavBuilder().FmtExtensible(WavBuilder.FloatSubFormat, 2, 44100, 32).Data(data);

        var audio = Decode(builder);

        Assert.Equal([0.375f, -0.5f], audio.Samples);
        Assert.Equal("WAVE_FORMAT_EXTENSIBLE (IEEE float)", audio.SourceEncoding);
    }

    [Fact]
    public void Decodes_extensible_24_valid_bits_in_a_32_bit_container()
    {
        // Valid bits are left-justified, so the container is read as 32-bit PCM.
        var data = WavBuilder.Int32(0x40000000, unchecked((int)0xC0000000));
        var builder = new WavBuilder().FmtExtensible(WavBuilder.PcmSubFormat, 1, 96000, 32, validBits: 24).Data(data);

        Assert.Equal([0.5f, -0.5f], Decode(builder).Samples);
    }

    [Fact]
    public void Decodes_extensible_64_bit_float()
    {
        var builder = new WavBuilder().FmtExtensible(WavBuilder.FloatSubFormat, 1, 192000, 64).Data(WavBuilder.Float64(0.5, -2));

        Assert.Equal([0.5f, -1f], Decode(builder).Samples);
    }

    [Fact]
    public void Accepts_an_18_byte_fmt_chunk_with_an_empty_extension()
    {
        var builder = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 16000, 16, extension: []).Data(WavBuilder.Int16(100, -100));

        Assert.Equal([100 / 32768f, -100 / 32768f], Decode(builder).Samples);
    }

    [Fact]
    public void Skips_unknown_chunks_before_and_after_the_data()
    {
        var builder = new WavBuilder()
            .Chunk("JUNK", new byte[28])
            .Fmt(WavBuilder.Pcm, 1, 16000, 16)
            .Chunk("LIST", "INFOISFT\x0E\0\0\0Lavf58.76.100\0"u8.ToArray())
            .Chunk("fact", WavBuilder.Int32(2))
            .Data(WavBuilder.Int16(1000, -1000))
            .Chunk("id3 ", [1, 2, 3, 4, 5, 6]);

        Assert.Equal([1000 / 32768f, -1000 / 32768f], Decode(builder).Samples);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0x55)]
    public void Skips_the_pad_byte_after_an_odd_sized_chunk(byte pad)
    {
        var builder = new WavBuilder()
            .Fmt(WavBuilder.Pcm, 1, 16000, 16)
            .Chunk("LIST", [1, 2, 3], pad: pad)
            .Data(WavBuilder.Int16(2000));

        Assert.Equal([2000 / 32768f], Decode(builder).Samples);
    }

    [Fact]
    public void Tolerates_an_odd_sized_chunk_written_without_its_pad_byte()
    {
        var builder = new WavBuilder()
            .Fmt(WavBuilder.Pcm, 1, 16000, 16)
            .Chunk("LIST", [1, 2, 3], pad: null)
            .Data(WavBuilder.Int16(2000));

        Assert.Equal([2000 / 32768f], Decode(builder).Samples);
    }

    [Fact]
    public void Decodes_an_odd_sized_8_bit_data_chunk()
    {
        var audio = Decode(WavBuilder.PcmFile(1, 8000, 8, WavBuilder.UInt8(128, 255, 0)));

        Assert.Equal([0f, 127 / 128f, -1f], audio.Samples);
    }

    [Theory]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(1000u)]
    public void Uses_the_bytes_present_when_the_data_size_is_larger_than_the_file(uint declaredSize)
    {
        var builder = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 16000, 16).Data(WavBuilder.Int16(1, 2, 3), declaredSize);

        Assert.Equal([1 / 32768f, 2 / 32768f, 3 / 32768f], Decode(builder).Samples);
    }

    [Fact]
    public void Drops_a_trailing_partial_frame()
    {
        var data = WavBuilder.Int16(100, 200, 300);
        var builder = new WavBuilder().Fmt(WavBuilder.Pcm, 2, 16000, 16).Data(data);

        Assert.Equal([150 / 32768f], Decode(builder).Samples);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(0xFFFFFFFFu)]
    public void Ignores_a_wrong_RIFF_size(uint riffSize)
    {
        var builder = new WavBuilder { RiffSize = riffSize }.Fmt(WavBuilder.Pcm, 1, 16000, 16).Data(WavBuilder.Int16(300));

        Assert.Equal([300 / 32768f], Decode(builder).Samples);
    }

    [Fact]
    public void Ignores_trailing_garbage_after_the_data_chunk()
    {
        var builder = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 16000, 16).Data(WavBuilder.Int16(300)).Raw(0xDE, 0xAD, 0xBE);

        Assert.Equal([300 / 32768f], Decode(builder).Samples);
    }

    [Fact]
    public void Returns_no_samples_for_an_empty_data_chunk()
    {
        var audio = Decode(WavBuilder.PcmFile(1, 16000, 16, []));

        Assert.Empty(audio.Samples);
        Assert.Equal(TimeSpan.Zero, audio.Duration);
    }

    [Fact]
    public void Decodes_more_frames_than_one_internal_block()
    {
        var values = Enumerable.Range(0, 10_000).Select(i => (short)((i % 2000) - 1000)).ToArray();

        var audio = Decode(WavBuilder.PcmFile(1, 16000, 16, WavBuilder.Int16(values)));

        Assert.Equal(values.Select(v => v / 32768f), audio.Samples);
        Assert.Equal(TimeSpan.FromSeconds(0.625), audio.Duration);
    }

    [Fact]
    public void Reads_a_non_seekable_stream_from_its_current_position()
    {
        var wav = WavBuilder.PcmFile(1, 16000, 16, WavBuilder.Int16(7, -7)).Build();
        using var stream = new NonSeekableStream([0xFF, 0xFF, .. wav]);
        stream.ReadExactly(new byte[2]);

        var audio = Decoder.Decode(stream);

        Assert.Equal([7 / 32768f, -7 / 32768f], audio.Samples);
    }

    [Fact]
    public void Reads_a_seekable_stream_from_its_current_position()
    {
        var wav = WavBuilder.PcmFile(1, 16000, 16, WavBuilder.Int16(7, -7)).Build();
        using var stream = new MemoryStream([0xFF, .. wav]) { Position = 1 };

        Assert.Equal([7 / 32768f, -7 / 32768f], Decoder.Decode(stream).Samples);
    }

    [Fact]
    public void Decodes_a_file_by_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rtser-{Guid.NewGuid():N}.wav");
        File.WriteAllBytes(path, WavBuilder.PcmFile(1, 16000, 16, WavBuilder.Int16(11, 22)).Build());
        try
        {
            Assert.Equal([11 / 32768f, 22 / 32768f], Decoder.DecodeFile(path).Samples);
            Assert.Equal([11 / 32768f, 22 / 32768f], Decoder.Decode16kFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Decodes_a_22050_Hz_file_to_16_kHz_mono()
    {
        var values = Enumerable.Range(0, 22050).Select(i => (short)(10000 * Math.Sin(2 * Math.PI * 440 * i / 22050))).ToArray();

        var samples = Decoder.Decode16k(WavBuilder.PcmFile(1, 22050, 16, WavBuilder.Int16(values)).Build());

        Assert.Equal(16000, samples.Length);
    }

    [Fact]
    public void Rejects_invalid_options()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavDecoder(new WavDecoderOptions { MaxChannels = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavDecoder(new WavDecoderOptions { MaxChannels = 65 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavDecoder(new WavDecoderOptions { MinSampleRate = 48000, MaxSampleRate = 8000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavDecoder(new WavDecoderOptions { MaxDurationSeconds = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavDecoder(new WavDecoderOptions { MaxInputBytes = 0 }));
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
