namespace Rtser.Audio.Tests.Media;

/// <summary>Issue 20: a small compressed file holding the whole duration limit must not cost a multiple of its 16 kHz samples.</summary>
public class DecodeMemoryTests
{
    private static readonly MediaDecoder Decoder = new(new MediaDecoderOptions { UseFfmpeg = false });

    /// <summary>600 s of silence in 30,000 one-byte Opus packets (240 KB), like ffmpeg's anullsrc at 6 kb/s.</summary>
    internal static byte[] SilentWebM(int seconds = 600) =>
        WebMBuilder.OpusFile([.. Enumerable.Repeat(OpusTestPackets.Silent20Ms, seconds * 50)], live: true);

    [Fact]
    public void Decoding_600_s_of_silent_WebM_to_16_kHz_allocates_little_more_than_the_16_kHz_samples()
    {
        byte[] webm = SilentWebM();
        Decoder.DecodeAt(SilentWebM(1), 16000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var audio = Decoder.DecodeAt(webm, 16000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        long samples = ((600L * 48000) - 312 + 1) / 3; // pre-skip 312, rounded as the resampler rounds
        Assert.Equal(16000, audio.SampleRate);
        Assert.Equal(samples, audio.Samples.Length);
        Assert.All(audio.Samples, s => Assert.Equal(0f, s));

        // What stays: the 16 kHz samples (38.4 MB) and the packet list with the reader's objects (7 MB). What goes:
        // Concentus' own garbage, about 2.1 KB per packet (64 MB here), collected in gen0 as decoding goes on.
        // Decoding at 48 kHz and resampling after allocated 345 MB: 115 MB more for the 48 kHz samples, 128 MB
        // for a padded copy of them.
        Assert.InRange(allocated, 0, (samples * sizeof(float)) + (30_000 * 2500) + (8 << 20));
    }

    [Fact]
    public void Decoding_a_600_s_silent_WebM_file_to_16_kHz_by_path_allocates_little_more_than_the_16_kHz_samples()
    {
        byte[] webm = SilentWebM();
        string path = Path.Combine(Path.GetTempPath(), $"rtser-{Guid.NewGuid():N}.webm");
        File.WriteAllBytes(path, webm);
        try
        {
            Decoder.Decode16k(SilentWebM(1));

            long before = GC.GetAllocatedBytesForCurrentThread();
            float[] samples = Decoder.Decode16kFile(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            // As from memory (above), plus the file's bytes read once.
            Assert.Equal(((600L * 48000) - 312 + 1) / 3, samples.Length);
            Assert.InRange(allocated, 0, (samples.Length * sizeof(float)) + (30_000 * 2500) + webm.Length + (8 << 20));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("speech-20ms.webm")]
    [InlineData("chromium-live.webm")] // stereo
    [InlineData("tone440-60ms.ogg")]
    public void Decoding_to_16_kHz_gives_the_samples_of_decoding_at_48_kHz_and_resampling(string file)
    {
        byte[] bytes = File.ReadAllBytes(MediaFiles.Path(file));

        var direct = Decoder.DecodeAt(bytes, 16000);
        var at48k = Decoder.Decode(bytes);

        Assert.Equal(Resampler.ToRate(at48k.Samples, 48000), direct.Samples);
        Assert.Equal(direct.Samples, Decoder.Decode16kFile(MediaFiles.Path(file)));
        Assert.Equal(at48k.SourceChannels, direct.SourceChannels);
        Assert.Equal(at48k.SourceEncoding, direct.SourceEncoding);
    }

    [Fact]
    public void MaxSeconds_reads_the_length_from_the_headers_and_falls_back_to_the_limit()
    {
        var decoder = new MediaDecoder(new MediaDecoderOptions { UseFfmpeg = false, MaxDurationSeconds = 900 });

        Assert.Equal(600 - (312 / 48000.0), decoder.MaxSeconds(SilentWebM()), 6);
        Assert.Equal(2.5, decoder.MaxSeconds(WavWriter.Pcm16(new float[40000], 16000)), 6);
        Assert.Equal(900, decoder.MaxSeconds(File.ReadAllBytes(MediaFiles.Path("speech.mp3"))));
        Assert.Equal(900, decoder.MaxSeconds("RIFF\u0004\0\0\0WAVE"u8.ToArray())); // unreadable: decoding will say why
        Assert.Equal(600, new MediaDecoder(new MediaDecoderOptions { UseFfmpeg = false, MaxDurationSeconds = 600 }).MaxSeconds(SilentWebM(700)));
    }
}
