using System.Text.Json;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>
/// The committed ONNX models, run by ONNX Runtime from C#, give the training framework's probabilities on the
/// inputs training/export.py stored in models/parity/&lt;id&gt;.json (torch eval mode or numpy/sklearn).
/// </summary>
public class ParityTests
{
    public static TheoryData<string> ModelIds => [.. ModelFiles.CardIds()];

    [Fact]
    public void The_default_models_are_committed()
    {
        Assert.Contains("cnn-rnn-emodb", ModelFiles.CardIds());
        Assert.Contains("cnn-rnn-ravdess", ModelFiles.CardIds());
    }

    [Theory]
    [MemberData(nameof(ModelIds))]
    public void Onnx_runtime_matches_the_training_framework_within_1e_4(string id)
    {
        using var model = EmotionModel.Load(Path.Combine(ModelFiles.Directory, id + ".json"), new SpeechFeatureExtractor());
        using var parity = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFiles.Directory, "parity", id + ".json")));
        int cases = 0;
        foreach (JsonElement c in parity.RootElement.GetProperty("cases").EnumerateArray())
        {
            var inputs = c.GetProperty("inputs").EnumerateObject().ToDictionary(
                i => i.Name,
                i => (i.Value.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
                      i.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray()));
            float[] expected = [.. c.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle())];

            float[] actual = model.PredictRaw(inputs);

            Assert.Equal(expected.Length, actual.Length);
            for (int k = 0; k < expected.Length; k++)
            {
                Assert.True(Math.Abs(expected[k] - actual[k]) <= 1e-4, $"{id} case {cases} class {k}: {actual[k]} vs {expected[k]}");
            }

            if (c.TryGetProperty("utterance_stats", out JsonElement stats))
            {
                // the statistics a speaker profile is built from come out of the graph as training computed them
                float[] want = [.. stats.EnumerateArray().Select(v => v.GetSingle())];
                float[] got = model.PredictRaw(inputs, EmotionModel.StatisticsOutput);
                Assert.Equal(want.Length, got.Length);
                for (int k = 0; k < want.Length; k++)
                {
                    Assert.True(Math.Abs(want[k] - got[k]) <= 1e-4 * Math.Max(1, Math.Abs(want[k])), $"{id} case {cases} statistic {k}: {got[k]} vs {want[k]}");
                }
            }

            cases++;
        }

        Assert.True(cases >= 3, $"{id}: only {cases} parity cases");
    }

    /// <summary>A model whose card compensates speaker profiles builds from stored statistics the profile training/profiles.py built.</summary>
    [Theory]
    [MemberData(nameof(ModelIds))]
    public void A_compensated_speaker_profile_is_what_training_computes(string id)
    {
        using var model = EmotionModel.Load(Path.Combine(ModelFiles.Directory, id + ".json"), new SpeechFeatureExtractor());
        if (model.Card.SpeakerAdaptation?.Compensation is null)
        {
            return;
        }

        using var parity = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFiles.Directory, "parity", id + ".json")));
        Assert.True(parity.RootElement.TryGetProperty("profileCase", out JsonElement c), $"{id}: compensated profiles but no profileCase");
        float[][] rows = [.. c.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
        float[] want = [.. c.GetProperty("profile").EnumerateArray().Select(v => v.GetSingle())];

        float[] got = model.Profile(rows);

        Assert.Equal(want.Length, got.Length);
        Assert.NotEqual(SpeakerProfiles.Mean(rows), got); // the case is skewed enough for compensation to move it
        for (int k = 0; k < want.Length; k++)
        {
            Assert.True(Math.Abs(want[k] - got[k]) <= 1e-4 * Math.Max(1, Math.Abs(want[k])), $"{id} profile[{k}]: {got[k]} vs {want[k]}");
        }
    }

    /// <summary>
    /// No train/serve skew: the inputs a parity case stored for a real file came from the export (rtser export); the
    /// service's extractor run on the same WAV must give the same numbers, every stream the model reads.
    /// </summary>
    [CorpusTheory]
    [MemberData(nameof(ModelIds))]
    public void Parity_inputs_of_real_files_are_what_the_service_extracts_from_them(string id)
    {
        var extractor = new SpeechFeatureExtractor();
        using var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFiles.Directory, id + ".json")));
        string corpus = card.RootElement.GetProperty("corpus").GetString()!;
        using var parity = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFiles.Directory, "parity", id + ".json")));
        int files = 0;
        foreach (JsonElement c in parity.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (!c.TryGetProperty("file", out JsonElement file))
            {
                continue;
            }

            SpeechFeatures f = extractor.Extract(new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, corpus, file.GetString()!)));
            // speaker_mean is the profile the evaluation drew from other recordings, not a stream of this file
            foreach (JsonProperty input in c.GetProperty("inputs").EnumerateObject().Where(i => i.Name != EmotionModel.SpeakerInput))
            {
                float[] stored = [.. input.Value.GetProperty("data").EnumerateArray().Select(v => v.GetSingle())];
                float[] ours = input.Name switch
                {
                    "mfcc" => f.Mfcc.Data,
                    "ms" => f.Modulation.Data,
                    "vad" => [.. f.Speech.Select(s => s ? 1f : 0f)],
                    "ms_stats" => f.ModulationStatistics,
                    "prosody" => f.Prosody!.Data,
                    "prosody_stats" => f.ProsodyStatistics!,
                    _ => throw new InvalidOperationException(input.Name),
                };
                Assert.Equal(stored.Length, ours.Length);
                for (int k = 0; k < stored.Length; k++)
                {
                    // Same code, same machine type: equal up to float printing and SIMD width differences.
                    Assert.True(Math.Abs(stored[k] - ours[k]) <= 1e-4 * Math.Max(1, Math.Abs(stored[k])), $"{id} {file} {input.Name}[{k}]: {ours[k]} vs stored {stored[k]}");
                }
            }

            files++;
        }

        Assert.True(files >= 3, $"{id}: only {files} real-file cases");
    }
}
