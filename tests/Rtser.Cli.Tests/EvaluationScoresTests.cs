using Rtser.Cli.Evaluation;
using Rtser.Inference;

namespace Rtser.Cli.Tests;

/// <summary>The evaluation's figures against matrices and timelines worked out by hand.</summary>
public sealed class EvaluationScoresTests
{
    private static readonly string[] Labels = ["angry", "sad", "happy"];

    [Fact]
    public void Uar_is_the_mean_recall_of_the_classes_present_and_no_speech_counts_as_wrong()
    {
        // angry: 3 right of 5 (one read as sad, one as no_speech); sad: 2 of 4; happy: absent, so not averaged.
        int[][] confusion = [[3, 1, 0, 1], [0, 2, 2, 0], [0, 0, 0, 0]];

        Assert.Equal((0.6 + 0.5) / 2, Scores.Uar(confusion), 12);
        Assert.Equal(5 / 9.0, Scores.Accuracy(confusion), 12);
    }

    [Fact]
    public void Uar_weighs_every_class_alike_where_accuracy_follows_the_large_ones()
    {
        // 90 angry all right, 10 sad all read as angry: accuracy 0.9, UAR (1 + 0) / 2.
        int[][] confusion = [[90, 0, 0, 0], [10, 0, 0, 0], [0, 0, 0, 0]];

        Assert.Equal(0.5, Scores.Uar(confusion), 12);
        Assert.Equal(0.9, Scores.Accuracy(confusion), 12);
    }

    [Fact]
    public void The_confusion_matrix_has_a_no_speech_column_after_the_labels()
    {
        int[][] m = Scores.Confusion(Labels, [("angry", "angry"), ("angry", "no_speech"), ("sad", "happy"), ("happy", "happy"), ("happy", "happy")]);

        Assert.Equal([[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 2, 0]], m);
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.7, 0.9 }, 0.2)]
    [InlineData(new[] { 0.6, 0.8 }, 0.14142135623730953)]
    [InlineData(new[] { 0.7 }, 0.0)]
    public void The_sd_over_folds_is_the_sample_sd_as_numpy_ddof_1(double[] uars, double sd)
    {
        Assert.Equal(sd, Scores.SampleSd(uars), 12);
    }

    private static EmotionSegment Segment(double start, double end, string label, double angry = 0, double sad = 0, double happy = 0) =>
        new(start, end, label, 0, label == EmotionPrediction.NoSpeech ? new Dictionary<string, double>() : new Dictionary<string, double> { ["angry"] = angry, ["sad"] = sad, ["happy"] = happy });

    [Fact]
    public void A_joined_recording_is_read_from_the_speech_segments_overlapping_it_weighted_by_overlap()
    {
        EmotionSegment[] timeline =
        [
            Segment(0, 2, "angry", angry: 0.8, sad: 0.2),
            Segment(1.5, 3.5, "sad", angry: 0.3, sad: 0.7),
            Segment(3.5, 5, EmotionPrediction.NoSpeech),
            Segment(5, 7, "happy", happy: 1),
        ];

        // 0.5-2.5: 1.5 s of the angry segment, 1.0 s of the sad one.
        (string label, IReadOnlyDictionary<string, double> p) = JoinedRecording.Read(timeline, 0.5, 2.5, Labels);
        Assert.Equal("angry", label);
        Assert.Equal(((1.5 * 0.8) + (1.0 * 0.3)) / 2.5, p["angry"], 12);
        Assert.Equal(((1.5 * 0.2) + (1.0 * 0.7)) / 2.5, p["sad"], 12);
        Assert.Equal(0, p["happy"], 12);

        // 2.5-5.2: 1.0 s sad, 1.5 s of no speech (not counted), 0.2 s happy.
        Assert.Equal("sad", JoinedRecording.Read(timeline, 2.5, 5.2, Labels).Label);

        // 3.0-5.5: 0.5 s sad, 0.5 s happy: equal overlaps go to the likelier label (happy 0.5, sad 0.35).
        Assert.Equal("happy", JoinedRecording.Read(timeline, 3.0, 5.5, Labels).Label);

        (string silent, IReadOnlyDictionary<string, double> none) = JoinedRecording.Read(timeline, 3.6, 4.9, Labels);
        Assert.Equal(EmotionPrediction.NoSpeech, silent);
        Assert.Empty(none);
    }

    [Fact]
    public void Recordings_are_joined_in_a_fixed_shuffled_order_with_a_second_of_silence_between_them()
    {
        float[][] sources = [Filled(16000, 1), Filled(8000, 2), Filled(4000, 3)];

        JoinedRecording joined = JoinedRecording.Join(sources);

        Assert.Equal(28000 + (2 * 16000), joined.Samples.Length);
        Assert.Equal([0, 1, 2], joined.Spans.Select(s => s.Source).Order());
        double at = 0;
        foreach ((int source, double start, double end) in joined.Spans)
        {
            Assert.Equal(at, start, 9);
            Assert.Equal(sources[source].Length / 16000.0, end - start, 9);
            Assert.All(joined.Samples[(int)(start * 16000)..(int)(end * 16000)], v => Assert.Equal(source + 1, v));
            Assert.All(joined.Samples[(int)(end * 16000)..Math.Min(joined.Samples.Length, (int)((end + 1) * 16000))], v => Assert.Equal(0, v));
            at = end + 1.0;
        }

        int[] order = JoinedRecording.Order(49);
        Assert.Equal(order, JoinedRecording.Order(49));
        Assert.Equal(Enumerable.Range(0, 49), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 49), order);
    }

    private static float[] Filled(int length, float value) => [.. Enumerable.Repeat(value, length)];
}
