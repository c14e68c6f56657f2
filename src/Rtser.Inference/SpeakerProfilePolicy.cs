namespace Rtser.Inference;

/// <summary>One of a speaker's earlier recordings as a profile sees it: its statistics and the label it was given (if known).</summary>
public sealed record ProfileRecording(float[] Statistics, string? Label = null);

/// <summary>
/// The rule for speaker-adapted models, the same for uploads, live streams and <c>rtser predict</c>: a speaker's
/// profile is made of their latest recordings (the card's profileRecordings, <see cref="DefaultProfileRecordings"/>
/// when unset); with fewer than <see cref="Required"/> of them the model's fallback answers instead; the profile is
/// emotion-compensated by the card's gate unless <see cref="CompensationGate"/> replaces it; and the result
/// (<see cref="SpeakerProfile"/>) says what a response reports.
/// </summary>
/// <param name="minimumRecordings">Recordings a profile needs before the adapted model answers (capped at the profile size).</param>
/// <param name="compensationGate">Replaces the card's compensation gate (0: always compensate, 1: never); null keeps the card's.</param>
public sealed class SpeakerProfilePolicy(ModelRegistry models, int minimumRecordings = SpeakerProfilePolicy.DefaultMinimumRecordings, double? compensationGate = null)
{
    /// <summary>The speaker an upload names to be read against its own profile (<see cref="OwnProfile"/>) rather than a named speaker's.</summary>
    public const string Self = "self";

    public const int DefaultProfileRecordings = 20;
    public const int DefaultMinimumRecordings = 10;

    public int MinimumRecordings { get; } = minimumRecordings >= 1
        ? minimumRecordings
        : throw new ArgumentOutOfRangeException(nameof(minimumRecordings), "a profile needs at least one recording");

    public double? CompensationGate { get; } = compensationGate is null or (>= 0 and <= 1)
        ? compensationGate
        : throw new ArgumentOutOfRangeException(nameof(compensationGate), "the gate is between 0 (always compensate) and 1 (never)");

    /// <summary>How many of a speaker's latest recordings form <paramref name="model"/>'s profile.</summary>
    public static int ProfileSize(EmotionModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Card.SpeakerAdaptation?.ProfileRecordings is > 0 and int n ? n : DefaultProfileRecordings;
    }

    /// <summary>How many recordings <paramref name="model"/>'s profile needs before the model answers: the minimum, at most the profile size.</summary>
    public int Required(EmotionModel model) => Math.Min(MinimumRecordings, ProfileSize(model));

    /// <summary>
    /// The profile <paramref name="model"/> reads a speaker against, from their earlier <paramref name="newestFirst"/>
    /// recordings: the latest <see cref="ProfileSize"/> of those whose statistics fit the model (a row left by another
    /// version of it does not), or none (and the fallback answers) when fewer than <see cref="Required"/> remain.
    /// </summary>
    public SpeakerProfile Profile(EmotionModel model, IEnumerable<ProfileRecording> newestFirst)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(newestFirst);
        if (!model.AdaptsToSpeaker)
        {
            throw new ArgumentException($"model '{model.Id}' does not adapt to a speaker", nameof(model));
        }

        return Make(model, [.. newestFirst.Where(r => r.Statistics.Length == model.ProfileLength).Take(ProfileSize(model))]);
    }

    /// <summary>
    /// The profile a long recording of one speaker (a call, a session) makes of itself, without naming the speaker:
    /// the profile statistics of all its <paramref name="units"/> (its windows with speech, from
    /// <see cref="EmotionAnalyzer.ProfileStatisticsRows"/>) stand for earlier recordings, compensated by the same rule,
    /// when there are at least <see cref="Required"/> of them; else none and the fallback answers.
    /// </summary>
    public SpeakerProfile OwnProfile(EmotionModel model, IReadOnlyList<float[]> units)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(units);
        if (!model.AdaptsToSpeaker)
        {
            throw new ArgumentException($"model '{model.Id}' does not adapt to a speaker", nameof(model));
        }

        return Make(model, [.. units.Select(u => new ProfileRecording(u))]);
    }

    private SpeakerProfile Make(EmotionModel model, ProfileRecording[] rows)
    {
        // The registry checked at load that the fallback is there and needs no profile.
        EmotionModel fallback = models.Get(model.Card.SpeakerAdaptation!.FallbackModel!);
        int required = Required(model);
        bool compensated = false;
        float[]? mean = rows.Length >= required ? model.Profile([.. rows.Select(r => r.Statistics)], out compensated, CompensationGate) : null;
        return new SpeakerProfile(model, fallback, mean, rows.Length, required, CountLabels(rows.Select(r => r.Label).OfType<string>()), compensated);
    }

    /// <summary>How many recordings were given each label, most frequent first.</summary>
    private static Dictionary<string, int> CountLabels(IEnumerable<string> labels) =>
        labels.GroupBy(l => l, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>
/// A speaker's profile for the speaker-adapted <paramref name="Model"/>, as <see cref="SpeakerProfilePolicy"/> decided it:
/// the profile (<paramref name="Mean"/>, emotion-compensated when <paramref name="Compensated"/>) of their latest
/// <paramref name="Recordings"/> recordings when there are at least <paramref name="Required"/>, else none and
/// <paramref name="Fallback"/> answers. <paramref name="Labels"/>: how those recordings were read, most frequent first
/// (empty when their labels are not known).
/// </summary>
public sealed record SpeakerProfile(
    EmotionModel Model,
    EmotionModel Fallback,
    float[]? Mean,
    int Recordings,
    int Required,
    IReadOnlyDictionary<string, int> Labels,
    bool Compensated)
{
    /// <summary>Whether the adapted model answers (the profile is long enough); otherwise <see cref="Fallback"/> does.</summary>
    public bool Applied => Mean is not null;

    /// <summary>The model that labels the speaker's recordings now.</summary>
    public EmotionModel Answering => Applied ? Model : Fallback;

    /// <summary>
    /// The profile <paramref name="model"/> reads a recording against, for uploads and live streams alike: a
    /// speaker-adapted model needs <paramref name="profile"/> made for it; any other model takes none (null).
    /// </summary>
    public static SpeakerProfile? For(EmotionModel model, SpeakerProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.AdaptsToSpeaker && profile?.Model != model)
        {
            throw new ArgumentException($"model '{model.Id}' needs the speaker's profile", nameof(profile));
        }

        return model.AdaptsToSpeaker ? profile : null;
    }

    /// <summary>
    /// A caution when more than half of an applied profile was read as one emotion: the model takes the profile as the
    /// speaker's normal voice, so it under-reads that emotion (measured by training/probes/profile_skew.py).
    /// </summary>
    public string? Warning
    {
        get
        {
            if (!Applied || Labels.Count == 0)
            {
                return null;
            }

            (string label, int n) = (Labels.First().Key, Labels.First().Value);
            return 2 * n > Recordings
                ? $"{n} of the {Recordings} recordings in this speaker's profile read as {label}; a profile dominated by one emotion makes that emotion read less often"
                : null;
        }
    }
}
