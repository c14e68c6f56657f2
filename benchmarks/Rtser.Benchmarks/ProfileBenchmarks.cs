using BenchmarkDotNet.Attributes;
using Rtser.Inference;

namespace Rtser.Benchmarks;

/// <summary>
/// What building a speaker profile costs per adapted upload: the plain mean of the service's 60 recordings' statistics,
/// and the same emotion-compensated with the committed card's numbers (a posterior per recording).
/// </summary>
[MemoryDiagnoser]
public class ProfileBenchmarks
{
    private float[][] _rows = [];
    private ProfileCompensation? _compensation;

    [GlobalSetup]
    public void Setup()
    {
        ModelCard card = ModelCard.Load(Path.Combine(InferenceBenchmarks.FindModels(), "cnn-rnn-spk-emodb.json"));
        _compensation = card.SpeakerAdaptation?.Compensation ?? throw new InvalidOperationException("the committed card has no compensation");
        var rng = new Random(7);
        _rows = [.. Enumerable.Range(0, 60).Select(_ => _compensation.Mean.Select((m, d) => m + (_compensation.Scale[d] * (float)((rng.NextDouble() * 2) - 1))).ToArray())];
    }

    [Benchmark(Baseline = true)]
    public float Mean60() => SpeakerProfiles.Mean(_rows)[0];

    [Benchmark]
    public float Compensated60() => SpeakerProfiles.Compensated(_rows, _compensation!)[0];
}
