namespace Rtser.Audio.Tests;

public class WavDecoderRejectionTests
{
    private static readonly byte[] TwoSamples = WavBuilder.Int16(1000, -1000);

    private static readonly Dictionary<string, (Func<byte[]> Build, string Message)> Cases = new()
    {
        ["an empty input"] = (() => [], "input is empty"),
        ["a header cut off after 8 bytes"] = (() => Valid().Build()[..8], "truncated header"),
        ["a header cut off inside the fmt chunk"] = (() => Valid().Build()[..30], "truncated header"),
        ["a file that is not RIFF"] = (() => "OggS\0\x02\0\0\0\0\0\0\0\0"u8.ToArray(), "not a RIFF file: it starts with 'OggS'"),
        ["a file that starts with binary junk"] = (() => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "not a RIFF file: it starts with bytes 00010203"),
        ["a big-endian RIFX file"] = (() => new WavBuilder { RiffId = "RIFX" }.Fmt(WavBuilder.Pcm, 1, 16000, 16).Data(TwoSamples).Build(), "RIFX"),
        ["a RIFF file that is not WAVE"] = (() => new WavBuilder { FormType = "AVI " }.Build(), "the RIFF form type is 'AVI '"),
        ["an RF64 file"] = (() => new WavBuilder { RiffId = "RF64", RiffSize = uint.MaxValue }.Chunk("ds64", new byte[28]).Fmt(WavBuilder.Pcm, 1, 16000, 16).Data(TwoSamples, uint.MaxValue).Build(), "'RF64' (64-bit WAV) is not supported"),
        ["a file without a fmt chunk"] = (() => new WavBuilder().Chunk("LIST", [1, 2]).Build(), "no fmt chunk found"),
        ["a file with only a data chunk"] = (() => new WavBuilder().Data(TwoSamples).Build(), "no fmt chunk found before the data chunk"),
        ["a file without a data chunk"] = (() => new WavBuilder().Fmt(WavBuilder.Pcm, 1, 16000, 16).Build(), "no data chunk found"),
        ["a file with the data chunk before the fmt chunk"] = (() => new WavBuilder().Data(TwoSamples).Fmt(WavBuilder.Pcm, 1, 16000, 16).Build(), "the data chunk comes before the fmt chunk"),
        ["a fmt chunk shorter than 16 bytes"] = (() => new WavBuilder().Chunk("fmt ", new byte[14]).Data(TwoSamples).Build(), "the fmt chunk is 14 bytes; at least 16 are needed"),
        ["a fmt chunk larger than the file"] = (() => new WavBuilder().Chunk("fmt ", new byte[16], declaredSize: 0x7FFFFFF0).Build(), "the fmt chunk declares 2147483632 bytes but only 16 are present"),
        ["a chunk before the data that runs past the end"] = (() => new WavBuilder().Fmt(WavBuilder.Pcm, 1, 16000, 16).Chunk("LIST", [1, 2], declaredSize: uint.MaxValue).Data(TwoSamples).Build(), "chunk 'LIST' declares 4294967295 bytes"),
        ["a file with zero channels"] = (() => Valid(channels: 0, blockAlign: 2).Build(), "channel count 0 is not supported (1-64)"),
        ["a file with 65 channels"] = (() => Valid(channels: 65).Build(), "channel count 65 is not supported (1-64)"),
        ["a file with 65535 channels"] = (() => Valid(channels: 65535, blockAlign: 2).Build(), "channel count 65535 is not supported (1-64)"),
        ["a sample rate of 0 Hz"] = (() => Valid(rate: 0).Build(), "sample rate 0 Hz is not supported (8000-192000 Hz)"),
        ["a sample rate of 7999 Hz"] = (() => Valid(rate: 7999).Build(), "sample rate 7999 Hz is not supported"),
        ["a sample rate of 192001 Hz"] = (() => Valid(rate: 192001).Build(), "sample rate 192001 Hz is not supported"),
        ["a sample rate of 4294967295 Hz"] = (() => Valid(rate: uint.MaxValue).Build(), "sample rate 4294967295 Hz is not supported"),
        ["a block align of 0"] = (() => Valid(blockAlign: 0).Build(), "block align 0 is inconsistent: 1 channel(s) of 16 bits need 2 bytes per frame"),
        ["a block align that does not match the channels"] = (() => Valid(channels: 2, blockAlign: 3).Build(), "block align 3 is inconsistent"),
        ["0 bits per sample"] = (() => Valid(bits: 0, blockAlign: 2).Build(), "bits per sample 0 is not supported for PCM (8, 16, 24 or 32)"),
        ["12 bits per sample"] = (() => Valid(bits: 12, blockAlign: 2).Build(), "bits per sample 12 is not supported for PCM"),
        ["16-bit float"] = (() => Valid(tag: WavBuilder.IeeeFloat).Build(), "bits per sample 16 is not supported for IEEE float (32 or 64)"),
        ["MS ADPCM"] = (() => Valid(tag: 0x0002, bits: 4).Build(), "format tag 0x0002 (Adpcm) is not supported"),
        ["A-law"] = (() => Valid(tag: 0x0006, bits: 8).Build(), "format tag 0x0006 (ALaw) is not supported"),
        ["mu-law"] = (() => Valid(tag: 0x0007, bits: 8).Build(), "format tag 0x0007 (MuLaw) is not supported"),
        ["MP3 in WAV"] = (() => Valid(tag: 0x0055, bits: 0, blockAlign: 1).Build(), "format tag 0x0055 (MpegLayer3) is not supported"),
        ["an unknown format tag"] = (() => Valid(tag: 0x1234).Build(), "format tag 0x1234 is not supported"),
        ["an extensible fmt chunk without an extension"] = (() => Valid(tag: WavBuilder.Extensible).Build(), "WAVE_FORMAT_EXTENSIBLE needs a 22-byte fmt extension but this one has 0 bytes"),
        ["an extensible fmt chunk with a short extension"] = (() => Valid(tag: WavBuilder.Extensible, extension: new byte[10]).Build(), "this one has 10 bytes"),
        ["an extensible fmt chunk whose cbSize is too small"] = (() => ExtensibleWithCbSize(8).Build(), "this one has 8 bytes"),
        ["an extensible A-law subformat"] = (() => new WavBuilder().FmtExtensible(WavBuilder.SubFormatFor(6), 1, 8000, 8).Data(TwoSamples).Build(), "subformat 0x0006 (ALaw) is not supported"),
        ["an extensible subformat that is not a wave format"] = (() => new WavBuilder().FmtExtensible(Guid.Parse("6ba4a2b9-3a37-4cc1-9d1b-6a0d87f1c6d7"), 1, 8000, 16).Data(TwoSamples).Build(), "subformat 6ba4a2b9-3a37-4cc1-9d1b-6a0d87f1c6d7 is not supported"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rejects_with_a_clear_AudioFormatException(string input)
    {
        var (build, message) = Cases[input];

        var error = Assert.Throws<AudioFormatException>(() => new WavDecoder().Decode(build()));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rejects_the_same_input_read_from_a_stream(string input)
    {
        using var stream = new MemoryStream(Cases[input].Build());

        Assert.Throws<AudioFormatException>(() => new WavDecoder().Decode(stream));
    }

    [Fact]
    public void Rejects_a_file_with_zero_channels() =>
        Assert.Throws<AudioFormatException>(() => new WavDecoder().Decode(Valid(channels: 0, blockAlign: 2).Build()));

    [Fact]
    public void Rejects_audio_longer_than_the_duration_limit()
    {
        var decoder = new WavDecoder(new WavDecoderOptions { MaxDurationSeconds = 1 });
        var twoSeconds = WavBuilder.PcmFile(1, 8000, 16, new byte[2 * 8000 * 2]).Build();

        var error = Assert.Throws<AudioFormatException>(() => decoder.Decode(twoSeconds));

        Assert.Equal("the audio is 2 s long; the limit is 1 s", error.Message);
        Assert.Equal(AudioProblem.TooLong, error.Problem);
    }

    [Theory]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0x7FFFF000u)]
    public void Strict_decoding_still_accepts_the_placeholder_sizes_streaming_writers_leave(uint declared)
    {
        var strict = new WavDecoder(new WavDecoderOptions { RejectTruncatedData = true });
        var file = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 8000, 16).Data(new byte[800], declaredSize: declared).Build();

        Assert.Equal(400, strict.Decode(file).Samples.Length);
    }

    [Fact]
    public void Strict_decoding_refuses_a_data_chunk_cut_short_of_its_declared_size()
    {
        var strict = new WavDecoder(new WavDecoderOptions { RejectTruncatedData = true });
        byte[] file = WavBuilder.PcmFile(1, 8000, 16, new byte[1600]).Build()[..1000];

        var error = Assert.Throws<AudioFormatException>(() => strict.Decode(file));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("truncated data: the data chunk declares 1600 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(478, new WavDecoder().Decode(file).Samples.Length);
    }

    [Theory]
    [InlineData("an empty input", AudioProblem.Malformed)]
    [InlineData("a header cut off inside the fmt chunk", AudioProblem.Malformed)]
    [InlineData("a chunk before the data that runs past the end", AudioProblem.Malformed)]
    [InlineData("a file with zero channels", AudioProblem.Malformed)]
    [InlineData("a sample rate of 0 Hz", AudioProblem.Malformed)]
    [InlineData("a file that is not RIFF", AudioProblem.Unsupported)]
    [InlineData("an RF64 file", AudioProblem.Unsupported)]
    [InlineData("a file with 65 channels", AudioProblem.Unsupported)]
    [InlineData("a sample rate of 192001 Hz", AudioProblem.Unsupported)]
    public void Says_whether_the_input_is_broken_or_just_unsupported(string input, AudioProblem expected) =>
        Assert.Equal(expected, Assert.Throws<AudioFormatException>(() => new WavDecoder().Decode(Cases[input].Build())).Problem);

    [Fact]
    public void Measures_the_duration_limit_on_the_bytes_present_not_the_declared_size()
    {
        var decoder = new WavDecoder(new WavDecoderOptions { MaxDurationSeconds = 1 });
        var file = new WavBuilder().Fmt(WavBuilder.Pcm, 1, 8000, 16).Data(new byte[8000], declaredSize: uint.MaxValue).Build();

        Assert.Equal(4000, decoder.Decode(file).Samples.Length);
    }

    [Fact]
    public void Rejects_an_input_larger_than_the_byte_limit_without_reading_it_all()
    {
        var decoder = new WavDecoder(new WavDecoderOptions { MaxInputBytes = 1000 });
        using var endless = new EndlessStream();

        var error = Assert.Throws<AudioFormatException>(() => decoder.Decode(endless));
        Assert.Equal(AudioProblem.TooLarge, error.Problem);

        Assert.Equal("the input is larger than the 1000-byte limit", error.Message);
        Assert.True(endless.BytesRead < 100_000);
    }

    [Fact]
    public void Rejects_a_seekable_input_larger_than_the_byte_limit()
    {
        var decoder = new WavDecoder(new WavDecoderOptions { MaxInputBytes = 100 });
        using var stream = new MemoryStream(WavBuilder.PcmFile(1, 8000, 16, new byte[200]).Build());

        Assert.Throws<AudioFormatException>(() => decoder.Decode(stream));
    }

    [Fact]
    public void Rejects_channel_counts_above_a_configured_maximum()
    {
        var decoder = new WavDecoder(new WavDecoderOptions { MaxChannels = 2 });

        var error = Assert.Throws<AudioFormatException>(() => decoder.Decode(Valid(channels: 3).Build()));

        Assert.Equal("channel count 3 is not supported (1-2)", error.Message);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_decodes_or_throws_AudioFormatException()
    {
        var file = new WavBuilder()
            .Chunk("LIST", [1, 2, 3])
            .FmtExtensible(WavBuilder.PcmSubFormat, 2, 44100, 24)
            .Data(WavBuilder.Int24(1, 2, 3, 4, 5, 6))
            .Build();

        for (int length = 0; length <= file.Length; length++)
        {
            AssertDecodesOrRejects(file[..length]);
        }
    }

    [Fact]
    public void Random_corruptions_of_valid_files_decode_or_throw_AudioFormatException()
    {
        var random = new Random(20240611);
        byte[][] seeds =
        [
            Valid().Build(),
            new WavBuilder().Chunk("LIST", [1, 2, 3]).FmtExtensible(WavBuilder.FloatSubFormat, 2, 48000, 32).Data(WavBuilder.Float32(0.5f, -0.5f, 0.25f, 1f)).Build(),
            WavBuilder.FloatFile(1, 96000, 64, WavBuilder.Float64(0.5, -0.5)).Build(),
        ];

        for (int i = 0; i < 3000; i++)
        {
            var file = (byte[])seeds[i % seeds.Length].Clone();
            int flips = random.Next(1, 6);
            for (int f = 0; f < flips; f++)
            {
                file[random.Next(file.Length)] = (byte)random.Next(256);
            }

            AssertDecodesOrRejects(file[..random.Next(file.Length + 1)]);
            AssertDecodesOrRejects(file);
        }
    }

    private static void AssertDecodesOrRejects(byte[] file)
    {
        try
        {
            var audio = new WavDecoder().Decode(file);
            Assert.All(audio.Samples, s => Assert.InRange(s, -1f, 1f));
        }
        catch (AudioFormatException)
        {
        }
    }

    private static WavBuilder Valid(ushort tag = WavBuilder.Pcm, int channels = 1, uint rate = 16000, int bits = 16, int? blockAlign = null, byte[]? extension = null) =>
        new WavBuilder().Fmt(tag, channels, rate, bits, blockAlign, extension).Data(TwoSamples);

    private static WavBuilder ExtensibleWithCbSize(int cbSize)
    {
        // A full 40-byte extensible fmt chunk whose cbSize field understates the extension.
        var fmt = new WavBuilder().FmtExtensible(WavBuilder.PcmSubFormat, 1, 16000, 16).Build()[20..60];
        fmt[16] = (byte)cbSize;
        return new WavBuilder().Chunk("fmt ", fmt).Data(TwoSamples);
    }

    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)'R');
            BytesRead += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
