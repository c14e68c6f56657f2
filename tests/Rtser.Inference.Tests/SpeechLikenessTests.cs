using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;
using Xunit.Abstractions;

namespace Rtser.Inference.Tests;

/// <summary>Energetic non-speech answers no_speech the way silence does, and real speech keeps its label.</summary>
public sealed class SpeechLikenessTests : IDisposable
{
    private const int Rate = FeatureConfig.SampleRate;
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _models;
    private readonly EmotionPredictor _predictor;
    private readonly EmotionAnalyzer _analyzer;
    private readonly ITestOutputHelper _output;

    public SpeechLikenessTests(ITestOutputHelper output)
    {
        _output = output;
        _models = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _predictor = new EmotionPredictor(_extractor);
        _analyzer = new EmotionAnalyzer(_predictor);
    }

    public void Dispose() => _models.Dispose();

    public static TheoryData<string> NonSpeech => [.. Signals.Keys];

    private static readonly Dictionary<string, Func<float[]>> Signals = new()
    {
        ["linear sweep, 5 Hz tremolo"] = () => NonSpeechSignals.Sweep(200, 4000, logarithmic: false, tremoloHz: 5, seconds: 6),
        ["log sweep, 4 Hz tremolo"] = () => NonSpeechSignals.Sweep(150, 6000, logarithmic: true, tremoloHz: 4, seconds: 6),
        ["steady beep"] = () => NonSpeechSignals.Beep(4),
        ["pulsed beeps"] = () => NonSpeechSignals.Beep(6, periodSeconds: 0.4),
        ["keypad tones"] = () => NonSpeechSignals.Dtmf(),
        ["music"] = () => NonSpeechSignals.Music(8),
        ["modulated white noise"] = () => NonSpeechSignals.ModulatedNoise(pink: false, modulationHz: 4, seconds: 6),
        ["modulated pink noise"] = () => NonSpeechSignals.ModulatedNoise(pink: true, modulationHz: 5, seconds: 6),
        ["a 2 s sweep (one window)"] = () => NonSpeechSignals.Sweep(200, 4000, logarithmic: false, tremoloHz: 5, seconds: 2),
    };

    private static float[] Espeak() => new WavDecoder().Decode16kFile(TestPaths.EspeakWav);

    [Theory]
    [MemberData(nameof(NonSpeech))]
    public void Energetic_non_speech_gets_no_speech_overall_and_in_every_window_as_silence_does(string signal)
    {
        EmotionAnalysis a = _analyzer.Analyze(_models.Get("cnn-rnn-emodb"), Signals[signal]());

        Assert.Equal(EmotionPrediction.NoSpeech, a.Overall.Label);
        Assert.Equal(0, a.Overall.SpeechSeconds);
        Assert.Equal(0, a.Overall.Confidence);
        Assert.Empty(a.Overall.Probabilities);
        Assert.All(a.Segments, s =>
        {
            Assert.Equal(EmotionPrediction.NoSpeech, s.Label);
            Assert.Empty(s.Probabilities);
        });
    }

    [Fact]
    public void A_live_stream_of_a_tremolo_sweep_reads_no_speech_every_hop_and_at_the_end()
    {
        var stream = new EmotionStream(_analyzer, _models.Get("cnn-rnn-emodb"));
        var readings = new List<EmotionSegment>();
        foreach (float[] chunk in NonSpeechSignals.Sweep(200, 4000, logarithmic: false, tremoloHz: 5, seconds: 5).Chunk(1600))
        {
            readings.AddRange(stream.Push(chunk));
        }

        (EmotionSegment? last, EmotionAnalysis summary) = stream.Finish();

        Assert.Equal(10, readings.Count);
        Assert.All(readings, r => Assert.Equal(EmotionPrediction.NoSpeech, r.Label));
        Assert.Null(last);
        Assert.Equal(EmotionPrediction.NoSpeech, summary.Overall.Label);
        Assert.Equal(0, summary.Overall.SpeechSeconds);
    }

    [Theory]
    [InlineData("music")]
    [InlineData("pink noise")]
    public void Speech_with_music_or_noise_at_10_db_snr_keeps_a_label_in_every_window(string background)
    {
        float[] noise = background == "music" ? NonSpeechSignals.Music(10) : NonSpeechSignals.PinkNoise(10, seed: 1);
        float[] mixed = NonSpeechSignals.Mix(Espeak(), noise, 10);

        EmotionAnalysis a = _analyzer.Analyze(_models.Get("cnn-rnn-emodb"), mixed);

        Assert.NotEqual(EmotionPrediction.NoSpeech, a.Overall.Label);
        Assert.All(a.Segments, s => Assert.NotEqual(EmotionPrediction.NoSpeech, s.Label));
    }

    [Fact]
    public void The_committed_espeak_clip_keeps_a_label_in_every_window()
    {
        EmotionAnalysis a = _analyzer.Analyze(_models.Get("cnn-rnn-emodb"), Espeak());

        Assert.All(a.Segments, s => Assert.NotEqual(EmotionPrediction.NoSpeech, s.Label));
    }

    /// <summary>
    /// Every EmoDB and RAVDESS recording, in the windows an upload gets: no window the energy detector finds speech
    /// in is turned away by the check. A live stream's first readings (0.5, 1 and 1.5 s, before a full window) have
    /// less to go on: a few of those, mostly speech just starting after RAVDESS's silent lead, wait for more audio
    /// (41 of 2,785 when the check was made; the bound below leaves room for rounding, not for a worse check).
    /// </summary>
    [CorpusFact]
    public void Every_corpus_recording_keeps_every_window_with_speech()
    {
        string[] files =
        [
            .. Directory.GetFiles(Path.Combine(TestPaths.Datasets, "emodb", "wav"), "*.wav"),
            .. Directory.GetFiles(Path.Combine(TestPaths.Datasets, "ravdess"), "*.wav", SearchOption.AllDirectories),
        ];
        var decoder = new WavDecoder();
        int windows = 0, live = 0;
        var lost = new List<string>();
        var lostLive = new List<string>();
        var lostRecordings = new List<string>();
        foreach (string file in files.Order(StringComparer.Ordinal))
        {
            float[] x = decoder.Decode16kFile(file);
            bool kept = false;
            foreach ((int start, int length) in _analyzer.Windows(x.Length))
            {
                SpeechFeatures f = _extractor.Extract(x.AsSpan(start, length), prosody: false);
                if (Energetic(f))
                {
                    windows++;
                    kept |= _predictor.HasSpeech(f);
                    if (!_predictor.HasSpeech(f))
                    {
                        lost.Add($"{Path.GetFileName(file)}@{start / (double)Rate}s {_predictor.Likeness.Measure(f)}");
                    }
                }
            }

            if (!kept)
            {
                lostRecordings.Add(Path.GetFileName(file));
            }

            foreach (int end in new[] { Rate / 2, Rate, 3 * Rate / 2 }.Where(e => e < x.Length))
            {
                SpeechFeatures f = _extractor.Extract(x.AsSpan(0, end), prosody: false);
                if (Energetic(f))
                {
                    live++;
                    if (!_predictor.HasSpeech(f))
                    {
                        lostLive.Add($"{Path.GetFileName(file)}@0-{end / (double)Rate}s {_predictor.Likeness.Measure(f)}");
                    }
                }
            }
        }

        _output.WriteLine($"{files.Length} recordings: {lostRecordings.Count} lose their label; {lost.Count} of {windows} upload windows with speech and {lostLive.Count} of {live} short live readings with speech turned away");
        lost.Concat(lostLive).ToList().ForEach(_output.WriteLine);
        Assert.Equal(1615, files.Length);
        Assert.Empty(lostRecordings);
        Assert.Empty(lost);
        Assert.True(lostLive.Count <= 0.025 * live, $"{lostLive.Count} of {live}");
    }

    /// <summary>
    /// Every tenth corpus recording under music or pink noise at 10 dB SNR (by the recording's mean power): none loses
    /// its label, and few windows with speech are turned away (noise smooths the spectral change; none with music,
    /// 28 of 5,698 with pink noise over the whole corpus when the check was made).
    /// </summary>
    [CorpusTheory]
    [InlineData("music", 0)]
    [InlineData("pink noise", 0.02)]
    public void Corpus_speech_under_music_or_noise_at_10_db_snr_keeps_its_label(string background, double shareTurnedAway)
    {
        string[] files =
        [
            .. Directory.GetFiles(Path.Combine(TestPaths.Datasets, "emodb", "wav"), "*.wav"),
            .. Directory.GetFiles(Path.Combine(TestPaths.Datasets, "ravdess"), "*.wav", SearchOption.AllDirectories),
        ];
        float[] noise = background == "music" ? NonSpeechSignals.Music(10) : NonSpeechSignals.PinkNoise(10, seed: 1);
        var decoder = new WavDecoder();
        int windows = 0, turnedAway = 0;
        var lostRecordings = new List<string>();
        foreach (string file in files.Order(StringComparer.Ordinal).Where((_, i) => i % 10 == 0))
        {
            float[] x = NonSpeechSignals.Mix(decoder.Decode16kFile(file), noise, 10);
            bool kept = false;
            foreach ((int start, int length) in _analyzer.Windows(x.Length))
            {
                SpeechFeatures f = _extractor.Extract(x.AsSpan(start, length), prosody: false);
                if (Energetic(f))
                {
                    windows++;
                    bool speech = _predictor.HasSpeech(f);
                    kept |= speech;
                    turnedAway += speech ? 0 : 1;
                }
            }

            if (!kept)
            {
                lostRecordings.Add(Path.GetFileName(file));
            }
        }

        _output.WriteLine($"{background}: {lostRecordings.Count} recordings lose their label, {turnedAway} of {windows} windows with speech turned away");
        Assert.Empty(lostRecordings);
        Assert.True(turnedAway <= shareTurnedAway * windows, $"{turnedAway} of {windows}");
    }

    private bool Energetic(SpeechFeatures f) => f.SpeechSeconds >= _extractor.Config.SpeechActivity.MinSpeechSeconds && f.Modulation.Frames > 0;
}
