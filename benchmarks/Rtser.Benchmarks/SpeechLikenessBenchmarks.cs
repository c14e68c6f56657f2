using BenchmarkDotNet.Attributes;
using Rtser.Features.Pipeline;
using Rtser.Features.Vad;
using Rtser.Inference;

namespace Rtser.Benchmarks;

/// <summary>
/// What the speech-likeness check adds: its measures on the features of a 2 s window of speech (live mode's
/// unit) beside extracting those features (without prosody), the same window in pink noise at 5 dB SNR (measured
/// against its noise floor), and the service's analysis of a 3 s clip of speech (one utterance segment) with the
/// check on and off.
/// </summary>
[MemoryDiagnoser]
public class SpeechLikenessBenchmarks
{
    private readonly SpeechFeatureExtractor _extractor = new();
    private SpeechLikeness _check = null!;
    private float[] _clip = [];
    private float[] _window = [];
    private SpeechFeatures _features = null!;
    private SpeechFeatures _noisy = null!;
    private ModelRegistry? _registry;
    private EmotionModel? _model;
    private EmotionAnalyzer _analyzer = null!;

    [Params(true, false)]
    public bool Check { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _check = new SpeechLikeness(_extractor.Config);
        _clip = Clips.Speech3s();
        _window = _clip[..(2 * 16000)];
        _features = _extractor.Extract(_window, prosody: false);
        _noisy = _extractor.Extract(Clips.Speech3sInPinkNoise(5)[..(2 * 16000)], prosody: false);
        _registry = ModelRegistry.Load(InferenceBenchmarks.FindModels(), _extractor);
        _model = _registry.Get("cnn-rnn-emodb");
        _analyzer = new EmotionAnalyzer(new EmotionPredictor(_extractor, new SpeechLikenessOptions { Enabled = Check }));
    }

    [GlobalCleanup]
    public void Cleanup() => _registry?.Dispose();

    [Benchmark]
    public bool Check2sWindow() => _check.IsSpeechLike(_features);

    [Benchmark]
    public bool Check2sWindowInNoise() => _check.IsSpeechLike(_noisy);

    [Benchmark]
    public int Extract2sWindow() => _extractor.Extract(_window, prosody: false).Mfcc.Frames;

    [Benchmark]
    public string ServiceAnalysis3s() => _analyzer.Analyze(_model!, _clip).Overall.Label;
}
