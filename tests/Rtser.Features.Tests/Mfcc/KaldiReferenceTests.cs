using System.Text.Json;
using NAudio.Wave;
using Rtser.Features.Mfcc;
using Rtser.Tests.Shared;

namespace Rtser.Features.Tests.Mfcc;

/// <summary>
/// Compares with torchaudio.compliance.kaldi.mfcc on real and synthetic speech; the reference values were
/// written by tools/reference/make_mfcc_reference.py and are committed beside the tests.
/// </summary>
public class KaldiReferenceTests
{
    public static TheoryData<string, bool> Espeak => new()
    {
        { "mfcc-espeak.json", true },
        { "mfcc-espeak.json", false },
    };

    public static TheoryData<string, bool> Ravdess => new()
    {
        { "mfcc-ravdess-03-angry.json", true },
        { "mfcc-ravdess-03-angry.json", false },
        { "mfcc-ravdess-10-happy.json", true },
    };

    [Theory]
    [MemberData(nameof(Espeak))]
    public void Default_mfcc_matches_torchaudio_kaldi_within_a_hundredth(string referenceFile, bool useEnergy) =>
        AssertMatchesReference(referenceFile, useEnergy);

    [CorpusTheory]
    [MemberData(nameof(Ravdess))]
    public void Default_mfcc_of_ravdess_speech_matches_torchaudio_kaldi_within_a_hundredth(string referenceFile, bool useEnergy) =>
        AssertMatchesReference(referenceFile, useEnergy);

    private static void AssertMatchesReference(string referenceFile, bool useEnergy)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData("Rtser.Features.Tests", referenceFile)));
        string source = doc.RootElement.GetProperty("source").GetString()!;
        float[] samples = ReadPcm16(source);
        Assert.Equal(doc.RootElement.GetProperty("samples").GetInt32(), samples.Length);
        float[][] expected = [.. doc.RootElement.GetProperty(useEnergy ? "useEnergyTrue" : "useEnergyFalse")
            .EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

        var actual = new MfccExtractor(new MfccOptions { UseEnergy = useEnergy }).Compute(samples);

        Assert.Equal(expected.Length, actual.Frames);
        Assert.Equal(13, actual.Width);
        double worst = 0;
        for (int t = 0; t < actual.Frames; t++)
        {
            for (int c = 0; c < 13; c++)
            {
                worst = Math.Max(worst, Math.Abs(actual[t, c] - expected[t][c]));
            }
        }

        Assert.True(worst <= 0.01, $"max |diff| {worst} over {actual.Frames} frames");
    }

    /// <summary>Reads 16-bit PCM with NAudio directly, independent of our decoder.</summary>
    internal static float[] ReadPcm16(string source)
    {
        string path = source.StartsWith("datasets/", StringComparison.Ordinal)
            ? Path.Combine(TestPaths.Datasets, source["datasets/".Length..])
            : Path.Combine(TestPaths.RepoRoot, "tests", "Rtser.Features.Tests", source);
        using var reader = new WaveFileReader(path);
        Assert.Equal(16, reader.WaveFormat.BitsPerSample);
        Assert.Equal(16000, reader.WaveFormat.SampleRate);
        var bytes = new byte[reader.Length];
        int read = reader.Read(bytes, 0, bytes.Length);
        var samples = new float[read / 2 / reader.WaveFormat.Channels];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = BitConverter.ToInt16(bytes, i * 2 * reader.WaveFormat.Channels) / 32768f;
        }

        return samples;
    }
}
