using static Rtser.Audio.Tests.Media.WebMBuilder;

namespace Rtser.Audio.Tests.Media;

/// <summary>WebM on hand-built bytes (<see cref="WebMBuilder"/>, test-encoded Opus packets) and on Chromium's recording.</summary>
public class WebMReaderTests
{
    private static readonly MediaDecoder Decoder = new(new MediaDecoderOptions { UseFfmpeg = false });

    [Fact]
    public void Reads_the_same_packets_from_the_live_layout_as_from_known_sizes()
    {
        var packets = OpusTestPackets.Tone440(0.5);

        var known = WebMOpusReader.Read(OpusFile(packets, live: false, packetsPerCluster: 7));
        var live = WebMOpusReader.Read(OpusFile(packets, live: true, packetsPerCluster: 7));

        Assert.Equal(packets, known.Packets.Select(p => p.Data.ToArray()));
        Assert.Equal(packets, live.Packets.Select(p => p.Data.ToArray()));
        Assert.Equal(312, live.Head.PreSkip);
    }

    [Fact]
    public void Decodes_a_hand_built_live_WebM_tone()
    {
        var packets = OpusTestPackets.Tone440(1);

        var audio = Decoder.Decode(OpusFile(packets, live: true));

        Assert.Equal((packets.Count * 960) - 312, audio.Samples.Length);
        Assert.Equal(440, MediaFiles.DominantFrequency(audio.Samples, 48000));
        Assert.Equal("Opus (WebM)", audio.SourceEncoding);
    }

    [Fact]
    public void Reads_Chromiums_MediaRecorder_output_with_unknown_size_Segment_and_Clusters()
    {
        var file = MediaFiles.Read("chromium-live.webm");
        Assert.Equal(UnknownSize, file.AsSpan(0x28, 8).ToArray()); // the Segment's size, as Chromium wrote it

        byte[] unknownSizeCluster = [.. Id(Cluster), .. UnknownSize];
        Assert.True(Occurrences(file, unknownSizeCluster) >= 3);

        var stream = WebMOpusReader.Read(file);

        Assert.Equal(2, stream.Head.Channels);
        Assert.Equal(0, stream.Head.PreSkip); // Chromium writes no pre-skip
        Assert.Equal(50, stream.Packets.Count); // 3 s in Chromium's 60 ms packets
        Assert.All(stream.Packets, p => Assert.Equal(2880, Concentus.Structs.OpusPacketInfo.GetNumSamples(p.Data.Span, 48000)));
    }

    [Fact]
    public void Takes_only_the_Opus_tracks_blocks_when_there_is_also_video()
    {
        var packets = OpusTestPackets.Tone440(0.2);
        var video = Master(TrackEntry, Uint(TrackNumber, 2), Uint(TrackType, 1), Text(CodecId, "V_VP8"));
        byte[] videoBlock = SimpleBlockOf([0x9D, 0x01, 0x2A], track: 2);
        var blocks = packets.SelectMany(p => SimpleBlockOf(p)).Concat(videoBlock).ToArray();
        byte[] body = [.. Master(Tracks, OpusTrack(), video), .. Element(Cluster, [.. Uint(Timecode, 0), .. blocks], UnknownSize)];

        var stream = WebMOpusReader.Read(Bytes(Header(), Element(Segment, body, UnknownSize)));

        Assert.Equal(packets.Count, stream.Packets.Count);
    }

    [Theory]
    [InlineData(1)] // Xiph
    [InlineData(2)] // fixed size
    [InlineData(3)] // EBML
    public void Splits_laced_blocks_into_their_frames(int lacing)
    {
        byte[][] frames = lacing == 2 ? [[1, 2, 3], [4, 5, 6], [7, 8, 9]] : [[1], [.. new byte[300]], [2, 3], [4, 5, 6, 7]];
        byte[] sizes = lacing switch
        {
            1 => [(byte)(frames.Length - 1), 1, 255, 45, 2],
            3 => [(byte)(frames.Length - 1), .. Size(1), .. SignedSize(299, 2), .. SignedSize(-298, 2)],
            _ => [(byte)(frames.Length - 1)],
        };
        byte[] body = BlockBody(1, 0, (byte)(0x80 | (lacing << 1)), [.. sizes, .. frames.SelectMany(f => f)]);

        var block = WebMOpusReader.ParseBlock(body, 0);

        Assert.Equal(frames, block.Frames.Select(f => f.ToArray()));
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0, 0, 0x82, 2, 10, 10, 1 }, "frame sizes add up to 20 bytes but only 1 follow")]
    [InlineData(new byte[] { 0x81, 0, 0, 0x82, 1, 255, 255 }, "Xiph-laced block's sizes run past its end")]
    [InlineData(new byte[] { 0x81, 0, 0, 0x86, 1, 0x40, 0xFF, 1, 2 }, "gives frame 0 a size")]
    [InlineData(new byte[] { 0x81, 0, 0, 0x86, 1, 0x88, 1, 2 }, "frame sizes add up to 8 bytes but only 2 follow")]
    [InlineData(new byte[] { 0x81, 0, 0, 0x84, 2, 1, 2 }, "cannot hold 3 equal frames")]
    [InlineData(new byte[] { 0x81, 0 }, "too short for its header")]
    [InlineData(new byte[] { 0x81, 0, 0, 0x82 }, "no frame count")]
    public void Rejects_lacing_that_points_past_the_end_of_the_block(byte[] block, string message)
    {
        var error = Assert.Throws<AudioFormatException>(() => WebMOpusReader.ParseBlock(block, 0));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trims_the_end_by_the_DiscardPadding_of_the_last_BlockGroup()
    {
        var packets = OpusTestPackets.Tone440(0.2);
        var blocks = packets.SkipLast(1).SelectMany(p => SimpleBlockOf(p)).ToList();
        blocks.AddRange(Master(BlockGroup, Element(Block, BlockBody(1, 0, 0, packets[^1])), Uint(DiscardPadding, 5_000_000))); // 5 ms
        byte[] body = [.. Master(Tracks, OpusTrack(head: OpusTestPackets.Head(preSkip: 0))), .. Element(Cluster, [.. blocks])];

        var audio = Decoder.Decode(Bytes(Header(), Element(Segment, body)));

        Assert.Equal((packets.Count * 960) - 240, audio.Samples.Length);
    }

    public static TheoryData<string, byte[], AudioProblem, string> RejectedFiles => new()
    {
        { "a Segment declaring 2^56 - 2 bytes", [.. Header(), .. Element(Segment, [.. Master(Tracks, OpusTrack())], [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])], AudioProblem.Malformed, "the Segment at byte" },
        { "a Cluster declaring 2^56 - 2 bytes", Live(Master(Tracks, OpusTrack()), Element(Cluster, SimpleBlockOf([0xF8]), [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])), AudioProblem.Malformed, "a Cluster at byte" },
        { "a SimpleBlock declaring 2 GB", Live(Master(Tracks, OpusTrack()), Element(Cluster, [.. Id(SimpleBlock), 0x08, 0x7F, 0xFF, 0xFF, 0xFF, 0x81, 0, 0, 0x80, 0xF8], UnknownSize)), AudioProblem.Malformed, "Cluster child 0xA3 at byte" },
        { "a CodecPrivate declaring more bytes than its track", [.. Header(), .. Element(Segment, Master(Tracks, Master(TrackEntry, Uint(TrackNumber, 1), Element(CodecPrivate, [1, 2], [0x88]))))], AudioProblem.Malformed, "WebM: an element could not be read" },
        { "an unknown-size Tracks element", [.. Header(), .. Element(Segment, Element(Tracks, OpusTrack(), UnknownSize), UnknownSize)], AudioProblem.Malformed, "has an unknown size; only Segment and Cluster may" },
        { "an element ID starting with a zero byte", [.. Header(), .. Element(Segment, [0x00, 0x81, 0x00], UnknownSize)], AudioProblem.Malformed, "an element ID at byte" },
        { "a Cluster before the Tracks element", [.. Header(), .. Element(Segment, Element(Cluster, SimpleBlockOf([0xF8]), UnknownSize), UnknownSize)], AudioProblem.Malformed, "a Cluster at byte 48 comes before the Tracks element" },
        { "no Tracks element", [.. Header(), .. Element(Segment, Master(Info, Uint(TimecodeScale, 1_000_000)), UnknownSize)], AudioProblem.Malformed, "no Tracks element" },
        { "no Segment", Header(), AudioProblem.Malformed, "no Segment element" },
        { "a Matroska document type that is not WebM", [.. Header("mka-custom"), .. Element(Segment, [])], AudioProblem.Unsupported, "document type 'mka-custom'" },
        { "a Vorbis track", Live(Master(Tracks, OpusTrack(codec: "A_VORBIS")), Element(Cluster, SimpleBlockOf([1]), UnknownSize)), AudioProblem.Unsupported, "the audio track's codec is A_VORBIS, not Opus" },
        { "video only", Live(Master(Tracks, OpusTrack(codec: "V_VP8", type: 1)), Element(Cluster, SimpleBlockOf([1]), UnknownSize)), AudioProblem.Unsupported, "the file has video but no audio track" },
        { "an OpusHead with 0 channels", Live(Master(Tracks, OpusTrack(head: OpusTestPackets.Head(0))), Element(Cluster, SimpleBlockOf([0xF8]), UnknownSize)), AudioProblem.Malformed, "declares 0 channels" },
        { "a CodecPrivate that is not an OpusHead", Live(Master(Tracks, OpusTrack(head: [1, 2, 3])), Element(Cluster, SimpleBlockOf([0xF8]), UnknownSize)), AudioProblem.Malformed, "does not start with 'OpusHead'" },
        { "a block that is not an Opus packet", Live(Master(Tracks, OpusTrack()), Element(Cluster, [.. SimpleBlockOf([0xF8]), .. SimpleBlockOf([0x03, 0x00])], UnknownSize)), AudioProblem.Malformed, "WebM Opus packet 1" },
    };

    [Theory]
    [MemberData(nameof(RejectedFiles))]
    public void Rejects_with_the_right_problem(string input, byte[] file, AudioProblem problem, string message)
    {
        var error = Assert.Throws<AudioFormatException>(() => Decoder.Decode(file));

        Assert.True(problem == error.Problem, $"{input}: {error.Problem}: {error.Message}");
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        if (problem == AudioProblem.Unsupported)
        {
            Assert.Contains("supported: WAV, WebM/Opus, Ogg/Opus; install ffmpeg for MP4, MP3, FLAC", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Decodes_empty_zero_length_blocks_as_concealed_frames()
    {
        byte[] body = [.. Master(Tracks, OpusTrack(head: OpusTestPackets.Head(preSkip: 0))), .. Element(Cluster, [.. SimpleBlockOf(OpusTestPackets.Silent20Ms), .. SimpleBlockOf([]), .. SimpleBlockOf([])], UnknownSize)];

        var audio = Decoder.Decode(Bytes(Header(), Element(Segment, body, UnknownSize)));

        Assert.Equal(3 * 960, audio.Samples.Length);
    }

    [Fact]
    public void Stops_an_unknown_size_Cluster_at_the_next_top_level_element()
    {
        var packets = OpusTestPackets.Tone440(0.1);
        byte[] body = [.. Master(Tracks, OpusTrack()), .. Element(Cluster, SimpleBlockOf(packets[0]), UnknownSize), .. Master(Cues, Uint(0xBB, 0)), .. Element(Cluster, SimpleBlockOf(packets[1]), UnknownSize)];

        var stream = WebMOpusReader.Read(Bytes(Header(), Element(Segment, body, UnknownSize)));

        Assert.Equal(2, stream.Packets.Count);
    }

    private static int Occurrences(byte[] haystack, byte[] needle)
    {
        int count = 0;
        for (int i = haystack.AsSpan().IndexOf(needle); i >= 0; i = haystack.AsSpan(i + 1).IndexOf(needle) is int next and >= 0 ? i + 1 + next : -1)
        {
            count++;
        }

        return count;
    }

    private static byte[] Bytes(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] Live(params byte[][] segmentChildren) => [.. Header(), .. Element(Segment, [.. segmentChildren.SelectMany(c => c)], UnknownSize)];

    private static byte[] SignedSize(int difference, int length) => length switch
    {
        2 => [(byte)(0x40 | ((difference + 8191) >> 8)), (byte)(difference + 8191)],
        _ => throw new ArgumentOutOfRangeException(nameof(length)),
    };
}
