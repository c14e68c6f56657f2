using System.Globalization;
using Concentus;
using Concentus.Structs;

namespace Rtser.Audio;

/// <summary>Decodes an <see cref="OpusStream"/> with Concentus (managed Opus) to mono at 48 kHz.</summary>
/// <remarks>
/// The decoders are constructed directly rather than through <c>OpusCodecFactory</c>, which loads a native libopus
/// when one is installed (Debian's ffmpeg brings one): the result would then depend on the machine, and native
/// code would parse untrusted packets. The constructors are marked obsolete for that reason only.
/// </remarks>
internal static class OpusDecoding
{
    /// <summary>The longest Opus packet, 120 ms at 48 kHz.</summary>
    public const int MaxPacketSamples = 5760;

    private const int DefaultPacketSamples = 960;

    /// <summary>The shortest Opus frame, 2.5 ms at 48 kHz: no packet, not even an empty (lost) one, decodes to less.</summary>
    private const int MinPacketSamples = 120;

    /// <summary>
    /// More packets than this cannot fit in <paramref name="maxDurationSeconds"/> (plus the largest pre-skip), so the
    /// readers stop collecting there: a file of tiny or empty packets cannot make the packet list outgrow the limit.
    /// </summary>
    public static long MaxPackets(double maxDurationSeconds) =>
        (long)Math.Ceiling(maxDurationSeconds * OpusHead.SampleRate / MinPacketSamples) + (ushort.MaxValue / MinPacketSamples) + 1;

    public static AudioFormatException TooManyPackets(long maxPackets) =>
        new(AudioProblem.TooLong, $"the audio has more than {maxPackets} Opus packets, so it is longer than the duration limit");

    /// <summary>
    /// The stream's samples at 48 kHz after pre-skip and end trimming, from the packets' TOC bytes alone: every
    /// packet's duration is in its first byte, so the length is known before decoding anything.
    /// </summary>
    public static long PlayableSamples(OpusStream stream)
    {
        var packets = stream.Packets;
        long total = 0;
        int previous = DefaultPacketSamples;
        for (int i = 0; i < packets.Count; i++)
        {
            int samples = packets[i].Data.IsEmpty ? previous : OpusPacketInfo.GetNumSamples(packets[i].Data.Span, OpusHead.SampleRate);
            if (samples <= 0 || samples > MaxPacketSamples)
            {
                throw Malformed($"{stream.Container} Opus packet {i} is not a valid Opus packet (its TOC byte gives no valid duration)");
            }

            previous = samples;
            total += samples - Math.Min(packets[i].TrimEnd, samples);
        }

        return Math.Max(0, total - stream.Head.PreSkip);
    }

    /// <summary>
    /// Decodes to mono at <paramref name="outputRate"/>. At another rate than 48 kHz each packet goes through the
    /// resampler as it is decoded, so the 48 kHz audio (3x the 16 kHz samples) is never held whole; the samples
    /// equal those of decoding at 48 kHz and resampling after (OpusFileTests compare).
    /// </summary>
    public static DecodedAudio Decode(OpusStream stream, double maxDurationSeconds, int outputRate = OpusHead.SampleRate)
    {
        var head = stream.Head;
        var packets = stream.Packets;
        long maxSamples = (long)Math.Floor(maxDurationSeconds * OpusHead.SampleRate);

        // An hour of audio is refused here without decoding it.
        long playable = PlayableSamples(stream);
        if (playable > maxSamples)
        {
            throw new AudioFormatException(AudioProblem.TooLong, string.Create(CultureInfo.InvariantCulture, $"the audio is {(double)playable / OpusHead.SampleRate:0.###} s long; the limit is {maxDurationSeconds} s"));
        }

        bool resample = outputRate != OpusHead.SampleRate;
        float[]? output = resample ? null : new float[playable];
        ResamplingStream? resampler = resample ? Resampler.GetFilter(OpusHead.SampleRate, outputRate).Stream(playable) : null;
        float[]? mono = resample ? new float[MaxPacketSamples] : null;
        int channels = head.Channels;
        var pcm = new float[MaxPacketSamples * channels];
        float gain = head.OutputGainQ8 == 0 ? 1f : MathF.Pow(10f, head.OutputGainQ8 / (256f * 20f));
        float scale = gain / channels;
        var decode = CreateDecoder(head);
        long skip = head.PreSkip;
        int written = 0;
        int previous = DefaultPacketSamples;
        for (int i = 0; i < packets.Count && written < playable; i++)
        {
            var packet = packets[i];
            int frames;
            try
            {
                // An empty packet is a lost one: Opus conceals it, and then the size must be the missing duration.
                frames = decode(packet.Data.Span, pcm, packet.Data.IsEmpty ? previous : MaxPacketSamples);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw Malformed($"{stream.Container} Opus packet {i} could not be decoded: {ex.Message}", ex);
            }

            if (frames <= 0 || frames > MaxPacketSamples)
            {
                throw Malformed($"{stream.Container} Opus packet {i} could not be decoded (decoder returned {frames})");
            }

            previous = frames;
            frames -= Math.Min(packet.TrimEnd, frames);
            int first = (int)Math.Min(skip, frames);
            skip -= first;
            int count = (int)Math.Min(frames - first, playable - written);
            var target = output is null ? mono.AsSpan(0, count) : output.AsSpan(written, count);
            Mix(pcm.AsSpan(first * channels, count * channels), channels, scale, target);
            resampler?.Push(target);
            written += count;
        }

        float[] samples = resampler is not null ? resampler.Finish() : written == output!.Length ? output : output[..written];
        return new DecodedAudio(samples, outputRate, channels, 0, $"Opus ({stream.Container})");
    }

    private static void Mix(ReadOnlySpan<float> interleaved, int channels, float scale, Span<float> mono)
    {
        for (int frame = 0; frame < mono.Length; frame++)
        {
            float sum = 0;
            foreach (float s in interleaved.Slice(frame * channels, channels))
            {
                sum += s;
            }

            float v = sum * scale;
            mono[frame] = float.IsFinite(v) ? Math.Clamp(v, -1f, 1f) : 0f;
        }
    }

    private delegate int PacketDecoder(ReadOnlySpan<byte> packet, Span<float> pcm, int frameSize);

    private static PacketDecoder CreateDecoder(OpusHead head)
    {
        try
        {
#pragma warning disable CS0618 // Managed on purpose; see the remarks above.
            if (head.MappingFamily == 0)
            {
                var decoder = new OpusDecoder(OpusHead.SampleRate, head.Channels);
                return (packet, pcm, frameSize) => decoder.Decode(packet, pcm, frameSize, false);
            }

            var multi = new OpusMSDecoder(OpusHead.SampleRate, head.Channels, head.StreamCount, head.CoupledCount, head.Mapping);
            return (packet, pcm, frameSize) => multi.DecodeMultistream(packet, pcm, frameSize, false);
#pragma warning restore CS0618
        }
        catch (OpusException ex)
        {
            throw new AudioFormatException(AudioProblem.Unsupported, $"the Opus layout ({head.Channels} channels, {head.StreamCount} streams, {head.CoupledCount} coupled) cannot be decoded: {ex.Message}", ex);
        }
    }

    private static AudioFormatException Malformed(string message, Exception? inner = null) => new(AudioProblem.Malformed, message, inner);
}
