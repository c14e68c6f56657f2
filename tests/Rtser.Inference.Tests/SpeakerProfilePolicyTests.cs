using System.Text.Json.Nodes;
using Rtser.Features.Pipeline;

namespace Rtser.Inference.Tests;

/// <summary>The one rule for speaker-adapted models, on profiles of known statistics.</summary>
public sealed class SpeakerProfilePolicyTests : IDisposable
{
    private const string Adapted = "cnn-rnn-spk-emodb";
    private readonly string _temp = Directory.CreateTempSubdirectory("rtser-policy-").FullName;
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _committed;

    public SpeakerProfilePolicyTests() => _committed = ModelRegistry.Load(ModelFiles.Directory, _extractor);

    public void Dispose()
    {
        _committed.Dispose();
        Directory.Delete(_temp, recursive: true);
    }

    /// <summary>The adapted model with its card edited (and its fallback beside it, unedited).</summary>
    private ModelRegistry Edited(Action<JsonObject> speakerAdaptation)
    {
        ModelFiles.CopyWithEditedCard(Adapted, _temp, c => speakerAdaptation(c["speakerAdaptation"]!.AsObject()));
        ModelFiles.CopyWithEditedCard("cnn-rnn-emodb", _temp, _ => { });
        return ModelRegistry.Load(_temp, _extractor);
    }

    private static ProfileRecording Row(EmotionModel model, float value, string? label = null) =>
        new([.. Enumerable.Repeat(value, model.ProfileLength)], label);

    [Fact]
    public void A_profile_is_the_mean_of_the_latest_recordings_as_many_as_the_card_says()
    {
        using ModelRegistry models = Edited(a =>
        {
            a["profileRecordings"] = 3;
            a.Remove("compensation");
        });
        EmotionModel model = models.Get(Adapted);

        // Newest first: the latest three are 1, 2 and 6; the older 100s are left out.
        SpeakerProfile p = new SpeakerProfilePolicy(models, minimumRecordings: 2).Profile(model, [Row(model, 1), Row(model, 2), Row(model, 6), Row(model, 100), Row(model, 100)]);

        Assert.True(p.Applied);
        Assert.Same(model, p.Answering);
        Assert.Equal(3, p.Recordings);
        Assert.All(p.Mean!, v => Assert.Equal(3f, v, 1e-5f));
        Assert.False(p.Compensated);
    }

    [Fact]
    public void A_card_without_a_profile_size_takes_20_recordings_and_the_minimum_is_capped_at_the_size()
    {
        using ModelRegistry models = Edited(a =>
        {
            a.Remove("profileRecordings");
            a.Remove("compensation");
        });
        EmotionModel model = models.Get(Adapted);

        SpeakerProfile p = new SpeakerProfilePolicy(models, minimumRecordings: 50).Profile(model, [.. Enumerable.Range(0, 25).Select(i => Row(model, i < 20 ? 1 : 9))]);

        Assert.Equal(20, SpeakerProfilePolicy.ProfileSize(model));
        Assert.Equal(20, p.Required);
        Assert.Equal(20, p.Recordings);
        Assert.All(p.Mean!, v => Assert.Equal(1f, v));
        Assert.Equal(60, SpeakerProfilePolicy.ProfileSize(_committed.Get(Adapted)));
    }

    [Fact]
    public void A_recording_as_its_own_profile_takes_all_its_speech_windows_however_many_and_the_same_minimum()
    {
        using ModelRegistry models = Edited(a =>
        {
            a["profileRecordings"] = 3;
            a.Remove("compensation");
        });
        EmotionModel model = models.Get(Adapted);
        var policy = new SpeakerProfilePolicy(models, minimumRecordings: 2);
        float[] Unit(float value) => Row(model, value).Statistics;

        // Five windows, more than the card's 3 recordings: all count, (1 + 2 + 3 + 4 + 10) / 5 = 4.
        SpeakerProfile own = policy.OwnProfile(model, [Unit(1), Unit(2), Unit(3), Unit(4), Unit(10)]);
        SpeakerProfile one = policy.OwnProfile(model, [Unit(1)]);

        Assert.True(own.Applied);
        Assert.Equal(5, own.Recordings);
        Assert.All(own.Mean!, v => Assert.Equal(4f, v, 1e-5f));
        Assert.False(one.Applied);
        Assert.Equal("cnn-rnn-emodb", one.Answering.Id);
        Assert.Throws<ArgumentException>(() => policy.OwnProfile(models.Get("cnn-rnn-emodb"), [Unit(1), Unit(2)]));
    }

    [Fact]
    public void Below_the_minimum_the_fallback_answers_and_no_profile_is_made()
    {
        EmotionModel model = _committed.Get(Adapted);

        SpeakerProfile p = new SpeakerProfilePolicy(_committed, minimumRecordings: 3).Profile(model, [Row(model, 1), Row(model, 2)]);

        Assert.False(p.Applied);
        Assert.Null(p.Mean);
        Assert.Same(_committed.Get("cnn-rnn-emodb"), p.Answering);
        Assert.Same(model, p.Model);
        Assert.Equal((2, 3), (p.Recordings, p.Required));
    }

    [Fact]
    public void Recordings_whose_statistics_do_not_fit_the_model_do_not_count()
    {
        EmotionModel model = _committed.Get(Adapted);

        SpeakerProfile p = new SpeakerProfilePolicy(_committed, minimumRecordings: 2).Profile(model, [Row(model, 1), new ProfileRecording([1f, 2f], "sad")]);

        Assert.False(p.Applied);
        Assert.Equal(1, p.Recordings);
        Assert.Empty(p.Labels);
    }

    [Fact]
    public void The_gate_decides_whether_the_profile_is_compensated_and_the_option_replaces_the_cards()
    {
        EmotionModel model = _committed.Get(Adapted);
        float[] centre = model.Card.SpeakerAdaptation!.Compensation!.Mean;
        ProfileRecording[] rows = [new(centre), new(centre)];

        SpeakerProfile never = new SpeakerProfilePolicy(_committed, 2, compensationGate: 1).Profile(model, rows);
        SpeakerProfile always = new SpeakerProfilePolicy(_committed, 2, compensationGate: 0).Profile(model, rows);

        Assert.False(never.Compensated);
        Assert.Equal(centre, never.Mean);
        Assert.True(always.Compensated);
        Assert.NotEqual(centre, always.Mean);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpeakerProfilePolicy(_committed, 2, compensationGate: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpeakerProfilePolicy(_committed, 0));
    }

    [Fact]
    public void The_report_counts_the_profiles_labels_and_warns_when_one_emotion_holds_more_than_half_of_an_applied_profile()
    {
        EmotionModel model = _committed.Get(Adapted);
        var policy = new SpeakerProfilePolicy(_committed, minimumRecordings: 3);

        SpeakerProfile skewed = policy.Profile(model, [Row(model, 1, "sad"), Row(model, 2, "sad"), Row(model, 3, "angry")]);
        SpeakerProfile even = policy.Profile(model, [Row(model, 1, "sad"), Row(model, 2, "happy"), Row(model, 3, "angry"), Row(model, 4, "sad")]);
        SpeakerProfile tooFew = policy.Profile(model, [Row(model, 1, "sad"), Row(model, 2, "sad")]);

        Assert.Equal(["sad", "angry"], skewed.Labels.Keys);
        Assert.Equal([2, 1], skewed.Labels.Values);
        Assert.StartsWith("2 of the 3 recordings in this speaker's profile read as sad", skewed.Warning, StringComparison.Ordinal);
        Assert.Equal(["sad", "angry", "happy"], even.Labels.Keys);
        Assert.Null(even.Warning); // two of four is not more than half
        Assert.Null(tooFew.Warning); // the fallback answers: the profile is not used
    }

    [Fact]
    public void A_model_that_does_not_adapt_to_the_speaker_has_no_profile()
    {
        var policy = new SpeakerProfilePolicy(_committed);
        Assert.Throws<ArgumentException>(() => policy.Profile(_committed.Get("cnn-rnn-emodb"), []));
    }
}
