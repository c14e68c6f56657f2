using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Rtser.Audio.Tests;

/// <summary>Properties over generated input: whatever the bytes, the decoders answer with audio or AudioFormatException.</summary>
public class DecoderProperties
{
    private static readonly MediaDecoder Decoder = new(new MediaDecoderOptions { UseFfmpeg = false, MaxDurationSeconds = 60 });

    [Property(MaxTest = 2000)]
    public bool Any_bytes_decode_or_raise_AudioFormatException(byte[] bytes) => DecodesOrRefuses(bytes);

    [Property(MaxTest = 2000)]
    public bool Any_bytes_behind_a_known_signature_decode_or_raise_AudioFormatException(byte[] tail, byte signature)
    {
        byte[][] heads = [[.. "RIFF"u8, 0, 0, 0, 0, .. "WAVE"u8], [.. "OggS"u8, 0, 2], [0x1A, 0x45, 0xDF, 0xA3], [.. "RIFF"u8, 0xFF, 0xFF, 0xFF, 0xFF, .. "WAVEfmt "u8]];
        return DecodesOrRefuses([.. heads[signature % heads.Length], .. tail ?? []]);
    }

    [Property(MaxTest = 300)]
    public Property A_valid_pcm16_wav_of_any_layout_decodes_to_its_frames_in_range() =>
        Prop.ForAll(
            Gen.Choose(1, 8).ToArbitrary(),
            Gen.Elements(8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000).ToArbitrary(),
            Gen.Choose(0, 4000).ToArbitrary(),
            (channels, rate, frames) =>
            {
                var random = new Random(channels * 31 + frames);
                short[] samples = [.. Enumerable.Range(0, channels * frames).Select(_ => (short)random.Next(short.MinValue, short.MaxValue + 1))];
                DecodedAudio a = Decoder.Decode(WavBuilder.PcmFile(channels, (uint)rate, 16, WavBuilder.Int16(samples)).Build());
                return a.Samples.Length == frames && a.SampleRate == rate && a.SourceChannels == channels && a.Samples.All(s => s is >= -1f and <= 1f);
            });

    [Property(MaxTest = 300)]
    public bool Float_samples_of_any_value_including_nan_and_infinity_come_out_finite_and_in_range(float[] values)
    {
        values ??= [];
        DecodedAudio a = Decoder.Decode(WavBuilder.FloatFile(1, 16000, 32, WavBuilder.Float32(values)).Build());
        return a.Samples.Length == values.Length && a.Samples.All(s => float.IsFinite(s) && s is >= -1f and <= 1f);
    }

    [Property(MaxTest = 100)]
    public Property Resampling_keeps_length_proportional_and_samples_finite_and_bounded() =>
        Prop.ForAll(
            Gen.Choose(Resampler.MinRate, Resampler.MaxRate).ToArbitrary(),
            Gen.Choose(0, 8000).ToArbitrary(),
            (rate, n) =>
            {
                var random = new Random(rate ^ n);
                float[] input = [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1))];
                float[] output = Resampler.ToRate(input, rate, Resampler.TargetRate);
                double expected = (double)n * Resampler.TargetRate / rate;

                // Full-scale white noise can overshoot a little after band-limiting (Gibbs), never by much.
                return Math.Abs(output.Length - expected) <= 1 && output.All(s => float.IsFinite(s) && Math.Abs(s) <= 2f);
            });

    private static bool DecodesOrRefuses(byte[] bytes)
    {
        try
        {
            DecodedAudio a = Decoder.Decode(bytes ?? []);
            return a.Samples.All(float.IsFinite);
        }
        catch (AudioFormatException e)
        {
            return !e.Message.StartsWith("unexpected error", StringComparison.Ordinal);
        }
    }
}
