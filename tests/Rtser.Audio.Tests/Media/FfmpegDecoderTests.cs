namespace Rtser.Audio.Tests.Media;

/// <summary>The ffmpeg path. tools/setup.sh installs ffmpeg, so these run in CI; they skip only where it is missing.</summary>
public class FfmpegDecoderTests
{
    private static readonly MediaDecoder Decoder = new();

    [FfmpegFact]
    public void Decodes_MP4_AAC_through_a_temporary_file_because_its_moov_atom_comes_last()
    {
        var bytes = MediaFiles.Read("speech-aac.mp4");
        Assert.True(FfmpegDecoder.MoovAfterMediaData(bytes));
        var folder = Directory.CreateTempSubdirectory("rtser-test-");
        var ffmpeg = new FfmpegDecoder(FfmpegDecoder.Locate()!) { TempDirectory = folder.FullName };

        var (audio, usedTempFile) = ffmpeg.DecodeReportingPath(bytes, MediaContainer.Mp4);

        Assert.True(usedTempFile);
        Assert.Empty(folder.GetFiles()); // deleted afterwards
        folder.Delete();
        AssertSpeech(audio);
        Assert.StartsWith("aac", audio.SourceEncoding, StringComparison.Ordinal);
    }

    [FfmpegFact]
    public void Writes_the_temporary_file_into_the_configured_folder_made_owner_only()
    {
        var parent = Directory.CreateTempSubdirectory("rtser-test-");
        string folder = Path.Combine(parent.FullName, "tmp");
        var decoder = new MediaDecoder(new MediaDecoderOptions { TempDirectory = folder });

        AssertSpeech(decoder.Decode(MediaFiles.Read("speech-aac.mp4")));

        Assert.Empty(Directory.GetFiles(folder));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        parent.Delete(recursive: true);
    }

    [Fact]
    public void Deletes_the_temporary_files_a_killed_process_left_and_nothing_else()
    {
        var folder = Directory.CreateTempSubdirectory("rtser-test-");
        string left = Path.Combine(folder.FullName, $"rtser-{Guid.NewGuid():N}.media");
        string running = Path.Combine(folder.FullName, $"rtser-{Guid.NewGuid():N}.media");
        string other = Path.Combine(folder.FullName, "rtser.db");
        File.WriteAllBytes(left, [1, 2, 3]);
        File.WriteAllBytes(other, [1]);
        var decoder = new MediaDecoder(new MediaDecoderOptions { TempDirectory = folder.FullName });

        // Held open as a run (here or in another process sharing the folder) holds its file.
        using (var inUse = new FileStream(running, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
        {
            Assert.Equal(1, decoder.DeleteLeftoverFiles());
        }

        Assert.False(File.Exists(left));
        Assert.True(File.Exists(running));
        Assert.True(File.Exists(other));
        Assert.Equal(1, decoder.DeleteLeftoverFiles()); // closed now, as by a kill
        Assert.Equal(0, new MediaDecoder(new MediaDecoderOptions { TempDirectory = Path.Combine(folder.FullName, "absent") }).DeleteLeftoverFiles());
        folder.Delete(recursive: true);
    }

    [FfmpegFact]
    public void Decodes_MP4_with_the_moov_atom_first_from_a_pipe()
    {
        var bytes = FastStart(MediaFiles.Read("speech-aac.mp4"));
        Assert.False(FfmpegDecoder.MoovAfterMediaData(bytes));

        var (audio, usedTempFile) = new FfmpegDecoder(FfmpegDecoder.Locate()!).DecodeReportingPath(bytes, MediaContainer.Mp4);

        Assert.False(usedTempFile);
        AssertSpeech(audio);
    }

    [FfmpegFact]
    public void Decodes_MP3_and_FLAC()
    {
        AssertSpeech(Decoder.DecodeFile(MediaFiles.Path("speech.mp3")));

        var flac = Decoder.DecodeFile(MediaFiles.Path("tone440.flac"));
        Assert.Equal(16000, flac.SampleRate);
        Assert.Equal(8000, flac.Samples.Length);
        Assert.Equal(440, MediaFiles.DominantFrequency(flac.Samples, 16000));
    }

    [FfmpegFact]
    public void Hands_WebM_Vorbis_to_ffmpeg_when_it_is_there()
    {
        var audio = Decoder.DecodeFile(MediaFiles.Path("tone-vorbis.webm"));

        Assert.Equal(440, MediaFiles.DominantFrequency(audio.Samples, 16000));
        Assert.StartsWith("vorbis", audio.SourceEncoding, StringComparison.Ordinal);
    }

    [FfmpegFact]
    public void Lists_the_ffmpeg_formats_when_ffmpeg_is_there()
    {
        Assert.Contains(MediaContainer.Mp4, Decoder.SupportedContainers);
        Assert.Contains("through ffmpeg MP4/AAC, MP3, FLAC", Decoder.SupportedFormats, StringComparison.Ordinal);
        Assert.NotNull(Decoder.FfmpegExecutable);
    }

    [FfmpegFact]
    public void Refuses_a_PNG_and_text_as_unsupported()
    {
        byte[] png = [0x89, .. "PNG"u8, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, .. "IHDR"u8, 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55];

        foreach (var input in new[] { png, "just some text, not audio\n"u8.ToArray() })
        {
            var error = Assert.Throws<AudioFormatException>(() => Bounded.Run(() => Decoder.Decode(input), TimeSpan.FromSeconds(30)));

            Assert.Equal(AudioProblem.Unsupported, error.Problem);
        }
    }

    [FfmpegFact]
    public void Refuses_a_truncated_MP3_frame_run_it_cannot_decode_as_malformed()
    {
        var mp3 = MediaFiles.Read("speech.mp3")[..40];

        var error = Assert.Throws<AudioFormatException>(() => Decoder.Decode(mp3));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("ffmpeg", error.Message, StringComparison.Ordinal);
    }

    [FfmpegFact]
    public void Refuses_audio_over_the_duration_limit()
    {
        var decoder = new MediaDecoder(new MediaDecoderOptions { MaxDurationSeconds = 2 });

        var error = Assert.Throws<AudioFormatException>(() => decoder.DecodeFile(MediaFiles.Path("speech.mp3")));

        Assert.Equal(AudioProblem.TooLong, error.Problem);
    }

    [Fact]
    public void Retries_an_MP4_through_a_temporary_file_when_the_pipe_run_fails()
    {
        // Fails on "-i pipe:0", succeeds (one second of 16 kHz silence) on "-i file:...".
        using var fake = new FakeFfmpeg("cat >/dev/null\nfor a in \"$@\"; do [ \"$a\" = pipe:0 ] && { echo 'moov atom not found' >&2; exit 1; }; done\nhead -c 32000 /dev/zero\n");
        var mp4 = FastStart(MediaFiles.Read("speech-aac.mp4"));

        var (audio, usedTempFile) = new FfmpegDecoder(fake.Path).DecodeReportingPath(mp4, MediaContainer.Mp4);

        Assert.True(usedTempFile);
        Assert.Equal(16000, audio.Samples.Length);
    }

    [Fact]
    public void Kills_an_ffmpeg_that_hangs_when_the_timeout_passes()
    {
        // A child that sleeps too: only killing the whole process tree closes the pipes.
        using var fake = new FakeFfmpeg("sleep 60\n");
        var decoder = new MediaDecoder(new MediaDecoderOptions { FfmpegPath = fake.Path, FfmpegTimeout = TimeSpan.FromSeconds(1) });

        var error = Assert.Throws<AudioFormatException>(() => Bounded.Run(() => decoder.DecodeFile(MediaFiles.Path("speech.mp3")), TimeSpan.FromSeconds(20)));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Contains("did not finish decoding within 1 s and was stopped", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stops_reading_an_ffmpeg_that_writes_without_end()
    {
        using var fake = new FakeFfmpeg("cat /dev/zero\n");
        var decoder = new MediaDecoder(new MediaDecoderOptions { FfmpegPath = fake.Path, MaxDurationSeconds = 1 });

        var error = Assert.Throws<AudioFormatException>(() => Bounded.Run(() => decoder.DecodeFile(MediaFiles.Path("speech.mp3")), TimeSpan.FromSeconds(20)));

        Assert.Equal(AudioProblem.TooLong, error.Problem);
    }

    [Fact]
    public void Puts_the_end_of_ffmpegs_stderr_into_the_diagnostics_not_the_message()
    {
        using var fake = new FakeFfmpeg("cat >/dev/null\necho 'Input #0, mp3, from pipe:0' >&2\necho '[mp3 @ 0x556c83a369c0] pipe:0: Invalid data found when processing input' >&2\nexit 1\n");
        var decoder = new MediaDecoder(new MediaDecoderOptions { FfmpegPath = fake.Path });

        var error = Assert.Throws<AudioFormatException>(() => decoder.DecodeFile(MediaFiles.Path("speech.mp3")));

        Assert.Equal(AudioProblem.Malformed, error.Problem);
        Assert.Equal("ffmpeg could not decode the Mp3 input (exit code 1, no audio decoded)", error.Message);
        Assert.Equal("ffmpeg says [mp3 @ 0x556c83a369c0] pipe:0: Invalid data found when processing input", error.Diagnostics);
    }

    [Fact]
    public void Refuses_an_ffmpeg_that_cannot_be_started_as_unsupported()
    {
        using var fake = new FakeFfmpeg("exit 0\n", executable: false);
        var decoder = new FfmpegDecoder(fake.Path);

        var error = Assert.Throws<AudioFormatException>(() => decoder.Decode(MediaFiles.Read("speech.mp3"), MediaContainer.Mp3));

        Assert.Equal(AudioProblem.Unsupported, error.Problem);
        Assert.Contains("could not be started", error.Message, StringComparison.Ordinal);
    }

    private static void AssertSpeech(DecodedAudio audio)
    {
        Assert.Equal(16000, audio.SampleRate);
        Assert.Equal(1, audio.SourceChannels);
        var source = MediaFiles.SpeechSource16k();
        var (correlation, lag) = MediaFiles.AlignedCorrelation16k(source, audio.Samples, 0.2);
        Assert.True(correlation > 0.9, $"correlation {correlation:0.000} at lag {lag}");
        Assert.InRange(audio.Samples.Length, source.Length - 1600, source.Length + 1600);
    }

    /// <summary>Moves the moov box in front of the mdat box, fixing the chunk offsets (stco) it holds.</summary>
    private static byte[] FastStart(byte[] mp4)
    {
        var boxes = new List<(string Type, byte[] Bytes)>();
        for (int p = 0; p < mp4.Length;)
        {
            int size = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(mp4.AsSpan(p));
            boxes.Add((System.Text.Encoding.ASCII.GetString(mp4, p + 4, 4), mp4[p..(p + size)]));
            p += size;
        }

        var moov = boxes.Single(b => b.Type == "moov").Bytes;
        int stco = moov.AsSpan().IndexOf("stco"u8);
        int count = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(moov.AsSpan(stco + 8));
        for (int i = 0; i < count; i++)
        {
            var entry = moov.AsSpan(stco + 12 + (4 * i));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(entry, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(entry) + moov.Length);
        }

        return [.. boxes.Where(b => b.Type != "moov" && b.Type != "mdat").SelectMany(b => b.Bytes), .. moov, .. boxes.Single(b => b.Type == "mdat").Bytes];
    }

    /// <summary>A shell script standing in for ffmpeg.</summary>
    private sealed class FakeFfmpeg : IDisposable
    {
        public FakeFfmpeg(string body, bool executable = true)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fake-ffmpeg-{Guid.NewGuid():N}.sh");
            File.WriteAllText(Path, "#!/bin/sh\n" + body);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path, executable ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }

    private sealed class FfmpegFactAttribute : FactAttribute
    {
        public FfmpegFactAttribute()
        {
            if (!MediaFiles.FfmpegInstalled)
            {
                Skip = "ffmpeg is not installed (tools/setup.sh installs it; CI has it)";
            }
        }
    }
}
