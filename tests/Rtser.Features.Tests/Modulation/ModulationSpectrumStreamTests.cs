using Rtser.Features.Modulation;

namespace Rtser.Features.Tests.Modulation;

public class ModulationSpectrumStreamTests
{
    private static readonly ModulationSpectrumExtractor Extractor = new();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(160)]
    [InlineData(4096)]
    [InlineData(0)] // random sizes mixing all of the above
    public void Chunked_output_equals_whole_signal_output_bit_for_bit(int chunk)
    {
        float[] signal = TestSignals.ModulatedNoise(3.3, seed: 7);
        var whole = Extractor.Compute(signal);

        var rng = new Random(chunk + 11);
        int[] sizes = [1, 7, 160, 4096, 1023, 64];
        var stream = Extractor.CreateStream();
        var output = new FeatureBuffer(Extractor.Width, 4);
        int returned = 0;
        for (int at = 0; at < signal.Length;)
        {
            int n = Math.Min(chunk > 0 ? chunk : sizes[rng.Next(sizes.Length)], signal.Length - at);
            returned += stream.Push(signal.AsSpan(at, n), output);
            at += n;
        }

        Assert.Equal(whole.Frames, output.Rows);
        Assert.Equal(whole.Frames, returned);
        Assert.Equal(whole.Frames, stream.FramesEmitted);
        Assert.True(whole.Frames > 40);
        Assert.True(output.AsSpan().SequenceEqual(whole.Data.AsSpan(0, whole.Frames * whole.Width)));
    }

    [Fact]
    public void Frames_come_out_as_soon_as_their_window_is_complete()
    {
        var stream = Extractor.CreateStream();
        var output = new FeatureBuffer(Extractor.Width);

        Assert.Equal(0, stream.Push(new float[4287], output));
        Assert.Equal(1, stream.Push(new float[1], output));
        Assert.Equal(0, stream.Push(new float[1023], output));
        Assert.Equal(1, stream.Push(new float[1], output));
        Assert.Equal(2, output.Rows);
    }

    [Fact]
    public void Reset_makes_a_stream_start_over()
    {
        float[] signal = TestSignals.ModulatedNoise(1.5, seed: 5);
        var stream = Extractor.CreateStream();
        var first = new FeatureBuffer(Extractor.Width);
        var second = new FeatureBuffer(Extractor.Width);

        stream.Push(signal, first);
        stream.Reset();
        stream.Push(signal, second);

        Assert.Equal(0, first.Rows - second.Rows);
        Assert.True(first.AsSpan().SequenceEqual(second.AsSpan()));
    }

    [Fact]
    public void Push_rejects_an_output_of_the_wrong_width() =>
        Assert.Throws<ArgumentException>(() => Extractor.CreateStream().Push(new float[10], new FeatureBuffer(5)));

    [Fact]
    public void Streaming_allocates_nothing_per_frame()
    {
        float[] signal = TestSignals.ModulatedNoise(3, seed: 9);
        var stream = Extractor.CreateStream();
        var output = new FeatureBuffer(Extractor.Width, 100);
        stream.Push(signal, output); // warm up the JIT
        stream.Reset();
        output.Clear();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int at = 0; at < signal.Length; at += 160)
        {
            stream.Push(signal.AsSpan(at, Math.Min(160, signal.Length - at)), output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(43, output.Rows);
    }
}
