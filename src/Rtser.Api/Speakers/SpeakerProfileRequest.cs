using Microsoft.AspNetCore.Http.HttpResults;
using Rtser.Api.Predictions;
using Rtser.Api.Store;
using Rtser.Inference;

namespace Rtser.Api.Speakers;

/// <summary>The speaker a request names, checked for its model (uploads and live streams alike).</summary>
internal static class SpeakerProfileRequest
{
    /// <summary>
    /// A 400 when <paramref name="speaker"/> is not a pseudonym or a speaker-adapted <paramref name="model"/> has none;
    /// else, for such a model, the speaker's profile from their saved recordings by the <paramref name="policy"/>.
    /// </summary>
    /// <remarks>
    /// An upload (<paramref name="upload"/>) may name <see cref="SpeakerProfilePolicy.Self"/>: it is read against its own
    /// profile, made when it is analysed, so none comes back; a live stream cannot (its audio is not all there yet).
    /// </remarks>
    public static async Task<(SpeakerProfile? Profile, ProblemHttpResult? Problem)> ProfileAsync(
        EmotionModel model, string? speaker, string? owner, SpeakerProfilePolicy policy, IPredictionStore store, CancellationToken cancel, bool upload = false)
    {
        if (speaker is not null && !SpeakersApi.IsValid(speaker))
        {
            return (null, Problems.Problems.BadRequest(SpeakersApi.Rule));
        }

        if (!model.AdaptsToSpeaker)
        {
            return (null, null);
        }

        if (speaker is null)
        {
            return (null, Problems.Problems.BadRequest($"model '{model.Id}' adapts to the speaker: name who speaks in 'speaker' (a pseudonym) so their recordings can form a profile"));
        }

        if (speaker == SpeakerProfilePolicy.Self)
        {
            return upload ? (null, null) : (null, Problems.Problems.BadRequest($"speaker={SpeakerProfilePolicy.Self} (a recording read against its own profile) is for uploads; a live stream of model '{model.Id}' needs a named speaker"));
        }

        IReadOnlyList<ProfileRecording> rows = await store.SpeakerStatisticsAsync(speaker, owner, SpeakerProfilePolicy.ProfileSize(model), cancel);
        return (policy.Profile(model, rows), null);
    }

    /// <summary>What a response reports about the profile a speaker-adapted model was asked for (null for any other model).</summary>
    public static SpeakerAdaptation? ToAdaptation(this SpeakerProfile? p) =>
        p is null ? null : new(p.Model.Id, p.Applied, p.Recordings, p.Required, p.Labels, p.Warning, p.Compensated);
}
