namespace Rtser.Audio.Tests.Media;

public class OggReaderTests
{
    private static readonly byte[][] Packets =
    [
        [1, 2, 3],
        [],
        [.. Enumerable.Range(0, 255).Select(i => (byte)i)],
        [.. Enumerable.Range(0, 600).Select(i => (byte)(i * 7))],
        [.. Enumerable.Range(0, 510).Select(i => (byte)(i * 3))],
        [9],
    ];

    [Theory]
    [InlineData(4000)]
    [InlineData(100)]
    [InlineData(1)]
    public void Gives_back_every_packet_byte_for_byte_however_the_pages_split_them(int maxPageBody)
    {
        var ogg = new OggBuilder { MaxPageBody = maxPageBody }.Packets(Packets, 960, endOfStream: true).Build();

        var pages = OggReader.ReadPages(ogg);
        var packets = OggReader.ReadPackets(pages, 0x1234ABCD);

        Assert.Equal(Packets.Length, packets.Count);
        for (int i = 0; i < Packets.Length; i++)
        {
            Assert.Equal(Packets[i], packets[i].Data.ToArray());
        }

        if (maxPageBody < 255)
        {
            Assert.Contains(pages, p => p.Continued);
        }
    }

    [Fact]
    public void Reads_the_page_header_fields()
    {
        var ogg = new OggBuilder { Serial = 77 }.Page([[1, 2]], granule: 123456789012, headerType: 0x02).Page([[3]], granule: -1, headerType: 0x04).Build();

        var pages = OggReader.ReadPages(ogg);

        Assert.Equal(2, pages.Count);
        Assert.True(pages[0].BeginsStream);
        Assert.Equal(123456789012, pages[0].Granule);
        Assert.Equal(77u, pages[0].Serial);
        Assert.Equal(0u, pages[0].Sequence);
        Assert.True(pages[1].EndsStream);
        Assert.Equal(1u, pages[1].Sequence);
        Assert.Equal(-1, pages[1].Granule);
    }

    [Fact]
    public void Agrees_with_the_CRC_ffmpeg_wrote()
    {
        var pages = OggReader.ReadPages(MediaFiles.Read("speech-20ms.ogg"), verifyCrc: true);

        Assert.True(pages.Count > 3);
    }

    [Fact]
    public void Rejects_a_page_whose_CRC_does_not_match_unless_told_not_to_check()
    {
        var ogg = OggBuilder.OpusFile(OpusTestPackets.Tone440(0.2));
        ogg[^1] ^= 0x40;

        var error = Assert.Throws<AudioFormatException>(() => OggReader.ReadPages(ogg));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("fails its CRC check", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(OggReader.ReadPages(ogg, verifyCrc: false));
    }

    [Fact]
    public void Rejects_lacing_values_that_point_past_the_end()
    {
        var ogg = new OggBuilder().RawPage([255, 255, 10], [1, 2, 3], granule: 0, headerType: 2).Build();

        var error = Assert.Throws<AudioFormatException>(() => OggReader.ReadPages(ogg));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("lacing values add up to 520 body bytes, 3 are left", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_segment_table_cut_off_by_the_end_of_the_file()
    {
        var ogg = new OggBuilder().RawPage([1], [1], granule: 0).Build();
        ogg[26] = 200;

        var error = Assert.Throws<AudioFormatException>(() => OggReader.ReadPages(ogg, verifyCrc: false));

        Assert.Contains("segment table needs 200 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x4F, 0x67, 0x67 }, "a page header needs 27")]
    [InlineData(new byte[] { 0x4F, 0x67, 0x67, 0x54, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "expected an Ogg page")]
    [InlineData(new byte[] { 0x4F, 0x67, 0x67, 0x53, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "stream structure version 1")]
    public void Rejects_broken_page_headers(byte[] ogg, string message)
    {
        var error = Assert.Throws<AudioFormatException>(() => OggReader.ReadPages(ogg, verifyCrc: false));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_page_that_does_not_continue_the_packet_left_open()
    {
        var ogg = new OggBuilder().RawPage([255], new byte[255], granule: -1).RawPage([1], [1], granule: 0).Build();

        var error = Assert.Throws<AudioFormatException>(() => OggReader.ReadPackets(OggReader.ReadPages(ogg), 0x1234ABCD));

        Assert.Contains("does not continue the packet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skips_the_tail_of_a_packet_whose_start_it_never_saw_and_drops_one_left_open_at_the_end()
    {
        var ogg = new OggBuilder().RawPage([5, 2], [1, 1, 1, 1, 1, 7, 7], granule: 0, headerType: 1).RawPage([255], new byte[255], granule: -1).Build();

        var packets = OggReader.ReadPackets(OggReader.ReadPages(ogg), 0x1234ABCD);

        Assert.Equal(new byte[] { 7, 7 }, Assert.Single(packets).Data.ToArray());
    }

    [Fact]
    public void Reads_only_the_requested_logical_stream()
    {
        var a = new OggBuilder { Serial = 1 }.Page([[1]], 0, 2).Build();
        var b = new OggBuilder { Serial = 2 }.Page([[2]], 0, 2).Build();
        var c = new OggBuilder { Serial = 1 }.RawPage([1], [3], 0, sequence: 1).Build();

        byte[] file = [.. a, .. b, .. c];

        var packets = OggReader.ReadPackets(OggReader.ReadPages(file), 1);

        Assert.Equal([[1], [3]], packets.Select(p => p.Data.ToArray()).ToArray());
    }
}
