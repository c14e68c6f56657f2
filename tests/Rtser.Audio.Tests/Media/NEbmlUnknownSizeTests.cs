using NEbml.Core;
using static Rtser.Audio.Tests.Media.WebMBuilder;

namespace Rtser.Audio.Tests.Media;

/// <summary>
/// Why WebMOpusReader walks Segment and Cluster itself: what NEbml 1.1.0.5's EbmlReader does with the unknown-size
/// elements Chromium's MediaRecorder writes. If these start failing, NEbml has changed and the walk can be revisited.
/// </summary>
public class NEbmlUnknownSizeTests
{
    [Fact]
    public void NEbml_refuses_Chromiums_unknown_size_Segment_at_the_root()
    {
        using var reader = new EbmlReader(new MemoryStream(MediaFiles.Read("chromium-live.webm")));
        Assert.True(reader.ReadNext()); // the EBML header

        var error = Assert.Throws<EbmlDataFormatException>(() => reader.ReadNext());

        Assert.Contains("unknown-size elements are not allowed at root level", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NEbml_stretches_an_unknown_size_Cluster_over_the_next_Cluster()
    {
        // A known-size Segment holding two unknown-size Clusters: EBML ends the first at the second's ID,
        // NEbml makes the second a child of the first.
        byte[] segment = Element(Segment, [.. Element(Cluster, SimpleBlockOf([0xF8]), UnknownSize), .. Element(Cluster, SimpleBlockOf([0xF8]), UnknownSize)]);
        using var reader = new EbmlReader(new MemoryStream(segment));
        Assert.True(reader.ReadNext());
        reader.EnterContainer();
        Assert.True(reader.ReadNext());
        Assert.Equal(Cluster, reader.ElementId.EncodedValue);
        reader.EnterContainer();

        var children = new List<ulong>();
        while (reader.ReadNext())
        {
            children.Add(reader.ElementId.EncodedValue);
        }

        Assert.Equal([SimpleBlock, Cluster], children);
    }
}
