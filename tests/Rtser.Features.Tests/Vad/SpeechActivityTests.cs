using Rtser.Features.Mfcc;
using Rtser.Features.Tests.Mfcc;
using Rtser.Features.Vad;
using Rtser.Tests.Shared;

namespace Rtser.Features.Tests.Vad;

public class SpeechActivityTests
{
    private static readonly Random Rng = new(11);

    private static List<bool> Decide(float[] x)
    {
        var levels = new FeatureBuffer(1);
        new MfccExtractor().CreateStream().Push(x, new FeatureBuffer(13), levels);
        var speech = new List<bool>();
        new SpeechActivityDetector().Decide(levels, speech);
        return speech;
    }

    private static double SpeechSeconds(float[] x) => Decide(x).Count(s => s) * 0.01;

    private static float[] Noise(double amplitude, int samples = 48000) =>
        [.. Enumerable.Range(0, samples).Select(_ => (float)(amplitude * ((Rng.NextDouble() * 2) - 1)))];

    private static float[] Espeak() => KaldiReferenceTests.ReadPcm16("TestData/espeak-16k.wav");

    [Fact]
    public void Digital_silence_has_no_speech() => Assert.Equal(0, SpeechSeconds(new float[48000]));

    [Theory]
    [InlineData(0.17)]   // about -20 dBFS
    [InlineData(0.017)]  // about -40 dBFS
    [InlineData(0.0005)] // about -70 dBFS, a quiet room
    public void Steady_white_noise_of_any_level_has_no_speech(double amplitude) =>
        Assert.True(SpeechSeconds(Noise(amplitude)) < 0.25);

    [Fact]
    public void Steady_brown_noise_and_mains_hum_have_no_speech()
    {
        float b = 0;
        float[] brown = [.. Enumerable.Range(0, 48000).Select(_ => b = (float)((0.98 * b) + (0.02 * ((Rng.NextDouble() * 2) - 1))))];
        float[] hum = [.. Enumerable.Range(0, 48000).Select(n => (float)(0.1 * Math.Sin(2 * Math.PI * 50 * n / 16000)))];
        Assert.True(SpeechSeconds(brown) < 0.25);
        Assert.True(SpeechSeconds(hum) < 0.25);
    }

    [Fact]
    public void Synthetic_speech_is_mostly_speech_even_with_noise_at_20_db_snr()
    {
        float[] speech = Espeak();
        Assert.True(SpeechSeconds(speech) > 3.0);
        float[] noisy = [.. speech.Select(x => x + (float)(0.01 * ((Rng.NextDouble() * 2) - 1)))];
        Assert.True(SpeechSeconds(noisy) > 3.0);
    }

    [Fact]
    public void Speech_after_a_second_of_silence_starts_within_a_tenth_of_a_second()
    {
        float[] speech = Espeak();
        int firstLoud = Array.FindIndex(speech, x => Math.Abs(x) > 0.01f);
        float[] x = [.. new float[16000], .. speech];
        List<bool> decisions = Decide(x);
        int onsetFrame = decisions.IndexOf(true);
        double expected = (16000 + firstLoud) / 16000.0;
        Assert.InRange(onsetFrame * 0.01, expected - 0.05, expected + 0.1);
        Assert.DoesNotContain(true, decisions.Take(95));
    }

    [CorpusTheory]
    [InlineData("Actor_05/03-01-02-02-01-01-05.wav")]
    [InlineData("Actor_01/03-01-06-02-02-01-01.wav")]
    [InlineData("Actor_12/03-01-07-02-01-02-12.wav")]
    public void Ravdess_clips_have_silent_edges_and_speech_in_between(string file)
    {
        float[] x = KaldiReferenceTests.ReadPcm16("datasets/ravdess/" + file);
        List<bool> d = Decide(x);
        Assert.DoesNotContain(true, d.Take(40)); // the first 0.4 s is silence in RAVDESS
        double speech = d.Count(s => s) * 0.01;
        Assert.InRange(speech, 1.0, (x.Length / 16000.0) - 0.8);
    }

    [Fact]
    public void Invalid_options_are_rejected() =>
        Assert.Throws<ArgumentException>(() => new SpeechActivityDetector(new SpeechActivityOptions { MarginDb = -1 }));
}
