namespace Rtser.Audio.Tests.Media;

/// <summary>Ogg Opus on hand-built files (test-encoded packets), through <see cref="MediaDecoder"/>.</summary>
public class OggOpusTests
{
    private static readonly MediaDecoder Decoder = new(new MediaDecoderOptions { UseFfmpeg = false });

    [Fact]
    public void Decodes_a_hand_built_tone_and_drops_the_pre_skip()
    {
        var packets = OpusTestPackets.Tone440(1);

        var audio = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(preSkip: 312)));

        Assert.Equal(48000, audio.SampleRate);
        Assert.Equal((packets.Count * 960) - 312, audio.Samples.Length);
        Assert.Equal(440, MediaFiles.DominantFrequency(audio.Samples, 48000));
        Assert.Equal("Opus (Ogg)", audio.SourceEncoding);
    }

    [Fact]
    public void Pre_skip_shifts_the_output_by_exactly_that_many_samples()
    {
        var packets = OpusTestPackets.Tone440(0.5);

        var none = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(preSkip: 0))).Samples;
        var some = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(preSkip: 1000))).Samples;

        Assert.Equal(none.Length - 1000, some.Length);
        Assert.Equal(none[1000..], some);
    }

    [Fact]
    public void Packets_spanning_pages_decode_exactly_as_packets_on_one_page()
    {
        // 160 kbit/s makes 400-byte packets: two lacing segments each, so 300-byte pages split every packet.
        var packets = OpusTestPackets.Encode(Signal.Tone(48000, 440, 0.5, 0.5), bitrate: 160000);
        Assert.All(packets, p => Assert.True(p.Length > 255));
        var split = OggBuilder.OpusFile(packets, maxPageBody: 300);
        Assert.True(OggReader.ReadPages(split).Count(p => p.Continued) >= packets.Count - 1);

        var whole = Decoder.Decode(OggBuilder.OpusFile(packets)).Samples;

        Assert.Equal(whole, Decoder.Decode(split).Samples);
    }

    [Fact]
    public void A_real_file_repaginated_to_one_segment_per_page_decodes_to_the_same_samples()
    {
        var original = MediaFiles.Read("speech-20ms.ogg");
        var stream = OggOpusReader.Read(original);
        var repaged = OggBuilder.OpusFile(stream.Packets.Select(p => p.Data.ToArray()), OpusTestPackets.Head(preSkip: stream.Head.PreSkip), maxPageBody: 1);
        Assert.True(OggReader.ReadPages(repaged).Count >= stream.Packets.Count);

        var expected = Decoder.Decode(original).Samples;
        var actual = Decoder.Decode(repaged).Samples;

        // The original trims its end by granule; the rebuilt one does not.
        Assert.Equal(expected, actual[..expected.Length]);
    }

    [Fact]
    public void Zero_length_packets_are_concealed_as_lost_ones_of_the_previous_duration()
    {
        var packets = OpusTestPackets.Tone440(0.5);
        packets[10] = [];
        packets[11] = [];

        var audio = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(preSkip: 0)));

        Assert.Equal(packets.Count * 960, audio.Samples.Length);
    }

    [Fact]
    public void The_last_granule_position_trims_the_end_within_the_last_packet()
    {
        var packets = OpusTestPackets.Tone440(0.5);

        var audio = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(preSkip: 0), lastGranule: (packets.Count * 960) - 500));

        Assert.Equal((packets.Count * 960) - 500, audio.Samples.Length);
    }

    [Fact]
    public void A_granule_position_that_would_cut_more_than_the_last_packet_is_ignored()
    {
        var packets = OpusTestPackets.Tone440(0.5);

        var audio = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(preSkip: 0), lastGranule: 960));

        Assert.Equal(packets.Count * 960, audio.Samples.Length);
    }

    [Fact]
    public void Applies_the_output_gain_of_the_header()
    {
        var packets = OpusTestPackets.Tone440(0.5);

        var plain = Decoder.Decode(OggBuilder.OpusFile(packets)).Samples;
        var halved = Decoder.Decode(OggBuilder.OpusFile(packets, OpusTestPackets.Head(gainQ8: -1541))).Samples;

        Assert.Equal(-6.02, 20 * Math.Log10(Signal.MiddleRms(halved) / Signal.MiddleRms(plain)), 2);
    }

    [Fact]
    public void The_input_rate_in_the_header_is_informational_and_decoding_is_at_48_kHz()
    {
        var stream = OggOpusReader.Read(MediaFiles.Read("speech-20ms.ogg"));

        Assert.Equal(16000u, stream.Head.InputSampleRate);
        Assert.Equal(48000, Decoder.Decode(MediaFiles.Read("speech-20ms.ogg")).SampleRate);
    }

    [Fact]
    public void Refuses_Ogg_Vorbis_by_name_with_the_supported_formats()
    {
        var ogg = new OggBuilder().Page([[1, .. "vorbis"u8, 0, 0, 0, 0, 1, 0x44, 0xAC, 0, 0]], 0, 2).Build();

        var error = Assert.Throws<AudioFormatException>(() => Decoder.Decode(ogg));

        Assert.Equal(AudioProblem.Unsupported, error.Problem);
        Assert.Contains("the Ogg file holds Vorbis, not Opus", error.Message, StringComparison.Ordinal);
        Assert.Contains("supported: WAV, WebM/Opus, Ogg/Opus; install ffmpeg for MP4, MP3, FLAC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_Opus_stream_without_OpusTags()
    {
        var ogg = new OggBuilder().Page([OpusTestPackets.Head()], 0, 2).Page([OpusTestPackets.Silent20Ms], 960).Build();

        var error = Assert.Throws<AudioFormatException>(() => Decoder.Decode(ogg));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("no OpusTags", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, "declares 0 channels")]
    [InlineData(3, 0, "3 channels with mapping family 0")]
    [InlineData(2, 2, "mapping family 2 is not supported")]
    public void Rejects_impossible_channel_layouts(int channels, int family, string message)
    {
        var ogg = OggBuilder.OpusFile([OpusTestPackets.Silent20Ms], OpusTestPackets.Head(channels, family: family));

        var error = Assert.Throws<AudioFormatException>(() => Decoder.Decode(ogg));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_packet_that_is_not_Opus()
    {
        // TOC code 3 with a frame count byte of 0 is invalid.
        var ogg = OggBuilder.OpusFile([OpusTestPackets.Silent20Ms, [0x03, 0x00]]);

        var error = Assert.Throws<AudioFormatException>(() => Decoder.Decode(ogg));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("Opus packet 1", error.Message, StringComparison.Ordinal);
    }
}
