using System.Text.Json;
using Rtser.Features.Pipeline;

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

            cases++;
        }

        Assert.True(cases >= 3, $"{id}: only {cases} parity cases");
    }
}
