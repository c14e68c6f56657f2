using Rtser.Inference;

namespace Rtser.Api;

/// <summary>Paths and limits of the service, bound from the "Rtser" configuration section.</summary>
public sealed class RtserOptions
{
    public const string Section = "Rtser";

    /// <summary>Where the SQLite store (and stored audio, if enabled) live; created on first run.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Folder of model cards and ONNX graphs; by default the copy beside the binary.</summary>
    public string ModelsDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>
    /// The language of requests that name neither a model nor a language: its default model (the card recommended for
    /// it, see docs/accuracy.md) answers them.
    /// </summary>
    public string DefaultLanguage { get; set; } = "en";

    /// <summary>Pins the model for requests that name neither a model nor a language; unset, <see cref="DefaultLanguage"/> decides.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Largest accepted upload body (413 above it).</summary>
    public long MaxUploadBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Longest accepted audio (422 above it).</summary>
    public double MaxDurationSeconds { get; set; } = 600;

    /// <summary>Keep the uploaded audio beside the prediction. Off by default: voices are personal data.</summary>
    public bool StoreAudio { get; set; }

    public TimelineOptions Timeline { get; set; } = new();

    /// <summary>API keys by name (the name owns the predictions made with the key). Empty: no keys, one shared history.</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];

    /// <summary>
    /// With API keys on: wrong keys allowed per client address and minute (a burst of that many, then one per 60/N s);
    /// past it every request with a key from the address gets 429 until the allowance refills. Requests without a key
    /// do not count (they get 401). 0 turns it off.
    /// </summary>
    public int FailedKeyAttemptsPerMinute { get; set; } = 10;

    /// <summary>
    /// With API keys on, the key that reads /metrics (its label counts span every key's predictions, so no tenant's key
    /// opens it). Unset while keys are on: /metrics answers 401. Keys off: /metrics is open.
    /// </summary>
    public string? MetricsKey { get; set; }

    /// <summary>
    /// Origins (scheme://host[:port]) besides the service's own whose pages may write (POST, DELETE) and open live
    /// streams; a browser request from any other origin gets 403. Requests without an Origin header (scripts) pass.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Requests per minute per API key (or per address without keys) to /api; 0 turns the limit off.</summary>
    public int RateLimitPerMinute { get; set; } = 1200;

    /// <summary>Uploads analysed at once; 0 means one per processor core.</summary>
    public int MaxConcurrentAnalyses { get; set; }

    /// <summary>
    /// Seconds of decoded audio all analyses in flight may hold together; 0 means twice <see cref="MaxDurationSeconds"/>.
    /// Each upload reserves its length as its headers give it (Opus packets, WAV data size; the duration limit for
    /// formats ffmpeg decodes) before decoding, and waits (counted in the queue) while the rest is taken.
    /// </summary>
    public double MaxAudioSecondsInFlight { get; set; }

    /// <summary>The audio budget in force: <see cref="MaxAudioSecondsInFlight"/> or its default.</summary>
    internal double AudioSecondsInFlight => MaxAudioSecondsInFlight > 0 ? MaxAudioSecondsInFlight : 2 * MaxDurationSeconds;

    /// <summary>Uploads allowed to wait for an analysis slot; beyond that a request gets 503 with Retry-After.</summary>
    public int MaxQueuedAnalyses { get; set; } = 64;

    /// <summary>Live streams open at once; beyond that a new one gets 503.</summary>
    public int MaxLiveStreams { get; set; } = 100;

    /// <summary>
    /// With API keys on, live streams one key may hold open at once (beyond that 429), so one tenant cannot take every
    /// slot; a key can be a whole team, hence a quarter of the default total. Keys off: one tenant, only the total applies.
    /// </summary>
    public int MaxLiveStreamsPerCaller { get; set; } = 25;

    /// <summary>
    /// How far (seconds of audio) a live stream may run ahead of real time before the server stops reading from it until
    /// the clock catches up: live mode is for audio as it is spoken, and a stream sent faster would take the cores uploads need.
    /// A stream younger than this may run ahead by its age only (at most twice real time at the start).
    /// </summary>
    public double LiveLeadSeconds { get; set; } = 5;

    /// <summary>
    /// Recordings a speaker's profile needs before a speaker-adapted model labels that speaker's recordings itself;
    /// until then its fallback model answers. The evaluation's curve (docs/accuracy.md) shows what fewer costs.
    /// </summary>
    public int SpeakerProfileMinimum { get; set; } = SpeakerProfilePolicy.DefaultMinimumRecordings;

    /// <summary>
    /// Replaces the model card's gate for emotion-compensated speaker profiles: 0 compensates every profile (for
    /// speakers whose recordings are known to lean to one emotion; it costs balanced profiles about 2 UAR points),
    /// 1 never; unset, the card's (0.5: only a profile that reads as mostly one emotion). The trade-off is measured
    /// in training/results/profile_skew*.md. Models without a compensation are unaffected.
    /// </summary>
    public double? ProfileCompensationGate { get; set; }

    /// <summary>Predictions older than this many days are deleted (checked hourly); 0 keeps them.</summary>
    public double RetentionDays { get; set; }

    /// <summary>A live stream that sends nothing for this long is closed.</summary>
    public double LiveIdleSeconds { get; set; } = 30;

    /// <summary>Decode MP4/AAC, MP3, FLAC and other types through ffmpeg when it is installed (WAV and Opus never need it).</summary>
    public bool UseFfmpeg { get; set; } = true;

    /// <summary>ffmpeg executable; empty: looked up on PATH.</summary>
    public string? FfmpegPath { get; set; }

    /// <summary>
    /// Connection string of the results store. Empty: a SQLite file in <see cref="DataDirectory"/>.
    /// "Host=..." (an Npgsql connection string): PostgreSQL.
    /// </summary>
    public string? StoreConnectionString { get; set; }

    internal static IEnumerable<string> Check(RtserOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.DataDirectory))
        {
            yield return "Rtser:DataDirectory must be set";
        }

        if (o.DefaultLanguage is not { Length: 2 or 3 } language || !language.All(char.IsAsciiLetterLower))
        {
            yield return "Rtser:DefaultLanguage must be a language code such as en or de";
        }

        if (o.DefaultModel is { } pinned && string.IsNullOrWhiteSpace(pinned))
        {
            yield return "Rtser:DefaultModel must be a model id or unset";
        }

        if (o.MaxUploadBytes is < 1024 or > 1L << 31)
        {
            yield return "Rtser:MaxUploadBytes must be between 1 KiB and 2 GiB";
        }

        if (o.SpeakerProfileMinimum < 1)
        {
            yield return "Rtser:SpeakerProfileMinimum must be >= 1";
        }

        if (o.ProfileCompensationGate is { } gate && gate is not (>= 0 and <= 1))
        {
            yield return "Rtser:ProfileCompensationGate must be between 0 (always compensate) and 1 (never)";
        }

        if (o.RateLimitPerMinute < 0 || o.MaxConcurrentAnalyses < 0 || o.MaxQueuedAnalyses < 0 || o.FailedKeyAttemptsPerMinute < 0 || o.MaxLiveStreams < 1 || o.MaxLiveStreamsPerCaller < 1)
        {
            yield return "Rtser:RateLimitPerMinute, MaxConcurrentAnalyses, MaxQueuedAnalyses and FailedKeyAttemptsPerMinute must be >= 0, MaxLiveStreams and MaxLiveStreamsPerCaller >= 1";
        }

        if (!double.IsFinite(o.LiveLeadSeconds) || o.LiveLeadSeconds < 0.5)
        {
            yield return "Rtser:LiveLeadSeconds must be at least 0.5";
        }

        if (o.Timeline.Problem() is { } timeline)
        {
            yield return $"Rtser:Timeline:{timeline}";
        }

        // A stream is closed after this long without audio: 0 or less would close every stream at once.
        if (!double.IsFinite(o.LiveIdleSeconds) || o.LiveIdleSeconds <= 0 || o.LiveIdleSeconds > 86400)
        {
            yield return "Rtser:LiveIdleSeconds must be above 0 and at most 86400 (a day)";
        }

        foreach (string origin in o.AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? u) || u.Scheme is not ("http" or "https") || u.PathAndQuery != "/")
            {
                yield return $"Rtser:AllowedOrigins entry '{origin}' must be an origin such as https://example.org";
            }
        }

        if (!double.IsFinite(o.RetentionDays) || o.RetentionDays < 0)
        {
            yield return "Rtser:RetentionDays must be >= 0";
        }

        if (!double.IsFinite(o.MaxDurationSeconds) || o.MaxDurationSeconds <= 0 || o.MaxDurationSeconds > 4 * 3600)
        {
            yield return "Rtser:MaxDurationSeconds must be between 0 and 14400";
        }

        if (!double.IsFinite(o.MaxAudioSecondsInFlight) || (o.MaxAudioSecondsInFlight != 0 && o.MaxAudioSecondsInFlight < o.MaxDurationSeconds))
        {
            yield return "Rtser:MaxAudioSecondsInFlight must be 0 (twice MaxDurationSeconds) or at least MaxDurationSeconds, so the longest recording fits";
        }
    }
}
