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
    public void Refuses_hours_of_Opus_from_the_packet_headers_before_decoding_any()
    {
        // The first packet has a valid TOC (code 2, two 20 ms frames) but a first-frame length past its end, which only
        // decoding finds; then 200,000 two-byte packets of 120 ms (TOC code 3, six empty frames): 6.7 hours in 600 kB.
        // TooLong rather than "packet 0 could not be decoded" shows the length is checked before decoding starts.
        byte[] undecodable = [0xFA, 250, 0];
        var shortFiles = Files([undecodable, .. Enumerable.Repeat(new byte[] { 0xFB, 0x06 }, 10)]);
        var longFiles = Files([undecodable, .. Enumerable.Repeat(new byte[] { 0xFB, 0x06 }, 200_000)]);

        foreach (var file in shortFiles)
        {
            var error = Assert.Throws<AudioFormatException>(() => NoFfmpeg.Decode(file));
            Assert.Contains("Opus packet 0 could not be decoded", error.Message, StringComparison.Ordinal);
        }

        foreach (var file in longFiles)
        {
            var error = Assert.Throws<AudioFormatException>(() => Bounded.Run(() => NoFfmpeg.Decode(file), TimeSpan.FromSeconds(20)));

            Assert.Equal(AudioProblem.TooLong, error.Problem);
            Assert.Contains("the audio is 24000.034 s long; the limit is 600 s", error.Message, StringComparison.Ordinal); // 40 ms + 24000 s - pre-skip
        }

        static byte[][] Files(List<byte[]> packets) =>
        [
            new OggBuilder().Page([OpusTestPackets.Head()], 0, 2).Page([OpusTestPackets.Tags], 0).Packets(packets, 5760, endOfStream: true).Build(),
            WebMBuilder.OpusFile(packets, live: true, packetsPerCluster: 5000),
        ];
    }

    [Fact]
    public void Stops_collecting_empty_packets_once_they_cannot_fit_the_duration_limit()
    {
        // A million zero-length (lost) packets, each concealed as at least 2.5 ms: 256 per 6-byte fixed-laced block
        // in WebM, one lacing byte each in Ogg. The readers stop at the most packets the limit allows.
        var decoder = new MediaDecoder(new MediaDecoderOptions { UseFfmpeg = false, MaxDurationSeconds = 1 });
        byte[] lacedBlock = WebMBuilder.Element(WebMBuilder.SimpleBlock, WebMBuilder.BlockBody(1, 0, 0x80 | (2 << 1), [255]));
        byte[] cluster = WebMBuilder.Element(WebMBuilder.Cluster, [.. Enumerable.Repeat(lacedBlock, 4000).SelectMany(b => b)], WebMBuilder.UnknownSize);
        byte[] webm = [.. WebMBuilder.Header(), .. WebMBuilder.Element(WebMBuilder.Segment, [.. WebMBuilder.Master(WebMBuilder.Tracks, WebMBuilder.OpusTrack()), .. cluster], WebMBuilder.UnknownSize)];
        var ogg = new OggBuilder().Page([OpusTestPackets.Head()], 0, 2).Page([OpusTestPackets.Tags], 0).Packets(Enumerable.Repeat(Array.Empty<byte>(), 1_000_000).ToList(), 960, endOfStream: true).Build();

        foreach (var file in new[] { webm, ogg })
        {
            var error = Assert.Throws<AudioFormatException>(() => Bounded.Run(() => decoder.Decode(file), TimeSpan.FromSeconds(20)));

            Assert.Equal(AudioProblem.TooLong, error.Problem);
            Assert.Contains("Opus packets, so it is longer than the duration limit", error.Message, StringComparison.Ordinal);
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
