namespace Rtser.Audio.Tests.Media;

public class MediaDecoderTests
{
    private const string SupportedWithoutFfmpeg = "supported: WAV, WebM/Opus, Ogg/Opus; install ffmpeg for MP4, MP3, FLAC";

    private static readonly MediaDecoder NoFfmpeg = new(new MediaDecoderOptions { UseFfmpeg = false });

    private static readonly byte[] Png = [0x89, .. "PNG"u8, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, .. "IHDR"u8, 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55];

    [Fact]
    public void Decodes_WAV_with_the_existing_WavDecoder()
    {
        var wav = WavWriter.Pcm16(Signal.Tone(16000, 440, 0.5), 16000);

        var audio = NoFfmpeg.Decode(wav);

        Assert.Equal(new WavDecoder().Decode(wav).Samples, audio.Samples);
        Assert.Equal(16000, audio.SampleRate);
    }

    [Fact]
    public void Decodes_the_same_from_a_stream_a_file_and_memory()
    {
        var bytes = MediaFiles.Read("speech-20ms.webm");
        using var stream = new MemoryStream(bytes);

        var fromMemory = NoFfmpeg.Decode(bytes).Samples;

        Assert.Equal(fromMemory, NoFfmpeg.Decode(stream).Samples);
        Assert.Equal(fromMemory, NoFfmpeg.DecodeFile(MediaFiles.Path("speech-20ms.webm")).Samples);
    }

    [Fact]
    public void Lists_what_it_decodes_without_ffmpeg()
    {
        Assert.Equal([MediaContainer.Wav, MediaContainer.WebM, MediaContainer.Ogg], NoFfmpeg.SupportedContainers);
        Assert.Equal("WAV, WebM/Opus, Ogg/Opus; install ffmpeg for MP4, MP3, FLAC", NoFfmpeg.SupportedFormats);
        Assert.Null(NoFfmpeg.FfmpegExecutable);
    }

    [Fact]
    public void Treats_a_configured_ffmpeg_path_that_does_not_exist_as_no_ffmpeg()
    {
        var decoder = new MediaDecoder(new MediaDecoderOptions { FfmpegPath = "/nonexistent/ffmpeg" });

        Assert.Null(decoder.FfmpegExecutable);
        Assert.Equal(AudioProblem.Unsupported, Assert.Throws<AudioFormatException>(() => decoder.DecodeFile(MediaFiles.Path("speech.mp3"))).Problem);
    }

    [Theory]
    [InlineData("speech-aac.mp4", "MP4/M4A is not supported without ffmpeg")]
    [InlineData("speech.mp3", "MP3 is not supported without ffmpeg")]
    [InlineData("tone440.flac", "FLAC is not supported without ffmpeg")]
    [InlineData("tone-vorbis.webm", "the audio track's codec is A_VORBIS, not Opus")]
    public void Without_ffmpeg_names_what_is_supported(string file, string message)
    {
        var error = Assert.Throws<AudioFormatException>(() => NoFfmpeg.DecodeFile(MediaFiles.Path(file)));

        Assert.Equal(AudioProblem.Unsupported, error.Problem);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(SupportedWithoutFfmpeg, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_PNG_and_text_as_unsupported_without_ffmpeg()
    {
        foreach (var input in new[] { Png, "just some text, not audio"u8.ToArray() })
        {
            var error = Assert.Throws<AudioFormatException>(() => NoFfmpeg.Decode(input));

            Assert.Equal(AudioProblem.Unsupported, error.Problem);
            Assert.Contains(SupportedWithoutFfmpeg, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Refuses_empty_input_as_malformed()
    {
        var error = Assert.Throws<AudioFormatException>(() => NoFfmpeg.Decode(ReadOnlyMemory<byte>.Empty));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
    }

    [Theory]
    [InlineData("speech-20ms.webm")]
    [InlineData("speech-20ms.ogg")]
    [InlineData("speech-aac.mp4")]
    public void Refuses_input_over_the_byte_limit_from_memory_and_from_a_stream(string file)
    {
        var decoder = new MediaDecoder(new MediaDecoderOptions { MaxInputBytes = 10_000 });
        var bytes = MediaFiles.Read(file);

        Assert.Equal(AudioProblem.TooLarge, Assert.Throws<AudioFormatException>(() => decoder.Decode(bytes)).Problem);
        Assert.Equal(AudioProblem.TooLarge, Assert.Throws<AudioFormatException>(() => decoder.Decode(new NonSeekableStream(bytes))).Problem);
    }

    [Fact]
    public void Refuses_ten_hours_of_Opus_from_the_packet_headers_without_decoding_them()
    {
        // 300,000 two-byte packets of 120 ms each (TOC code 3, six empty 20 ms frames): 10 hours in 900 kB.
        var packets = Enumerable.Repeat(new byte[] { 0xFB, 0x06 }, 300_000).ToList();
        var ogg = new OggBuilder().Page([OpusTestPackets.Head()], 0, 2).Page([OpusTestPackets.Tags], 0).Packets(packets, 5760, endOfStream: true).Build();
        var webm = WebMBuilder.OpusFile(packets, live: true, packetsPerCluster: 5000);

        foreach (var file in new[] { ogg, webm })
        {
            // Decoding 10 hours would take minutes; the bound is generous for a slow machine and far below that.
            var error = Assert.Throws<AudioFormatException>(() => Bounded.Run(() => NoFfmpeg.Decode(file), TimeSpan.FromSeconds(20)));

            Assert.Equal(AudioProblem.TooLong, error.Problem);
            Assert.Contains("the audio is 35999.994 s long; the limit is 600 s", error.Message, StringComparison.Ordinal); // 10 h less the 312-sample pre-skip
        }
    }

    [Fact]
    public void Validates_its_options()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MediaDecoder(new MediaDecoderOptions { MaxDurationSeconds = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MediaDecoder(new MediaDecoderOptions { MaxInputBytes = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MediaDecoder(new MediaDecoderOptions { FfmpegTimeout = TimeSpan.Zero }));
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
