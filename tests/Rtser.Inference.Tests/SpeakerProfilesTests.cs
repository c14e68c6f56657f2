namespace Rtser.Inference.Tests;

/// <summary>Plain and emotion-compensated speaker profiles, on numbers small enough to work out by hand.</summary>
public sealed class SpeakerProfilesTests
{
    // Two classes, one statistic: class 0 sits 2 above its speaker's mean, class 1 2 below; the posterior model says
    // class 0 when the statistic is positive.
    private static readonly ProfileCompensation TwoClasses = new(
        Mean: [0f], Scale: [1f], Weights: [[1f], [-1f]], Bias: [0f, 0f], Offsets: [[2f], [-2f]]);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void A_compensated_profile_subtracts_the_mean_posterior_times_the_class_offsets()
    {
        float[][] rows = [[1f], [3f]];

        float[] profile = SpeakerProfiles.Compensated(rows, TwoClasses);

        // softmax of (x, -x) gives class 0 sigmoid(2x): posteriors sigmoid(2) and sigmoid(6), mean p0;
        // the shift is p0 * 2 + (1 - p0) * -2
        double p0 = (Sigmoid(2) + Sigmoid(6)) / 2;
        Assert.Equal(2 - (4 * p0 - 2), profile[0], 1e-5);
    }

    [Fact]
    public void A_speaker_heard_in_one_emotion_gets_a_profile_near_their_own_mean_and_the_plain_mean_does_not()
    {
        // speaker mean 5, all recordings of class 0 (mean + 2, with spread); the posterior model is centred on 5
        var c = TwoClasses with { Mean = [5f], Scale = [0.5f] };
        float[][] rows = [[6.5f], [7f], [7.5f]];

        Assert.Equal(7f, SpeakerProfiles.Mean(rows)[0], 1e-5f);
        Assert.Equal(5f, SpeakerProfiles.Compensated(rows, c)[0], 0.05f);
    }

    [Fact]
    public void A_gated_compensation_leaves_a_profile_that_reads_as_no_one_emotion_alone()
    {
        float[][] mixed = [[1f], [-1.5f]]; // posteriors of class 0: sigmoid(2) and sigmoid(-3), mean 0.46 (class 1: 0.54)
        float[][] one = [[1f], [3f]]; // mean posterior of class 0: 0.94

        var gated = TwoClasses with { Gate = 0.6f };

        Assert.Equal(SpeakerProfiles.Mean(mixed), SpeakerProfiles.Compensated(mixed, gated, out bool mixedApplied));
        Assert.Equal(SpeakerProfiles.Compensated(one, TwoClasses), SpeakerProfiles.Compensated(one, gated, out bool oneApplied));
        Assert.False(mixedApplied);
        Assert.True(oneApplied);
        Assert.NotEqual(SpeakerProfiles.Mean(mixed), SpeakerProfiles.Compensated(mixed, TwoClasses));
    }

    [Fact]
    public void Without_class_offsets_the_compensated_profile_is_the_plain_mean()
    {
        var c = TwoClasses with { Offsets = [[0f], [0f]] };
        float[][] rows = [[1f], [-4f], [0.25f]];

        Assert.Equal(SpeakerProfiles.Mean(rows), SpeakerProfiles.Compensated(rows, c));
    }

    [Theory]
    [InlineData(2, 2, "mean and scale")]
    [InlineData(1, 3, "one entry per label")]
    public void Compensation_that_does_not_fit_the_profile_or_the_labels_names_the_problem(int dimensions, int classes, string problem)
    {
        Assert.Contains(problem, TwoClasses.Problem(dimensions, classes), StringComparison.Ordinal);
        Assert.Null(TwoClasses.Problem(1, 2));
        Assert.Contains("positive", (TwoClasses with { Scale = [0f] }).Problem(1, 2), StringComparison.Ordinal);
        Assert.Contains("finite", (TwoClasses with { Bias = [float.NaN, 0f] }).Problem(1, 2), StringComparison.Ordinal);
        Assert.Contains("gate", (TwoClasses with { Gate = 1.5f }).Problem(1, 2), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SpeakerProfiles.Compensated([[1f, 2f]], TwoClasses));
    }
}
