using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rtser.Audio;

/// <summary>
/// Decodes what the managed decoders do not (MP4/AAC, MP3, FLAC, ...) by running an ffmpeg executable:
/// input on stdin, 16 kHz mono 16-bit PCM on stdout, no shell.
/// </summary>
/// <remarks>
/// Each run is bounded: it is killed (with any children) after <see cref="Timeout"/>, its output stops at
/// <see cref="MaxDurationSeconds"/> (ffmpeg's <c>-t</c>, and a byte cap on what we read), its stderr is kept up to
/// 16 KB and its last lines go into the error's <see cref="AudioFormatException.Diagnostics"/>, not its message (they
/// can hold paths and heap addresses, so they are for logs, not clients). Only the pipe protocol (or the file protocol for a temporary
/// file) is allowed, so a playlist upload cannot make ffmpeg open other files or URLs. An MP4 whose moov atom comes
/// after its media data cannot be read from a pipe; it is written to a private temporary file that is deleted after
/// the run (also as a retry when a pipe run of an MP4 fails), and that <see cref="DeleteLeftoverFiles"/> removes when
/// the process was killed first. Failures raise <see cref="AudioFormatException"/> only.
/// </remarks>
public sealed partial class FfmpegDecoder
{
    /// <summary>The rate ffmpeg resamples to: the model's rate, so no second resampling is needed.</summary>
    public const int OutputRate = Resampler.TargetRate;

    private const int StderrLimit = 16 * 1024;
    private const string TempPrefix = "rtser-";
    private const string TempExtension = ".media";
    private const int CopyBlock = 81920;

    public FfmpegDecoder(string executablePath, TimeSpan? timeout = null, double maxDurationSeconds = 600)
    {
        ArgumentException.ThrowIfNullOrEmpty(executablePath);
        if (!double.IsFinite(maxDurationSeconds) || maxDurationSeconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDurationSeconds), maxDurationSeconds, "must be a positive number of seconds");
        }

        ExecutablePath = executablePath;
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        MaxDurationSeconds = maxDurationSeconds;
    }

    public string ExecutablePath { get; }

    public TimeSpan Timeout { get; }

    public double MaxDurationSeconds { get; }

    /// <summary>Where temporary MP4 files go (<see cref="MediaDecoderOptions.TempDirectory"/>; tests point it at a folder of their own).</summary>
    internal string TempDirectory { get; init; } = Path.GetTempPath();

    /// <summary>
    /// <paramref name="configuredPath"/> when that file exists, otherwise (when none is configured) the first
    /// executable "ffmpeg" on PATH, otherwise null.
    /// </summary>
    public static string? Locate(string? configuredPath = null)
    {
        if (!string.IsNullOrEmpty(configuredPath))
        {
            return File.Exists(configuredPath) ? Path.GetFullPath(configuredPath) : null;
        }

        string name = OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg";
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Decodes <paramref name="input"/> to mono at <see cref="OutputRate"/>; <paramref name="container"/> picks ffmpeg's demuxer.</summary>
    public DecodedAudio Decode(ReadOnlyMemory<byte> input, MediaContainer container = MediaContainer.Unknown) =>
        DecodeReportingPath(input, container).Audio;

    /// <summary>As <see cref="Decode"/>, also telling whether a temporary file was used.</summary>
    internal (DecodedAudio Audio, bool UsedTempFile) DecodeReportingPath(ReadOnlyMemory<byte> input, MediaContainer container)
    {
        if (container == MediaContainer.Mp4 && MoovAfterMediaData(input.Span))
        {
            return (RunWithTempFile(input, container), true);
        }

        try
        {
            return (Run(input, null, container), false);
        }
        catch (AudioFormatException ex) when (container == MediaContainer.Mp4 && ex.Problem == AudioProblem.Malformed)
        {
            return (RunWithTempFile(input, container), true);
        }
    }

    /// <summary>True when a top-level 'mdat' box comes before the 'moov' box (ffmpeg's default MP4 layout).</summary>
    internal static bool MoovAfterMediaData(ReadOnlySpan<byte> file)
    {
        long position = 0;
        while (position + 8 <= file.Length)
        {
            var box = file[(int)position..];
            long size = BinaryPrimitives.ReadUInt32BigEndian(box);
            var type = box.Slice(4, 4);
            if (type.SequenceEqual("moov"u8))
            {
                return false;
            }

            if (type.SequenceEqual("mdat"u8))
            {
                return true;
            }

            if (size == 1 && box.Length >= 16)
            {
                size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(box[8..]), long.MaxValue);
            }

            if (size < 8)
            {
                return false;
            }

            position += size;
        }

        return false;
    }

    /// <summary>Deletes the temporary files in <paramref name="directory"/> that no run holds open; returns how many.</summary>
    /// <remarks>
    /// A run keeps its file open until it has deleted it, so a file that opens exclusively belongs to a process that
    /// died: this is safe with several processes sharing the folder, however long their runs take (on Unix the open
    /// is an advisory flock, which .NET skips on NFS and SMB shares; keep the folder on a local disk).
    /// </remarks>
    internal static int DeleteLeftoverFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        int deleted = 0;
        foreach (string path in Directory.EnumerateFiles(directory, TempPrefix + "*" + TempExtension))
        {
            try
            {
                using (new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.None, Options = FileOptions.DeleteOnClose }))
                {
                    deleted++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // In use by a running decode, or another user's.
            }
        }

        return deleted;
    }

    private DecodedAudio RunWithTempFile(ReadOnlyMemory<byte> input, MediaContainer container)
    {
        string path = Path.Combine(TempDirectory, $"{TempPrefix}{Guid.NewGuid():N}{TempExtension}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read };
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(TempDirectory);
            }
            else
            {
                Directory.CreateDirectory(TempDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            // Held open through the run: that marks it in use for DeleteLeftoverFiles in another process.
            using var file = new FileStream(path, options);
            file.Write(input.Span);
            file.Flush();
            return Run(ReadOnlyMemory<byte>.Empty, path, container);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AudioFormatException(AudioProblem.Unsupported, "ffmpeg's temporary file could not be written", ex) { Diagnostics = ex.Message };
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the file is private to this user and has a random name.
            }
        }
    }

    private DecodedAudio Run(ReadOnlyMemory<byte> input, string? inputPath, MediaContainer container)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (string argument in Arguments(inputPath, container))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            throw new AudioFormatException(AudioProblem.Unsupported, "ffmpeg could not be started", ex) { Diagnostics = $"{ExecutablePath}: {ex.Message}" };
        }

        var clock = Stopwatch.StartNew();
        long maxBytes = ((long)Math.Ceiling(MaxDurationSeconds * OutputRate) + OutputRate) * 2;
        var stderr = Task.Run(() => ReadText(process.StandardError));
        var stdin = Task.Run(() => Feed(process.StandardInput.BaseStream, input));
        var stdout = Task.Run(() => ReadCapped(process.StandardOutput.BaseStream, maxBytes));
        bool finished = stdout.Wait(Timeout);
        if (!finished || stdout.Result.Overflow)
        {
            Kill(process);
        }

        bool exited = finished && !stdout.Result.Overflow && process.WaitForExit(Remaining(clock));
        if (finished && !stdout.Result.Overflow && !exited)
        {
            Kill(process);
        }

        // After a kill the pipes close, so these finish; the bound is only a guard against a stuck child.
        Task.WaitAll([stdout, stderr, stdin], TimeSpan.FromSeconds(5));
        string errors = stderr.IsCompletedSuccessfully ? stderr.Result : "";
        if (!exited)
        {
            if (finished && stdout.Result.Overflow)
            {
                throw TooLong();
            }

            throw new AudioFormatException(AudioProblem.Malformed, string.Create(CultureInfo.InvariantCulture, $"ffmpeg did not finish decoding within {Timeout.TotalSeconds:0.###} s and was stopped"))
            {
                Diagnostics = Summary(errors),
            };
        }

        var pcm = stdout.Result.Data.Span;
        int samples = pcm.Length / 2;
        if (process.ExitCode != 0 || samples == 0)
        {
            throw Failure(container, process.ExitCode, errors);
        }

        if (samples > MaxDurationSeconds * OutputRate)
        {
            throw TooLong();
        }

        var mono = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            mono[i] = BinaryPrimitives.ReadInt16LittleEndian(pcm[(2 * i)..]) / 32768f;
        }

        var (encoding, channels) = DescribeSource(errors);
        return new DecodedAudio(mono, OutputRate, channels, 0, encoding);
    }

    private List<string> Arguments(string? inputPath, MediaContainer container)
    {
        var args = new List<string> { "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-protocol_whitelist", inputPath is null ? "pipe" : "file" };
        // The demuxer is fixed where the signature is certain; with the file protocol allowed (temporary MP4 file)
        // this also keeps ffmpeg from reading the upload as a playlist that names other local files. An ID3 tag can
        // front MP3, AAC or FLAC, so "Mp3" is left to ffmpeg's probe, as is Unknown (pipe protocol only).
        string? demuxer = container switch
        {
            MediaContainer.Mp4 => "mov",
            MediaContainer.Flac => "flac",
            MediaContainer.Ogg => "ogg",
            MediaContainer.WebM => "matroska",
            MediaContainer.Wav => "wav",
            _ => null,
        };
        if (demuxer is not null)
        {
            args.AddRange(["-f", demuxer]);
        }

        args.AddRange(["-i", inputPath is null ? "pipe:0" : "file:" + inputPath]);
        args.AddRange(["-map", "0:a:0", "-t", (MaxDurationSeconds + 0.5).ToString("R", CultureInfo.InvariantCulture)]);
        args.AddRange(["-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", OutputRate.ToString(CultureInfo.InvariantCulture), "pipe:1"]);
        return args;
    }

    private AudioFormatException TooLong() =>
        new(AudioProblem.TooLong, string.Create(CultureInfo.InvariantCulture, $"the audio is longer than the limit of {MaxDurationSeconds} s"));

    private static AudioFormatException Failure(MediaContainer container, int exitCode, string errors)
    {
        string? summary = Summary(errors);
        if (errors.Contains("matches no streams", StringComparison.Ordinal) || errors.Contains("does not contain any stream", StringComparison.Ordinal))
        {
            return new AudioFormatException(AudioProblem.Unsupported, "the input has no audio stream") { Diagnostics = summary };
        }

        return container == MediaContainer.Unknown
            ? new AudioFormatException(AudioProblem.Unsupported, $"the input is not an audio format ffmpeg can read (exit code {exitCode})") { Diagnostics = summary }
            : new AudioFormatException(AudioProblem.Malformed, $"ffmpeg could not decode the {container} input (exit code {exitCode}, no audio decoded)") { Diagnostics = summary };
    }

    /// <summary>The last few distinct lines of ffmpeg's stderr, for <see cref="AudioFormatException.Diagnostics"/>; null when it said nothing.</summary>
    private static string? Summary(string errors)
    {
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Input #", StringComparison.Ordinal) && !l.StartsWith("Stream mapping", StringComparison.Ordinal))
            .Distinct()
            .TakeLast(3)
            .ToArray();
        if (lines.Length == 0)
        {
            return null;
        }

        string text = string.Join(" | ", lines);
        return "ffmpeg says " + (text.Length > 400 ? text[..400] + "..." : text);
    }

    /// <summary>The input stream's codec and channel count from ffmpeg's "Stream #0:0: Audio: aac (LC) ..., 44100 Hz, stereo, ..." line.</summary>
    private static (string Encoding, int Channels) DescribeSource(string errors)
    {
        var match = AudioStreamLine().Match(errors);
        if (!match.Success)
        {
            return ("ffmpeg", 0);
        }

        string layout = match.Groups[2].Value.Trim();
        int channels = layout switch
        {
            "mono" => 1,
            "stereo" => 2,
            "quad" => 4,
            "5.1" or "5.1(side)" => 6,
            "7.1" => 8,
            _ when layout.EndsWith(" channels", StringComparison.Ordinal) && int.TryParse(layout.AsSpan(0, layout.IndexOf(' ', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture, out int n) => n,
            _ => 0,
        };
        return ($"{match.Groups[1].Value.Trim()} (ffmpeg)", channels);
    }

    [GeneratedRegex(@"Stream #0:\d+[^:]*: Audio: ([^,\r\n]+), \d+ Hz, ([^,\r\n]+)")]
    private static partial Regex AudioStreamLine();

    private TimeSpan Remaining(Stopwatch clock)
    {
        var left = Timeout - clock.Elapsed;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited on its own in the meantime.
        }
    }

    private static void Feed(Stream stdin, ReadOnlyMemory<byte> input)
    {
        try
        {
            for (int offset = 0; offset < input.Length; offset += CopyBlock)
            {
                stdin.Write(input.Span.Slice(offset, Math.Min(CopyBlock, input.Length - offset)));
            }

            stdin.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // ffmpeg stopped reading (it found what it needed, failed, or was killed); its exit status tells.
        }
    }

    private static (ReadOnlyMemory<byte> Data, bool Overflow) ReadCapped(Stream stdout, long maxBytes)
    {
        using var buffer = new MemoryStream();
        var block = new byte[CopyBlock];
        int read;
        try
        {
            while ((read = stdout.Read(block)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (ReadOnlyMemory<byte>.Empty, true);
                }

                buffer.Write(block, 0, read);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Killed: what was read is discarded by the caller.
        }

        // The buffer itself, not a copy of it: 600 s at 16 kHz are 19 MB.
        return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), false);
    }

    private static string ReadText(StreamReader stderr)
    {
        var text = new StringBuilder();
        var block = new char[4096];
        int read;
        try
        {
            while ((read = stderr.Read(block)) > 0)
            {
                // Keep the start (stream descriptions) and the end (the error), drop the middle.
                if (text.Length + read > StderrLimit)
                {
                    int keep = StderrLimit / 2;
                    if (text.Length > keep)
                    {
                        text.Remove(keep / 2, text.Length - keep).Insert(keep / 2, "\n...\n");
                    }
                }

                text.Append(block, 0, read);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Killed.
        }

        return text.ToString();
    }
}
