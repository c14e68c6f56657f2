using BenchmarkDotNet.Attributes;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Benchmarks;

/// <summary>ONNX Runtime inference on the features of a 3 s clip, and the whole path from WAV bytes to a label.</summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private ModelRegistry? _registry;
    private EmotionModel? _model;
    private SpeechFeatures? _features;
    private byte[] _wav = [];

    [Params("cnn-rnn-emodb", "cnn-rnn-ravdess", "cnn-emodb", "rnn-emodb", "svm-emodb", "mlr-emodb")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _registry = ModelRegistry.Load(FindModels(), _extractor);
        _model = _registry.Get(Model);
        float[] clip = Clips.Speech3s();
        _features = _extractor.Extract(clip);
        _wav = Rtser.Audio.WavWriter.Pcm16(clip, 16000);
    }

    [GlobalCleanup]
    public void Cleanup() => _registry?.Dispose();

    [Benchmark]
    public float Inference3s() => _model!.Predict(_features!)[0];

    /// <summary>Decode, features, speech check, inference: what one 3 s upload costs.</summary>
    [Benchmark]
    public string EndToEnd3s()
    {
        var audio = new Rtser.Audio.WavDecoder().Decode(_wav);
        return new EmotionPredictor(_extractor).Predict(_model!, audio.Samples).Label;
    }

    /// <summary>What the service does with a 3 s upload: decode, then its utterance segments (one, the whole clip) and overall label.</summary>
    [Benchmark]
    public string ServiceAnalysis3s()
    {
        var audio = new Rtser.Audio.WavDecoder().Decode(_wav);
        return new EmotionAnalyzer(new EmotionPredictor(_extractor)).Analyze(_model!, audio.Samples).Overall.Label;
    }

    internal static string FindModels()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RTSER.sln")))
            {
                return Path.Combine(dir.FullName, "models");
            }
        }

        throw new DirectoryNotFoundException("Run the benchmarks from inside the repository.");
    }
}
