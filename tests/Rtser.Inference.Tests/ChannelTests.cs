using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Tests.Shared;

namespace Rtser.Inference.Tests;

/// <summary>The routed models' channel detector, read with the emotion and passed on to the recording's reading.</summary>
public sealed class ChannelTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("rtser-channel-").FullName;
    private readonly SpeechFeatureExtractor _extractor = new();
    private readonly ModelRegistry _registry;
    private readonly EmotionAnalyzer _analyzer;

    public ChannelTests()
    {
        _registry = ModelRegistry.Load(ModelFiles.Directory, _extractor);
        _analyzer = new EmotionAnalyzer(new EmotionPredictor(_extractor));
    }

    public void Dispose()
    {
        _registry.Dispose();
        Directory.Delete(_temp, recursive: true);
    }

    /// <summary>
    /// The espeak clip as committed, cut tight around its speech (about 0.1 s either side): neither corpus's studio nor
    /// its margins. A detector trained on RAVDESS alone, whose clips keep a second of silence, heard it as noise (1.00).
    /// </summary>
    private static float[] Espeak() => new WavDecoder().Decode16kFile(TestPaths.EspeakWav);

    /// <summary>
    /// A telephone line as tools/degrade.py makes one: 300-3400 Hz (4th-order Butterworth band-pass, as two high-pass
    /// and two low-pass sections), down to 8 kHz, G.711 mu-law (8 bits), and back up to 16 kHz as the service would.
    /// </summary>
    private static float[] Phone(float[] x16k)
    {
        float[] band = Biquad(Biquad(Biquad(Biquad(x16k, 300, highPass: true), 300, highPass: true), 3400, highPass: false), 3400, highPass: false);
        float[] line = Resampler.ToRate(band, 16000, 8000);
        float peak = line.Max(Math.Abs);
        const double Mu = 255;
        for (int i = 0; i < line.Length; i++)
        {
            double v = line[i] * Math.Min(1.0, 0.7 / peak);
            double code = Math.Round(Math.Sign(v) * Math.Log(1 + (Mu * Math.Abs(v))) / Math.Log(1 + Mu) * 127) / 127;
            line[i] = (float)(Math.Sign(code) * (Math.Pow(1 + Mu, Math.Abs(code)) - 1) / Mu);
        }

        return Resampler.ToRate(line, 8000, 16000);
    }

    /// <summary>One Butterworth (Q 1/sqrt 2) second-order section at 16 kHz, the audio EQ cookbook's coefficients.</summary>
    private static float[] Biquad(float[] x, double cutoffHz, bool highPass)
    {
        double w = 2 * Math.PI * cutoffHz / 16000, alpha = Math.Sin(w) / Math.Sqrt(2), cos = Math.Cos(w);
        double b1 = highPass ? -(1 + cos) : 1 - cos, b0 = (highPass ? 1 + cos : 1 - cos) / 2;
        double a0 = 1 + alpha, a1 = -2 * cos, a2 = 1 - alpha;
        var y = new float[x.Length];
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double v = ((b0 * x[i]) + (b1 * x1) + (b0 * x2) - (a1 * y1) - (a2 * y2)) / a0;
            (x2, x1, y2, y1) = (x1, x[i], y1, v);
            y[i] = (float)v;
        }

        return y;
    }

    [Theory]
    [InlineData("mlr-ravdess")]
    [InlineData("cnn-rnn-emodb")]
    public void A_default_hears_the_clean_clip_as_clean(string id)
    {
        EmotionModel model = _registry.Get(id);

        ChannelReading? channel = _analyzer.Analyze(model, Espeak()).Overall.Channel;

        Assert.NotNull(channel);
        Assert.Equal(model.ChannelLabels, channel.Probabilities.Keys);
        Assert.Equal(["clean", "phone", "noise", "room"], channel.Probabilities.Keys.Take(4));
        Assert.Equal(1, channel.Probabilities.Values.Sum(), 3);
        Assert.Equal("clean", channel.Heard);
    }

    [Theory]
    [InlineData("mlr-ravdess")]
    [InlineData("cnn-rnn-emodb")]
    public void A_default_hears_the_same_clip_through_a_telephone_line_as_phone(string id)
    {
        EmotionModel model = _registry.Get(id);

        ChannelReading? channel = _analyzer.Analyze(model, Phone(Espeak())).Overall.Channel;

        Assert.NotNull(channel);
        Assert.Equal("phone", channel.Heard);
        Assert.True(channel.Probabilities["phone"] > 0.5, $"P(phone) {channel.Probabilities["phone"]:0.000}");
    }

    [Theory]
    [InlineData("svm-ravdess")]
    [InlineData("cnn-rnn-ravdess")]
    public void A_model_without_a_channel_detector_hears_no_channel(string id)
    {
        EmotionModel model = _registry.Get(id);

        EmotionAnalysis a = _analyzer.Analyze(model, Espeak());

        Assert.Null(model.ChannelLabels);
        Assert.Null(a.Overall.Channel);
        Assert.All(a.Segments, s => Assert.Null(s.Channel));
    }

    [Fact]
    public void Silence_gets_no_speech_and_no_channel()
    {
        EmotionAnalysis a = _analyzer.Analyze(_registry.Get("mlr-ravdess"), new float[3 * 16000]);

        Assert.Equal(EmotionPrediction.NoSpeech, a.Overall.Label);
        Assert.Null(a.Overall.Channel);
    }

    [Fact]
    public void A_card_listing_a_channel_output_over_a_graph_without_one_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard("svm-ravdess", _temp, c => c["outputs"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse(
            """{"name": "channel", "shape": [1, 4], "labels": ["clean", "phone", "noise", "room"]}""")));

        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));

        Assert.Contains("'channel' output but the graph has none", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_card_whose_channel_labels_do_not_match_the_graphs_width_is_refused()
    {
        string card = ModelFiles.CopyWithEditedCard("mlr-ravdess", _temp, c => c["outputs"]!.AsArray().Single(o => (string?)o!["name"] == "channel")!["labels"]!.AsArray().RemoveAt(1));

        var e = Assert.Throws<ModelLoadException>(() => EmotionModel.Load(card, _extractor));

        Assert.Contains($"the card lists {_registry.Get("mlr-ravdess").ChannelLabels!.Count - 1} channels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recordings_channel_is_the_speech_weighted_mean_of_its_segments()
    {
        EmotionModel model = _registry.Get("cnn-rnn-emodb"); // four channels: clean, phone, noise, room
        IReadOnlyDictionary<string, double> Emotion() => model.Labels.ToDictionary(l => l, l => l == "sad" ? 1.0 : 0.0);
        static ChannelReading Heard(string heard, double clean, double phone, double noise, double room) =>
            new(heard, new Dictionary<string, double> { ["clean"] = clean, ["phone"] = phone, ["noise"] = noise, ["room"] = room });
        EmotionSegment[] segments =
        [
            new(0, 2, "sad", 1, Emotion()) { SpeechSeconds = 1, Channel = Heard("clean", 0.7, 0.1, 0.1, 0.1) },
            new(2, 3, EmotionPrediction.NoSpeech, 0, new Dictionary<string, double>()) { SpeechSeconds = 0 },
            new(3, 7, "sad", 1, Emotion()) { SpeechSeconds = 3, Channel = Heard("phone", 0.1, 0.5, 0.3, 0.1) },
        ];

        ChannelReading? channel = EmotionAnalyzer.Summarize(model, segments, 7 * 16000, 4).Overall.Channel;

        // (1 * 0.7 + 3 * 0.1) / 4 = 0.25 clean, (0.1 + 1.5) / 4 = 0.4 phone, (0.1 + 0.9) / 4 = 0.25 noise, 0.1 room.
        Assert.NotNull(channel);
        Assert.Equal("phone", channel.Heard);
        Assert.Equal(0.25, channel.Probabilities["clean"], 9);
        Assert.Equal(0.40, channel.Probabilities["phone"], 9);
        Assert.Equal(0.25, channel.Probabilities["noise"], 9);
        Assert.Equal(0.10, channel.Probabilities["room"], 9);
    }

    [Fact]
    public void A_stream_fed_in_chunks_hears_the_channel_the_upload_of_the_same_audio_hears()
    {
        EmotionModel model = _registry.Get("mlr-ravdess");
        float[] clip = new WavDecoder().Decode16kFile(TestPaths.EspeakWav);
        float[] period = [.. clip, .. new float[12800], .. Phone(clip), .. new float[80000]];
        float[] audio = [.. period, .. period, .. period];

        EmotionAnalysis upload = _analyzer.Analyze(model, audio);
        var stream = new EmotionStream(_analyzer, model);
        foreach (float[] chunk in audio.Chunk(777))
        {
            stream.Push(chunk);
        }

        EmotionAnalysis live = stream.Finish().Summary;

        Assert.True(upload.Segments.Count(s => s.Channel is not null) >= 3, $"{upload.Segments.Count} segments");
        Assert.NotNull(upload.Overall.Channel);
        Assert.Equal(upload.Overall.Channel.Heard, live.Overall.Channel?.Heard);
        Assert.All(upload.Overall.Channel.Probabilities, kv => Assert.Equal(kv.Value, live.Overall.Channel!.Probabilities[kv.Key], 1e-6));
    }

    [Fact]
    public void A_single_segment_carries_the_channel_of_the_clip_scored_alone()
    {
        EmotionModel model = _registry.Get("mlr-ravdess");
        float[] clip = Phone(Espeak());

        EmotionPrediction alone = new EmotionPredictor(_extractor).Predict(model, clip);
        EmotionAnalysis a = _analyzer.Analyze(model, clip);

        Assert.Single(a.Segments);
        Assert.Equal(alone.Channel!.Probabilities, a.Overall.Channel!.Probabilities);
    }
}
