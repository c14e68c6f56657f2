namespace Rtser.Inference.Tests;

/// <summary>The segmenter's rules on speech decisions written by hand (10 ms frames, the default options).</summary>
public sealed class SegmenterTests
{
    private const int Shift = 160;
    private const int FrameLength = 400;

    /// <summary>Feeds runs of (speech?, seconds) as frame decisions; returns every segment in seconds and the recording's samples.</summary>
    private static (List<(double Start, double End, bool Speech)> Segments, long Samples) Cut(params (bool Speech, double Seconds)[] runs) =>
        CutWithMargin(null, runs);

    /// <summary>As <see cref="Cut"/>, keeping <paramref name="margin"/> seconds of silence around cut speech (a model's own).</summary>
    private static (List<(double Start, double End, bool Speech)> Segments, long Samples) CutWithMargin(double? margin, params (bool Speech, double Seconds)[] runs)
    {
        var segmenter = new UtteranceSegmenter(new TimelineOptions(), Shift, margin);
        var segments = new List<SegmentBounds>();
        long frames = 0;
        foreach ((bool speech, double seconds) in runs)
        {
            for (int i = 0; i < (int)Math.Round(seconds * 100); i++, frames++)
            {
                segmenter.Next(speech);
                segments.AddRange(segmenter.TakeReady());
            }
        }

        long samples = ((frames - 1) * Shift) + FrameLength;
        segments.AddRange(segmenter.Finish(samples));
        return ([.. segments.Select(s => (s.Start / 16000.0, s.End / 16000.0, s.HasSpeech))], samples);
    }

    private static (bool, double) Speech(double seconds) => (true, seconds);

    private static (bool, double) Silence(double seconds) => (false, seconds);

    [Fact]
    public void One_utterance_no_longer_than_the_longest_segment_is_the_whole_recording_margins_and_all()
    {
        (var segments, long samples) = Cut(Silence(1.5), Speech(3), Silence(0.3), Speech(1), Silence(2.1));

        Assert.Equal([(0.0, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void A_pause_is_cut_in_its_middle()
    {
        (var segments, long samples) = Cut(Speech(2), Silence(0.6), Speech(2));

        Assert.Equal([(0.0, 2.3, true), (2.3, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void A_short_utterance_joins_the_next_one()
    {
        (var segments, long samples) = Cut(Speech(2), Silence(0.6), Speech(0.3), Silence(0.6), Speech(2));

        Assert.Equal([(0.0, 2.3, true), (2.3, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void A_short_last_utterance_joins_the_one_before()
    {
        (var segments, long samples) = Cut(Speech(3), Silence(0.6), Speech(2), Silence(0.6), Speech(0.3));

        Assert.Equal([(0.0, 3.3, true), (3.3, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void Speech_without_pauses_is_cut_at_the_longest_segment()
    {
        (var segments, long samples) = Cut(Speech(20));

        Assert.Equal([(0.0, 8.0, true), (8.0, 16.0, true), (16.0, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void Speech_with_only_short_gaps_is_cut_at_the_longest_gap_of_its_second_half()
    {
        (var segments, long samples) = Cut(Speech(3), Silence(0.3), Speech(1.5), Silence(0.2), Speech(1.5), Silence(0.1), Speech(4));

        Assert.Equal([(0.0, 4.9, true), (4.9, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void A_long_pause_keeps_a_margin_on_each_side_and_is_a_segment_without_speech()
    {
        (var segments, long samples) = Cut(Speech(2), Silence(5), Speech(2));

        Assert.Equal([(0.0, 3.0, true), (3.0, 6.0, false), (6.0, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void Once_a_recording_is_cut_its_long_leading_and_trailing_silences_keep_only_a_margin()
    {
        (var segments, long samples) = Cut(Silence(5), Speech(2), Silence(0.6), Speech(2), Silence(3));

        Assert.Equal([(0.0, 4.0, false), (4.0, 7.3, true), (7.3, 10.6, true), (10.6, samples / 16000.0, false)], segments);
    }

    [Fact]
    public void A_blip_between_long_silences_stays_with_its_margins()
    {
        (var segments, _) = Cut(Speech(2), Silence(4), Speech(0.3), Silence(4), Speech(2));

        Assert.Contains((5.0, 7.3, true), segments);
        Assert.All(segments.Where(s => s.Speech), s => Assert.True(s.End - s.Start >= 1.0, $"{s}"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Segments_tile_any_recording_and_none_is_longer_than_the_longest(int seed)
    {
        var random = new Random(seed);
        var runs = Enumerable.Range(0, 60).Select(i => (i % 2 == 0, Math.Round(random.NextDouble() * (random.Next(4) == 0 ? 12 : 1.5), 2))).ToArray();

        (var segments, long samples) = Cut(runs);

        Assert.Equal(0.0, segments[0].Start);
        Assert.Equal(samples / 16000.0, segments[^1].End);
        Assert.All(segments.Zip(segments.Skip(1)), p => Assert.Equal(p.First.End, p.Second.Start));
        Assert.All(segments, s => Assert.InRange(s.End - s.Start, 0.01, 8.0 + 1e-9));
    }

    [Fact]
    public void Options_outside_their_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UtteranceSegmenter(new TimelineOptions { MaxSegmentSeconds = 1 }, Shift));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UtteranceSegmenter(new TimelineOptions { MinSegmentSeconds = 5 }, Shift));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UtteranceSegmenter(new TimelineOptions { MinPauseSeconds = 0 }, Shift));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UtteranceSegmenter(new TimelineOptions { MarginSeconds = double.NaN }, Shift));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UtteranceSegmenter(new TimelineOptions { Mode = (TimelineMode)7 }, Shift));
    }

    [Fact]
    public void With_a_models_short_margin_scattered_speech_as_found_in_loud_noise_stays_one_segment()
    {
        // Bursts too short to read alone, 0.5 s apart: more than two 0.15 s margins, less than two of the options' 1 s.
        (var segments, long samples) = CutWithMargin(0.15, Silence(0.3), Speech(0.2), Silence(0.5), Speech(0.2), Silence(0.5), Speech(0.2), Silence(0.3));

        Assert.Equal([(0.0, samples / 16000.0, true)], segments);
    }

    [Fact]
    public void With_a_models_short_margin_utterances_keep_that_margin_and_the_pause_between_is_its_own_segment()
    {
        (var segments, _) = CutWithMargin(0.15, Speech(1.5), Silence(1.0), Speech(1.5));

        Assert.Equal(3, segments.Count);
        Assert.Equal((0.0, 1.65, true), (Math.Round(segments[0].Start, 2), Math.Round(segments[0].End, 2), segments[0].Speech));
        Assert.False(segments[1].Speech);
        Assert.Equal(2.35, Math.Round(segments[2].Start, 2));
    }
}
