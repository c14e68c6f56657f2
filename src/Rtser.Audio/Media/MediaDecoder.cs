namespace Rtser.Audio;

/// <summary>
/// Decodes browser recordings and audio files: sniffs the container and sends WAV to <see cref="WavDecoder"/>,
/// WebM/Opus and Ogg/Opus to the managed Opus path (our Ogg reader, NEbml plus our own walk for WebM, Concentus),
/// and everything else (MP4/AAC, MP3, FLAC, other codecs) to ffmpeg when one is available.
/// </summary>
/// <remarks>
/// WAV comes out at its own rate, Opus at 48 kHz and ffmpeg's output at 16 kHz, always mono; callers that want the
/// model's input call <see cref="AudioDecoding.Decode16k"/> (through <see cref="DecodeAt"/>: Opus then never holds its 48 kHz audio whole). <see cref="DecodedAudio.SourceBitsPerSample"/> is 0 for compressed sources. A managed
/// path that finds a codec it does not decode (Vorbis in WebM, ADPCM in WAV) falls back to ffmpeg. Bad input raises
/// <see cref="AudioFormatException"/> and nothing else: Malformed for truncated or corrupt files, Unsupported for
/// other formats (the message lists <see cref="SupportedFormats"/>), TooLong past
/// <see cref="MediaDecoderOptions.MaxDurationSeconds"/> (known from Opus packet headers before decoding) and
/// TooLarge past <see cref="MediaDecoderOptions.MaxInputBytes"/>.
/// </remarks>
public sealed class MediaDecoder : IAudioDecoder
{
    private const int CopyBufferSize = 81920;

    private readonly WavDecoder _wav;
    private readonly FfmpegDecoder? _ffmpeg;
    private readonly long _maxPackets;

    public MediaDecoder(MediaDecoderOptions? options = null)
    {
        Options = options ?? MediaDecoderOptions.Default;
        Options.Validate();
        _wav = new WavDecoder(Options.ToWavOptions());
        _maxPackets = OpusDecoding.MaxPackets(Options.MaxDurationSeconds);
        if (Options.UseFfmpeg && FfmpegDecoder.Locate(Options.FfmpegPath) is { } path)
        {
            _ffmpeg = new FfmpegDecoder(path, Options.FfmpegTimeout, Options.MaxDurationSeconds) { TempDirectory = Options.TempDirectory ?? Path.GetTempPath() };
        }

        SupportedContainers = _ffmpeg is null
            ? [MediaContainer.Wav, MediaContainer.WebM, MediaContainer.Ogg]
            : [MediaContainer.Wav, MediaContainer.WebM, MediaContainer.Ogg, MediaContainer.Mp4, MediaContainer.Mp3, MediaContainer.Flac, MediaContainer.Unknown];
        SupportedFormats = _ffmpeg is null
            ? "WAV, WebM/Opus, Ogg/Opus; install ffmpeg for MP4, MP3, FLAC"
            : "WAV, WebM/Opus, Ogg/Opus, and through ffmpeg MP4/AAC, MP3, FLAC and other formats ffmpeg reads";
    }

    public MediaDecoderOptions Options { get; }

    /// <summary>The ffmpeg executable in use, or null when none was found or <see cref="MediaDecoderOptions.UseFfmpeg"/> is off.</summary>
    public string? FfmpegExecutable => _ffmpeg?.ExecutablePath;

    /// <summary>The containers this instance decodes now (<see cref="MediaContainer.Unknown"/>: whatever ffmpeg reads).</summary>
    public IReadOnlyList<MediaContainer> SupportedContainers { get; }

    /// <summary>What this instance decodes now, in words, e.g. for an error message or a 415 response.</summary>
    public string SupportedFormats { get; }

    /// <summary>
    /// Deletes the temporary files that processes killed while decoding left in <see cref="MediaDecoderOptions.TempDirectory"/>
    /// (never a file a run, of this or another process, still uses); returns how many. A service calls it at start-up.
    /// </summary>
    public int DeleteLeftoverFiles() => FfmpegDecoder.DeleteLeftoverFiles(Options.TempDirectory ?? Path.GetTempPath());

    public DecodedAudio Decode(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Decode(MediaInput.ReadCapped(input, Options.MaxInputBytes));
    }

    public DecodedAudio DecodeFile(string path) => Decode(ReadFile(path));

    public DecodedAudio Decode(ReadOnlyMemory<byte> input) => Decode(input, OpusHead.SampleRate);

    /// <summary>
    /// Decodes and resamples to <paramref name="sampleRate"/>. Opus is resampled packet by packet as it is decoded,
    /// so only the output is held whole (64 KB per second at 16 kHz); WAV and ffmpeg's output hold the decoded
    /// samples and the resampled ones until the call returns.
    /// </summary>
    public DecodedAudio DecodeAt(ReadOnlyMemory<byte> input, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, Resampler.MinRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, Resampler.MaxRate);
        return Resampler.Resample(Decode(input, sampleRate), sampleRate);
    }

    /// <summary>The file at <paramref name="path"/> decoded as <see cref="DecodeAt"/> decodes it (Opus resampled as it is decoded).</summary>
    public DecodedAudio DecodeFileAt(string path, int sampleRate) => DecodeAt(ReadFile(path), sampleRate);

    /// <summary>The whole file, refused (TooLarge) past <see cref="MediaDecoderOptions.MaxInputBytes"/>.</summary>
    private ReadOnlyMemory<byte> ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferSize, FileOptions.SequentialScan);
        return MediaInput.ReadCapped(stream, Options.MaxInputBytes);
    }

    /// <summary>
    /// The most seconds decoding <paramref name="input"/> may yield, without decoding: Opus from its packets' TOC
    /// bytes, PCM WAV from its data size, anything else (and anything these cannot read) the duration limit, which
    /// ffmpeg's output is cut at. Never more than <see cref="MediaDecoderOptions.MaxDurationSeconds"/>.
    /// </summary>
    public double MaxSeconds(ReadOnlyMemory<byte> input)
    {
        double limit = Options.MaxDurationSeconds;
        if (input.IsEmpty || input.Length > Options.MaxInputBytes)
        {
            return 0; // refused before decoding
        }

        try
        {
            double seconds = MediaSniffer.Detect(input.Span) switch
            {
                MediaContainer.WebM => OpusSeconds(WebMOpusReader.Read(input, _maxPackets)),
                MediaContainer.Ogg => OpusSeconds(OggOpusReader.Read(input, maxPackets: _maxPackets)),
                MediaContainer.Wav => WavSeconds(WavParser.Parse(input.Span, _wav.Options)),
                _ => limit,
            };
            return Math.Min(seconds, limit);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return limit; // decoding will tell what is wrong, or hand it to ffmpeg
        }

        static double OpusSeconds(OpusStream stream) => (double)OpusDecoding.PlayableSamples(stream) / OpusHead.SampleRate;

        static double WavSeconds(WavLayout layout) => layout.BlockAlign > 0 ? (double)layout.DataLength / layout.BlockAlign / layout.SampleRate : double.PositiveInfinity;
    }

    private DecodedAudio Decode(ReadOnlyMemory<byte> input, int opusRate)
    {
        if (input.Length > Options.MaxInputBytes)
        {
            throw MediaInput.TooLarge(Options.MaxInputBytes);
        }

        if (input.IsEmpty)
        {
            throw new AudioFormatException(AudioProblem.Malformed, "input is empty");
        }

        var container = MediaSniffer.Detect(input.Span);
        try
        {
            return container switch
            {
                MediaContainer.Wav => Managed(input, container, () => _wav.Decode(input)),
                MediaContainer.WebM => Managed(input, container, () => OpusDecoding.Decode(WebMOpusReader.Read(input, _maxPackets), Options.MaxDurationSeconds, opusRate)),
                MediaContainer.Ogg => Managed(input, container, () => OpusDecoding.Decode(OggOpusReader.Read(input, maxPackets: _maxPackets), Options.MaxDurationSeconds, opusRate)),
                _ => _ffmpeg?.Decode(input, container) ?? throw Unsupported(Describe(container)),
            };
        }
        catch (Exception ex) when (ex is not AudioFormatException and not OutOfMemoryException)
        {
            // A bug of ours or a library's on input nobody foresaw; callers still get the one documented error type.
            throw new AudioFormatException(AudioProblem.Malformed, $"unexpected error reading the {container} input: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <summary>Runs a managed decoder; a codec it does not decode goes to ffmpeg, or is named with what is supported.</summary>
    private DecodedAudio Managed(ReadOnlyMemory<byte> input, MediaContainer container, Func<DecodedAudio> decode)
    {
        try
        {
            return decode();
        }
        catch (AudioFormatException ex) when (ex.Problem == AudioProblem.Unsupported)
        {
            if (_ffmpeg is not null)
            {
                return _ffmpeg.Decode(input, container);
            }

            throw new AudioFormatException(AudioProblem.Unsupported, $"{ex.Message}; supported: {SupportedFormats}", ex);
        }
    }

    private static string Describe(MediaContainer container) => container switch
    {
        MediaContainer.Mp4 => "MP4/M4A",
        MediaContainer.Mp3 => "MP3",
        MediaContainer.Flac => "FLAC",
        _ => "this format (not WAV, WebM, Ogg, MP4, MP3 or FLAC by its first bytes)",
    };

    private AudioFormatException Unsupported(string what) =>
        new(AudioProblem.Unsupported, $"{what} is not supported without ffmpeg; supported: {SupportedFormats}");
}
