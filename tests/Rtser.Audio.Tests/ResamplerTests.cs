using System.Diagnostics;
using Xunit.Abstractions;

namespace Rtser.Audio.Tests;

public class ResamplerTests(ITestOutputHelper output)
{
    public static TheoryData<int, double> InBandTones => new()
    {
        { 8000, 1000 }, { 8000, 3000 },
        { 11025, 1000 }, { 11025, 4500 },
        { 22050, 1000 }, { 22050, 5000 }, { 22050, 7000 },
        { 44100, 1000 }, { 44100, 5000 }, { 44100, 7000 },
        { 48000, 1000 }, { 48000, 5000 }, { 48000, 7000 },
        { 96000, 1000 }, { 96000, 5000 }, { 96000, 7000 },
        { 192000, 1000 }, { 192000, 5000 }, { 192000, 7000 },
        { 44056, 1000 }, { 44056, 5000 }, { 44056, 7000 },
        { 32000, 5000 }, { 24000, 7000 },
    };

    public static TheoryData<int, double> OutOfBandTones => new()
    {
        { 22050, 9000 }, { 22050, 10500 },
        { 44100, 9000 }, { 44100, 12000 }, { 44100, 20000 },
        { 48000, 8500 }, { 48000, 9000 }, { 48000, 12000 }, { 48000, 20000 }, { 48000, 23500 },
        { 96000, 9000 }, { 96000, 20000 }, { 96000, 40000 },
        { 192000, 9000 }, { 192000, 20000 }, { 192000, 90000 },
        { 44056, 9000 }, { 44056, 20000 },
    };

    [Theory]
    [MemberData(nameof(InBandTones))]
    public void Keeps_an_in_band_tone_at_its_frequency_and_level_and_adds_nothing_above_minus_60_dB(int fromRate, double frequency)
    {
        var input = Signal.Tone(fromRate, frequency);

        var resampled = Resampler.ToRate(input, fromRate);

        double gain = Signal.GainDb(input, resampled);
        double measured = Signal.ZeroCrossingFrequency(resampled, 16000);
        double residual = Signal.ResidualDb(resampled, 16000, frequency, Signal.MiddleRms(input));
        output.WriteLine($"{fromRate} Hz, {frequency} Hz tone: gain {gain:F4} dB, frequency {measured:F3} Hz, residual {residual:F1} dB");
        Assert.InRange(gain, -0.1, 0.1);
        Assert.InRange(measured, frequency * 0.9995, frequency * 1.0005);
        Assert.True(residual < -60, $"residual {residual:F1} dB");
    }

    [Theory]
    [MemberData(nameof(OutOfBandTones))]
    public void Attenuates_a_tone_above_8_kHz_by_at_least_60_dB(int fromRate, double frequency)
    {
        var input = Signal.Tone(fromRate, frequency);

        double gain = Signal.GainDb(input, Resampler.ToRate(input, fromRate));

        output.WriteLine($"{fromRate} Hz, {frequency} Hz tone: {gain:F1} dB");
        Assert.True(gain < -60, $"only {gain:F1} dB");
    }

    [Theory]
    [InlineData(8000)]
    [InlineData(22050)]
    [InlineData(44100)]
    [InlineData(48000)]
    [InlineData(96000)]
    [InlineData(192000)]
    [InlineData(44056)]
    public void Produces_round_of_input_length_times_16000_over_the_rate_samples(int fromRate)
    {
        foreach (int length in new[] { 0, 1, 2, 3, 7, 441, 1000, 12345, fromRate * 3 })
        {
            double expected = Math.Round(length * 16000.0 / fromRate);

            int actual = Resampler.ToRate(new float[length], fromRate).Length;

            Assert.InRange(actual, expected - 1, expected + 1);
        }
    }

    [Theory]
    [InlineData(8000)]
    [InlineData(22050)]
    [InlineData(48000)]
    [InlineData(192000)]
    [InlineData(44056)]
    public void Keeps_a_constant_signal_constant(int fromRate)
    {
        var input = Enumerable.Repeat(0.5f, fromRate).ToArray();

        var resampled = Resampler.ToRate(input, fromRate);

        Assert.All(resampled[1000..^1000], s => Assert.Equal(0.5, s, 1e-5));
    }

    [Fact]
    public void Keeps_an_impulse_at_its_time()
    {
        var input = new float[48000];
        input[24000] = 1;

        var resampled = Resampler.ToRate(input, 48000);

        Assert.Equal(8000, Array.IndexOf(resampled, resampled.Max()));
    }

    [Fact]
    public void Copies_16_kHz_input_unchanged()
    {
        var input = Signal.Tone(16000, 440, 0.1);

        var resampled = Resampler.ToRate(input, 16000);

        Assert.Equal(input, resampled);
        Assert.NotSame(input, resampled);
    }

    [Fact]
    public void Resamples_to_other_target_rates()
    {
        var input = Signal.Tone(16000, 1000);

        var resampled = Resampler.ToRate(input, 16000, 48000);

        Assert.Equal(48000, resampled.Length);
        Assert.InRange(Signal.GainDb(input, resampled), -0.1, 0.1);
        Assert.True(Signal.ResidualDb(resampled, 48000, 1000, Signal.MiddleRms(input)) < -60);
    }

    [Theory]
    [InlineData(0, 16000)]
    [InlineData(-1, 16000)]
    [InlineData(999, 16000)]
    [InlineData(16000, 0)]
    [InlineData(1_000_001, 16000)]
    public void Rejects_rates_out_of_range(int fromRate, int toRate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.ToRate(new float[10], fromRate, toRate));

    [Fact]
    public void Reuses_the_filter_for_a_rate_pair()
    {
        Assert.Same(Resampler.GetFilter(48000, 16000), Resampler.GetFilter(48000, 16000));
    }

    [Fact]
    public void Keeps_the_filter_of_a_common_rate_pair_when_odd_rates_have_filled_the_cache()
    {
        for (int rate = 7001; rate < 7001 + 40; rate++)
        {
            Resampler.GetFilter(rate, 16000);
        }

        Assert.Same(Resampler.GetFilter(96000, 12000), Resampler.GetFilter(96000, 12000));
    }

    [Fact]
    public void Gives_the_same_result_when_called_from_many_threads()
    {
        var input = Signal.Tone(44100, 1234, 0.5);
        var expected = Resampler.ToRate(input, 44100);
        var results = new float[16][];

        Parallel.For(0, results.Length, i => results[i] = Resampler.ToRate(input, 44100));

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Theory]
    [InlineData(48000)]
    [InlineData(44100)]
    [InlineData(22050)]
    [InlineData(8000)]
    [InlineData(44056)] // interpolated phases
    public void Gives_the_same_samples_fed_in_pieces_as_the_whole_input_resampled_at_once(int fromRate)
    {
        var random = new Random(fromRate);
        var filter = Resampler.GetFilter(fromRate, 16000);
        foreach (int length in new[] { 0, 1, 7, filter.Taps - 1, filter.Taps * 3, 100_003 })
        {
            var input = new float[length];
            for (int i = 0; i < length; i++)
            {
                input[i] = (float)((random.NextDouble() * 2) - 1);
            }

            var stream = filter.Stream(random.Next(0, length + 1)); // a wrong expectation only costs a resize
            for (int done = 0; done < length;)
            {
                int n = Math.Min(length - done, random.Next(1, 40_000));
                stream.Push(input.AsSpan(done, n));
                done += n;
            }

            var whole = WholePadded(filter, input);
            Assert.Equal(whole, stream.Finish());
            Assert.Equal(whole, Resampler.ToRate(input, fromRate));
        }
    }

    [Fact]
    public void Resampling_allocates_its_output_and_no_padded_copy_of_the_input()
    {
        var input = new float[20_000_000]; // 417 s at 48 kHz, 80 MB
        Resampler.ToRate(new float[1000], 48000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var output = Resampler.ToRate(input, 48000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(6_666_667, output.Length);
        Assert.InRange(allocated, 0, (output.Length * 4L) + (1 << 20)); // the 48 kHz input padded was a 128 MB array
    }

    /// <summary>The resampler as it was: the whole input copied into one zero-padded array, then every output in turn.</summary>
    private static float[] WholePadded(PolyphaseFilter filter, float[] input)
    {
        int lead = (filter.Taps / 2) - 1;
        var padded = new float[lead + input.Length + filter.Taps + 1];
        input.CopyTo(padded, lead);
        var output = new float[filter.OutputLength(input.Length)];
        long index = 0;
        int fraction = 0;
        for (int n = 0; n < output.Length; n++)
        {
            output[n] = filter.Output(padded.AsSpan((int)index, filter.Taps), fraction);
            filter.Step(ref index, ref fraction);
        }

        return output;
    }
}
